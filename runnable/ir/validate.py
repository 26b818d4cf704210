"""Graph and task checks that make an IR document safe to run or render."""

from __future__ import annotations

from runnable.ir.errors import DefinitionError
from runnable.ir.model import (
    NODE_TYPES,
    RETURN_KINDS,
    TASK_KINDS,
    TERMINAL_TYPES,
    Definition,
    Graph,
    TaskSpec,
)
from runnable.ir.names import check_parameter_name, check_step_name


def validate_definition(definition: Definition) -> Definition:
    """Raise :class:`DefinitionError` on the first problem; return the definition when sound."""
    if definition.kind == "job":
        if definition.job is None:
            raise DefinitionError("A job definition needs a task.")
        validate_task(definition.job, "job")
        if definition.job.catalog and definition.job.catalog.get:
            raise DefinitionError(
                "job: Catalog(get=...) is not supported for jobs; a job has no earlier steps to get from."
            )
    elif definition.kind == "pipeline":
        if definition.graph is None:
            raise DefinitionError("A pipeline definition needs a graph.")
        validate_graph(definition.graph)
    else:
        raise DefinitionError(f"Unknown definition kind {definition.kind!r}; expected 'job' or 'pipeline'.")
    return definition


def validate_task(task: TaskSpec, where: str) -> None:
    if task.kind not in TASK_KINDS:
        raise DefinitionError(f"{where}: unknown task kind {task.kind!r}.")
    if not isinstance(task.command, str) or not task.command.strip():
        raise DefinitionError(f"{where}: the task has an empty command.")
    seen: set[str] = set()
    for ret in task.returns:
        check_parameter_name(ret.name, f"{where}: returns")
        if ret.kind not in RETURN_KINDS:
            raise DefinitionError(
                f"{where}: return {ret.name!r} has kind {ret.kind!r}; valid kinds: {', '.join(RETURN_KINDS)}."
            )
        if ret.name in seen:
            raise DefinitionError(f"{where}: return {ret.name!r} is declared twice.")
        seen.add(ret.name)
        if task.kind == "shell" and ret.kind == "object":
            raise DefinitionError(
                f"{where}: shell tasks can only return json or metric values; {ret.name!r} is pickled."
            )
    for secret in task.secrets:
        check_parameter_name(secret, f"{where}: secrets")
    if task.max_attempts < 1:
        raise DefinitionError(f"{where}: max_attempts must be at least 1, got {task.max_attempts}.")


def validate_graph(graph: Graph) -> None:
    nodes = graph.nodes
    if graph.start_at not in nodes:
        raise DefinitionError(f"The pipeline starts at {graph.start_at!r}, which is not one of its steps.")
    for name, node in nodes.items():
        check_step_name(name)
        if node.type not in NODE_TYPES:
            raise DefinitionError(f"Step {name!r}: unknown step type {node.type!r}.")
        if node.type == "task":
            if node.task is None:
                raise DefinitionError(f"Step {name!r}: a task step needs a task.")
            validate_task(node.task, f"Step {name!r}")
        if node.type in TERMINAL_TYPES:
            if node.next is not None:
                raise DefinitionError(f"Step {name!r}: a {node.type} step cannot have a next step.")
            continue
        if node.next is None:
            raise DefinitionError(f"Step {name!r} has no next step.")
        for label, target in (("next", node.next), ("on_failure", node.on_failure)):
            if target is not None and target not in nodes:
                raise DefinitionError(f"Step {name!r}: {label} refers to {target!r}, which is not a step.")
    _check_reachable(graph)
    _check_acyclic(graph)


def _successors(graph: Graph, name: str) -> list[str]:
    node = graph.nodes[name]
    return [t for t in (node.next, node.on_failure) if t is not None]


def _check_reachable(graph: Graph) -> None:
    seen = {graph.start_at}
    stack = [graph.start_at]
    while stack:
        for target in _successors(graph, stack.pop()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    unreachable = [n for n, node in graph.nodes.items() if n not in seen and node.type not in TERMINAL_TYPES]
    if unreachable:
        raise DefinitionError(
            f"Steps {', '.join(repr(n) for n in unreachable)} can never run: nothing leads to them."
        )


def _check_acyclic(graph: Graph) -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in graph.nodes:
        if root in state:
            continue
        path = [root]
        iters = [iter(_successors(graph, root))]
        state[root] = 1
        while iters:
            target = next(iters[-1], None)
            if target is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                raise DefinitionError(f"The pipeline has a cycle: {' -> '.join(cycle)}.")
            if target not in state:
                state[target] = 1
                path.append(target)
                iters.append(iter(_successors(graph, target)))
