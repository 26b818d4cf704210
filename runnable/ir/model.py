"""The intermediate representation: plain, versioned data that every target reads.

The DSL builds these objects; the runtime walks them; the renderers turn them into
files. Nothing here refers to user objects: callables are ``module:qualname`` (or
``path/to/file.py:qualname``) strings, so an IR document can travel to a container
and be executed without re-running the user's definition code.
"""

from __future__ import annotations

from typing import Any

from runnable.ir.record import Record, factory

IR_VERSION = 2  # 2: typed node classes (the serialised shape is v1's, so v1 documents load unchanged)
READABLE_VERSIONS = (1, 2)

RETURN_KINDS = ("json", "object", "metric")
TASK_KINDS = ("python", "shell", "notebook", "async-python")
STREAM_END_TYPE = "done"  # the streamed event of an async generator that carries its returns


class ReturnSpec(Record):
    """A named value a task returns, matched positionally to the function's result."""

    name: str
    kind: str = "json"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReturnSpec":
        return cls(name=data["name"], kind=data.get("kind", "json"))


class CatalogSpec(Record):
    """Files copied from the run's catalog before a task (get) and into it after (put)."""

    get: list[str] = factory(list)
    put: list[str] = factory(list)
    store_copy: bool = True

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.get:
            data["get"] = list(self.get)
        if self.put:
            data["put"] = list(self.put)
        if not self.store_copy:
            data["store_copy"] = False
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CatalogSpec":
        return cls(
            get=list(data.get("get", [])),
            put=list(data.get("put", [])),
            store_copy=bool(data.get("store_copy", True)),
        )


class TaskSpec(Record):
    """What one unit of work runs. ``command`` is a callable ref, shell text or notebook path."""

    kind: str
    command: str
    returns: list[ReturnSpec] = factory(list)
    secrets: list[str] = factory(list)
    catalog: CatalogSpec | None = None
    overrides: dict[str, str] = factory(dict)
    notebook_args: dict[str, Any] = factory(dict)
    max_attempts: int = 1
    backoff_seconds: float = 0.0
    backoff_factor: float = 2.0
    stream_end_type: str = STREAM_END_TYPE  # async-python generators: the event type holding the returns

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "command": self.command}
        if self.returns:
            data["returns"] = [r.to_dict() for r in self.returns]
        if self.secrets:
            data["secrets"] = list(self.secrets)
        if self.catalog is not None and self.catalog.to_dict():
            data["catalog"] = self.catalog.to_dict()
        if self.overrides:
            data["overrides"] = dict(sorted(self.overrides.items()))
        if self.notebook_args:
            data["notebook_args"] = dict(sorted(self.notebook_args.items()))
        if self.max_attempts != 1:
            data["max_attempts"] = self.max_attempts
        if self.backoff_seconds:
            data["backoff_seconds"] = self.backoff_seconds
        if self.backoff_factor != 2.0:
            data["backoff_factor"] = self.backoff_factor
        if self.stream_end_type != STREAM_END_TYPE:
            data["stream_end_type"] = self.stream_end_type
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskSpec":
        catalog = data.get("catalog")
        return cls(
            kind=data["kind"],
            command=data["command"],
            returns=[ReturnSpec.from_dict(r) for r in data.get("returns", [])],
            secrets=list(data.get("secrets", [])),
            catalog=CatalogSpec.from_dict(catalog) if catalog else None,
            overrides=dict(data.get("overrides", {})),
            notebook_args=dict(data.get("notebook_args", {})),
            max_attempts=int(data.get("max_attempts", 1)),
            backoff_seconds=float(data.get("backoff_seconds", 0.0)),
            backoff_factor=float(data.get("backoff_factor", 2.0)),
            stream_end_type=str(data.get("stream_end_type", STREAM_END_TYPE)),
        )


class Node(Record):
    """One step of a graph. Each kind of step is its own class declaring its own fields;
    ``type`` is the kind's name in the IR's serialised form (a class attribute, not a field).

    Composite nodes hold whole graphs: ``branches`` (parallel, conditional), ``branch``
    (map, loop) and ``default`` (the conditional's branch when no value matches).
    """

    name: str
    next: str | None = None
    on_failure: str | None = None
    overrides: dict[str, str] = factory(dict)  # a composite's {target: override name}; a task's live in its TaskSpec

    type = ""  # the serialised kind; every concrete class sets it
    composite = False
    terminal = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if type(self) is Node:
            raise TypeError("Node is abstract: use TaskNode, StubNode, ..., or make_node(kind, ...).")
        super().__init__(*args, **kwargs)

    def fields(self) -> dict[str, Any]:
        """This kind's own fields in their serialised form (empty values left out)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, **self.fields()}
        if self.overrides:
            data["overrides"] = dict(sorted(self.overrides.items()))
        if self.next is not None:
            data["next"] = self.next
        if self.on_failure is not None:
            data["on_failure"] = self.on_failure
        return data

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> "Node":
        kind = data["type"]
        node_class = NODE_CLASSES.get(kind)
        if node_class is None:
            raise ValueError(f"unknown node type {kind!r}")
        return node_class(name=name, next=data.get("next"), on_failure=data.get("on_failure"),
                          overrides=dict(data.get("overrides") or {}), **node_class.read_fields(data))

    @classmethod
    def read_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {}

    def graphs(self) -> dict[str, "Graph"]:
        """Every sub-graph of a composite, by the key used in internal names."""
        return {}


class TaskNode(Node):
    """Runs one task (python, shell, notebook or async-python)."""

    task: TaskSpec = None  # type: ignore[assignment]  # required: checked by validation
    type = "task"

    def fields(self) -> dict[str, Any]:
        return {"task": self.task.to_dict()} if self.task is not None else {}

    @classmethod
    def read_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {"task": TaskSpec.from_dict(data["task"])} if "task" in data else {}


class StubNode(Node):
    """Does nothing and succeeds: a placeholder while a pipeline is being written."""

    type = "stub"


class SuccessNode(Node):
    """The graph's successful end."""

    type = "success"
    terminal = True


class FailNode(Node):
    """The graph's failed end."""

    type = "fail"
    terminal = True


class ParallelNode(Node):
    """Runs every branch with a copy of the parameters; their returns merge back in branch order."""

    branches: dict[str, "Graph"] = factory(dict)
    fail_fast: bool = False
    max_parallel: int = 0  # how many branches may run at once; 0: no limit of its own
    type = "parallel"
    composite = True

    def fields(self) -> dict[str, Any]:
        data: dict[str, Any] = {"branches": {key: graph.to_dict() for key, graph in self.branches.items()}}
        if self.fail_fast:
            data["fail_fast"] = True
        if self.max_parallel:
            data["max_parallel"] = self.max_parallel
        return data

    @classmethod
    def read_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {"branches": {k: Graph.from_dict(v) for k, v in data.get("branches", {}).items()},
                "fail_fast": bool(data.get("fail_fast", False)), "max_parallel": data.get("max_parallel", 0)}

    def graphs(self) -> dict[str, "Graph"]:
        return dict(self.branches)


class MapNode(Node):
    """Runs its branch once per item of a list parameter; returns are reduced over the items."""

    branch: "Graph" = None  # type: ignore[assignment]
    iterate_on: str = ""
    iterate_as: str = ""
    reducer: str = ""
    max_parallel: int = 0  # how many items may run at once; 0: no limit of its own
    type = "map"
    composite = True

    def fields(self) -> dict[str, Any]:
        data: dict[str, Any] = {"branch": self.branch.to_dict()} if self.branch is not None else {}
        data.update({key: getattr(self, key) for key in ("iterate_on", "iterate_as", "reducer", "max_parallel")
                     if getattr(self, key)})
        return data

    @classmethod
    def read_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        fields = {key: data[key] for key in ("iterate_on", "iterate_as", "reducer", "max_parallel") if key in data}
        if "branch" in data:
            fields["branch"] = Graph.from_dict(data["branch"])
        return fields

    def graphs(self) -> dict[str, "Graph"]:
        return {"branch": self.branch} if self.branch is not None else {}


class ConditionalNode(Node):
    """Runs the branch named by a parameter's value, else ``default``."""

    branches: dict[str, "Graph"] = factory(dict)
    parameter: str = ""
    default: "Graph | None" = None
    type = "conditional"
    composite = True

    def fields(self) -> dict[str, Any]:
        data: dict[str, Any] = {"branches": {key: graph.to_dict() for key, graph in self.branches.items()}}
        if self.parameter:
            data["parameter"] = self.parameter
        if self.default is not None:
            data["default"] = self.default.to_dict()
        return data

    @classmethod
    def read_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {"branches": {k: Graph.from_dict(v) for k, v in data.get("branches", {}).items()}}
        if "parameter" in data:
            fields["parameter"] = data["parameter"]
        if data.get("default") is not None:
            fields["default"] = Graph.from_dict(data["default"])
        return fields

    def graphs(self) -> dict[str, "Graph"]:
        found = dict(self.branches)
        if self.default is not None:
            found["default"] = self.default
        return found


class LoopNode(Node):
    """Runs its branch until a boolean parameter is true (do-while), at most ``max_iterations`` times."""

    branch: "Graph" = None  # type: ignore[assignment]
    max_iterations: int = 0
    break_on: str = ""
    index_as: str = ""
    type = "loop"
    composite = True

    def fields(self) -> dict[str, Any]:
        data: dict[str, Any] = {"branch": self.branch.to_dict()} if self.branch is not None else {}
        data["max_iterations"] = self.max_iterations
        data.update({key: getattr(self, key) for key in ("break_on", "index_as") if getattr(self, key)})
        return data

    @classmethod
    def read_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        fields = {key: data[key] for key in ("max_iterations", "break_on", "index_as") if key in data}
        if "branch" in data:
            fields["branch"] = Graph.from_dict(data["branch"])
        return fields

    def graphs(self) -> dict[str, "Graph"]:
        return {"branch": self.branch} if self.branch is not None else {}


#: Kind name -> class: the only place a kind's spelling meets its class.
NODE_CLASSES: dict[str, type[Node]] = {cls.type: cls for cls in (
    TaskNode, StubNode, SuccessNode, FailNode, ParallelNode, MapNode, ConditionalNode, LoopNode)}


def make_node(kind: str, name: str, **fields: Any) -> Node:
    """A node of the kind named ``kind`` (the YAML and DSL builders name kinds as text)."""
    node_class = NODE_CLASSES.get(kind)
    if node_class is None:
        raise ValueError(f"unknown node type {kind!r}")
    return node_class(name=name, **fields)


class Graph(Record):
    """Nodes in definition order, entered at ``start_at``."""

    start_at: str
    nodes: dict[str, Node]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_at": self.start_at,
            "nodes": {name: node.to_dict() for name, node in self.nodes.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Graph":
        nodes = {name: Node.from_dict(name, spec) for name, spec in data["nodes"].items()}
        return cls(start_at=data["start_at"], nodes=nodes)


class Definition(Record):
    """A whole job or pipeline: the unit that is compiled, hashed and run."""

    kind: str  # "job" or "pipeline"
    name: str = ""
    description: str = ""
    graph: Graph | None = None
    job: TaskSpec | None = None
    ir_version: int = IR_VERSION

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ir_version": self.ir_version, "kind": self.kind}
        if self.name:
            data["name"] = self.name
        if self.description:
            data["description"] = self.description
        if self.job is not None:
            data["job"] = self.job.to_dict()
        if self.graph is not None:
            data["graph"] = self.graph.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Definition":
        graph = data.get("graph")
        job = data.get("job")
        return cls(
            kind=data["kind"],
            name=data.get("name", ""),
            description=data.get("description", ""),
            graph=Graph.from_dict(graph) if graph else None,
            job=TaskSpec.from_dict(job) if job else None,
            ir_version=int(data.get("ir_version", IR_VERSION)),
        )


def node_secrets(node: Node) -> set[str]:
    """Secret names of a step and, for a composite, of every step inside it."""
    found = set(node.task.secrets) if isinstance(node, TaskNode) and node.task else set()
    for graph in node.graphs().values():
        for inner in graph.nodes.values():
            found |= node_secrets(inner)
    return found
