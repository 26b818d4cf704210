"""Lowering: the IR once into a target-neutral plan that every renderer walks.

The plan holds, for each graph, its steps in one topological order (computed iteratively,
so a 20,000-step chain is no deeper than a 2-step one), the edges that lead to each step,
and what the target does with it: run it in a container (a task, or a composite the target
does not expand), let it pass (a stub), end the graph (success, fail), or expand it into
its own constructs (a composite the target declares in ``expands``), with every branch
lowered too. Each task step carries the name of its override for this target, checked
here once: a target that cannot honour an override where the step sits says so, naming
the step, the field and what to do instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

from runnable.ir.errors import DefinitionError
from runnable.ir.model import (
    Definition,
    FailNode,
    Graph,
    LoopNode,
    MapNode,
    Node,
    StubNode,
    SuccessNode,
    TaskNode,
    make_node,
)
from runnable.ir.record import Record, factory

if TYPE_CHECKING:
    from runnable.compiler.base import Target

RUN, PASS, END, EXPAND = "run", "pass", "end", "expand"
WHOLE_PIPELINE = ""  # ``whole`` of the steps of a target that runs the whole pipeline in one container


class Edge(NamedTuple):
    """``source`` leads to the step when it succeeds (``on == 'success'``) or fails (``'failure'``)."""

    source: str
    on: str


class PlannedStep(Record):
    name: str  # in its graph
    path: str  # static path, for messages and names: '.'-joined step names and branch keys
    node: Node
    mode: str  # RUN, PASS, END or EXPAND
    after: list[Edge] = factory(list)  # in definition order of the sources
    branches: dict[str, "PlannedGraph"] = factory(dict)  # EXPAND: each sub-graph, by branch key
    override: str = ""  # the task's override name for this target


class PlannedGraph(Record):
    path: str  # static prefix of its steps' paths ('' at the top)
    start_at: str
    steps: list[PlannedStep]  # topological order
    position: dict[str, int] = factory(dict)  # step name -> index in ``steps``
    definition_order: list[str] = factory(list)  # step names as the definition lists them

    def step(self, name: str) -> PlannedStep:
        return self.steps[self.position[name]]

    def in_definition_order(self) -> list[PlannedStep]:
        return [self.step(name) for name in self.definition_order]

    def ends(self) -> list[PlannedStep]:
        """The graph's success and fail steps, in definition order."""
        return [step for step in self.in_definition_order() if step.mode == END]


class Plan(Record):
    definition: Definition
    target: str
    graph: "PlannedGraph | None" = None  # a pipeline
    job: "PlannedStep | None" = None  # a job: its one task

    def graphs(self) -> Iterator[PlannedGraph]:
        """Every planned graph, parents before children, in definition order."""
        stack = [self.graph] if self.graph is not None else []
        while stack:
            graph = stack.pop()
            yield graph
            children = [sub for step in graph.in_definition_order() for sub in step.branches.values()]
            stack.extend(reversed(children))


def topological_order(graph: Graph) -> list[str]:
    """Step names so that every step comes after the steps that lead to it (depth-first from each step in
    definition order, ``next`` before ``on_failure``); iterative, so no chain is too long."""
    order: list[str] = []
    seen: set[str] = set()
    stack: list[tuple[str, bool]] = [(name, False) for name in reversed(list(graph.nodes))]
    while stack:
        name, done = stack.pop()
        if done:
            order.append(name)
            continue
        if name in seen:
            continue
        seen.add(name)
        stack.append((name, True))
        node = graph.nodes[name]
        for successor in (node.on_failure, node.next):
            if successor is not None and successor not in seen:
                stack.append((successor, False))
    order.reverse()
    return order


def lower(definition: Definition, target: Target) -> Plan:
    """The plan of ``definition`` for ``target``: what it runs, passes, ends and expands."""
    plan = Plan(definition=definition, target=target.name)
    if definition.job is not None:
        from runnable.ir.names import JOB_STEP

        node = make_node("task", JOB_STEP, task=definition.job)
        plan.job = PlannedStep(name=JOB_STEP, path=JOB_STEP, node=node, mode=RUN,
                               override=_override(target, node, JOB_STEP, whole=None))
        return plan
    if definition.graph is None:
        raise DefinitionError("A definition needs a graph (pipeline) or a job.")
    plan.graph = _lower_graph(definition.graph, "", target, whole=WHOLE_PIPELINE if target.one_container else None)
    return plan


def _lower_graph(graph: Graph, path: str, target: Target, whole: str | None) -> PlannedGraph:
    """``whole`` names the enclosing composite that runs in one container ('' for the whole pipeline), if any."""
    order = topological_order(graph)
    incoming: dict[str, list[Edge]] = {name: [] for name in graph.nodes}
    for name, node in graph.nodes.items():
        if node.next is not None:
            incoming[node.next].append(Edge(name, "success"))
        if node.on_failure is not None:
            incoming[node.on_failure].append(Edge(name, "failure"))
    steps = []
    for name in order:
        node = graph.nodes[name]
        step_path = f"{path}{name}"
        step = PlannedStep(name=name, path=step_path, node=node, mode=_mode(node, target, step_path),
                           after=incoming[name])
        if node.composite:
            step.override = _composite_override(target, node, step_path)
        if step.mode == EXPAND:
            step.branches = {key: _lower_graph(sub, f"{step_path}.{_branch_path(node, key)}.", target, whole)
                             for key, sub in node.graphs().items()}
        elif node.composite:
            inner = step_path if whole is None else whole
            for key, sub in node.graphs().items():  # checked only: the container runs them
                _lower_graph(sub, f"{step_path}.{_branch_path(node, key)}.", target, inner)
        elif isinstance(node, TaskNode):
            step.override = _override(target, node, step_path, whole)
        steps.append(step)
    return PlannedGraph(path=path, start_at=graph.start_at, steps=steps,
                        position={step.name: index for index, step in enumerate(steps)},
                        definition_order=list(graph.nodes))


def _branch_path(node: Node, key: str) -> str:
    """The static name of a sub-graph in paths: its branch key, or what a map's items and a loop's body are."""
    if isinstance(node, MapNode):
        return "each"
    if isinstance(node, LoopNode):
        return "body"
    return key


_MODES: dict[type[Node], str] = {TaskNode: RUN, StubNode: PASS, SuccessNode: END, FailNode: END}


def _mode(node: Node, target: Target, path: str) -> str:
    if node.composite:
        return EXPAND if type(node) in target.expands else RUN
    mode = _MODES.get(type(node))
    if mode is None:
        raise DefinitionError(f"Step {path!r}: the {target.name} target does not know {node.type!r} steps.")
    return mode


def _override(target: Target, node: Any, path: str, whole: str | None) -> str:
    """The task's override name for this target; refused where the target cannot honour it."""
    name = node.task.overrides.get(target.override_key, "") if target.override_key else ""
    if not name:
        return ""
    refusal = target.refuse_override(path, name, whole)
    if refusal:
        raise DefinitionError(refusal)
    return str(name)


def _composite_override(target: Target, node: Any, path: str) -> str:
    """A composite's override name for this target; refused where the target cannot honour it."""
    name = node.overrides.get(target.override_key, "") if target.override_key else ""
    if not name:
        return ""
    refusal = target.refuse_composite_override(path, name)
    if refusal:
        raise DefinitionError(refusal)
    return str(name)
