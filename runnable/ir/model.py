"""The intermediate representation: plain, versioned data that every target reads.

The DSL builds these objects; the runtime walks them; the renderers turn them into
files. Nothing here refers to user objects: callables are ``module:qualname`` (or
``path/to/file.py:qualname``) strings, so an IR document can travel to a container
and be executed without re-running the user's definition code.
"""

from __future__ import annotations

from typing import Any

from runnable.ir.record import Record, factory

IR_VERSION = 1

RETURN_KINDS = ("json", "object", "metric")
TASK_KINDS = ("python", "shell", "notebook")
TERMINAL_TYPES = ("success", "fail")

#: The fields each node type uses, besides ``type``/``next``/``on_failure``: the IR's own
#: schema. Serialisation and validation read this table, so a new node type or field
#: is declared once.
NODE_FIELDS: dict[str, tuple[str, ...]] = {
    "task": ("task",),
    "stub": (),
    "success": (),
    "fail": (),
    "parallel": ("branches", "fail_fast"),
    "map": ("branch", "iterate_on", "iterate_as", "reducer"),
    "conditional": ("branches", "parameter", "default"),
    "loop": ("branch", "max_iterations", "break_on", "index_as"),
}
NODE_TYPES = tuple(NODE_FIELDS)
COMPOSITE_TYPES = ("parallel", "map", "conditional", "loop")


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
        )


class Node(Record):
    """One step of a graph; which optional fields apply depends on ``type`` (NODE_FIELDS).

    Composite nodes hold whole graphs: ``branches`` (parallel, conditional), ``branch``
    (map, loop) and ``default`` (the conditional's branch when no value matches).
    """

    name: str
    type: str
    next: str | None = None
    on_failure: str | None = None
    task: TaskSpec | None = None
    branches: dict[str, "Graph"] = factory(dict)
    branch: "Graph | None" = None
    default: "Graph | None" = None
    fail_fast: bool = False
    iterate_on: str = ""
    iterate_as: str = ""
    reducer: str = ""
    parameter: str = ""
    max_iterations: int = 0
    break_on: str = ""
    index_as: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type}
        for name in NODE_FIELDS.get(self.type, ()):
            value = getattr(self, name)
            if name == "task" and value is not None:
                data["task"] = value.to_dict()
            elif name == "branches":
                data["branches"] = {key: graph.to_dict() for key, graph in value.items()}
            elif name in ("branch", "default"):
                if value is not None:
                    data[name] = value.to_dict()
            elif value or name in ("max_iterations",):
                data[name] = value
        if self.next is not None:
            data["next"] = self.next
        if self.on_failure is not None:
            data["on_failure"] = self.on_failure
        return data

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> "Node":
        node_type = data["type"]
        fields: dict[str, Any] = {}
        for key in NODE_FIELDS.get(node_type, ()):
            if key not in data:
                continue
            value = data[key]
            if key == "task":
                value = TaskSpec.from_dict(value)
            elif key == "branches":
                value = {k: Graph.from_dict(v) for k, v in value.items()}
            elif key in ("branch", "default"):
                value = Graph.from_dict(value)
            fields[key] = value
        return cls(name=name, type=node_type, next=data.get("next"), on_failure=data.get("on_failure"), **fields)

    def graphs(self) -> dict[str, "Graph"]:
        """Every sub-graph of a composite, by the key used in internal names."""
        found = dict(self.branches)
        if self.branch is not None:
            found["branch"] = self.branch
        if self.default is not None:
            found["default"] = self.default
        return found


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
    found = set(node.task.secrets) if node.task else set()
    for graph in node.graphs().values():
        for inner in graph.nodes.values():
            found |= node_secrets(inner)
    return found


# Transitional: the typed node classes replace these.
Node.composite = property(lambda self: self.type in COMPOSITE_TYPES)  # type: ignore[attr-defined]
Node.terminal = property(lambda self: self.type in TERMINAL_TYPES)  # type: ignore[attr-defined]


def make_node(kind: str, name: str, **fields: Any) -> Node:
    return Node(name=name, type=kind, **fields)
