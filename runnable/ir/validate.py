"""Graph and task checks that make an IR document safe to run or render."""

from __future__ import annotations

import re

from runnable.ir.errors import DefinitionError
from runnable.ir.model import (
    RETURN_KINDS,
    TASK_KINDS,
    ConditionalNode,
    Definition,
    Graph,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    TaskNode,
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
        validate_graph(definition.graph, frozenset())
    else:
        raise DefinitionError(f"Unknown definition kind {definition.kind!r}; expected 'job' or 'pipeline'.")
    _check_encodable(definition)
    return definition


def _check_encodable(definition: Definition) -> None:
    """Every text must be valid Unicode (UTF-8) and every mapping keyed by strings: files and pods need both."""
    import json

    try:
        json.dumps(definition.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[max(exc.start - 20, 0):exc.end + 20] if isinstance(exc.object, str) else ""
        raise DefinitionError(f"The definition holds text that is not valid Unicode (a lone surrogate) near "
                              f"{bad!r}; use real characters.") from None
    except TypeError as exc:
        raise DefinitionError(f"The definition holds a mapping whose keys are not all strings ({exc}); "
                              "use string keys (e.g. in optional_ploomber_args).") from None


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
    if task.backoff_seconds < 0 or task.backoff_factor < 1:
        raise DefinitionError(
            f"{where}: backoff_seconds must be >= 0 and backoff_factor >= 1, "
            f"got {task.backoff_seconds} and {task.backoff_factor}."
        )


def validate_graph(graph: Graph, enclosing: frozenset[str], where: str = "The pipeline") -> None:
    """Check one graph and, recursively, the branches of its composite steps.

    ``enclosing`` holds the step names of the graphs around this one: a branch may not
    reuse them, or its steps' logs and rendered names could not be told apart.
    """
    nodes = graph.nodes
    if graph.start_at not in nodes:
        raise DefinitionError(f"{where} starts at {graph.start_at!r}, which is not one of its steps.")
    own = frozenset(n for n, node in nodes.items() if not node.terminal)
    for name, node in nodes.items():
        check_step_name(name)
        if name in enclosing and not node.terminal:
            raise DefinitionError(
                f"Step {name!r} in {where[0].lower() + where[1:]} reuses the name of a step "
                "of an enclosing pipeline; give it a different name."
            )
        if isinstance(node, TaskNode):
            if node.task is None:
                raise DefinitionError(f"Step {name!r}: a task step needs a task.")
            validate_task(node.task, f"Step {name!r}")
        if node.composite:
            _validate_composite(node, enclosing | own)
        if node.terminal:
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


_REDUCER_PATH = re.compile(r"^[A-Za-z_][\w.]*[.:][A-Za-z_]\w*$")


def _validate_composite(node: Node, enclosing: frozenset[str]) -> None:
    where = f"Step {node.name!r}"
    if isinstance(node, (ParallelNode, ConditionalNode)):
        if not node.branches:
            raise DefinitionError(f"{where}: a {node.type} step needs at least one branch.")
        for key in node.branches:
            check_step_name(key)
    if isinstance(node, (MapNode, LoopNode)) and node.branch is None:
        raise DefinitionError(f"{where}: a {node.type} step needs a branch pipeline.")
    if isinstance(node, MapNode):
        check_parameter_name(node.iterate_on, f"{where}: iterate_on")
        check_parameter_name(node.iterate_as, f"{where}: iterate_as")
        if node.reducer:
            check_reducer(node.reducer, where)
    if isinstance(node, ConditionalNode):
        check_parameter_name(node.parameter, f"{where}: parameter")
        if node.default is not None and "default" in node.branches:
            raise DefinitionError(f"{where}: a branch named 'default' next to a default branch is ambiguous; "
                                  "rename the branch.")
    if isinstance(node, (ParallelNode, MapNode)):
        limit = node.max_parallel
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise DefinitionError(f"{where}: max_parallel must be a whole number of at least 1 (how many branches "
                                  f"run at once), got {limit!r}.")
    if isinstance(node, LoopNode):
        if isinstance(node.max_iterations, bool) or not isinstance(node.max_iterations, int) or node.max_iterations < 1:
            raise DefinitionError(f"{where}: max_iterations must be an integer of at least 1, got {node.max_iterations!r}.")
        check_parameter_name(node.break_on, f"{where}: break_on")
        check_parameter_name(node.index_as, f"{where}: index_as")
    for key, graph in node.graphs().items():
        validate_graph(graph, enclosing, f"Branch {key!r} of step {node.name!r}")


def check_reducer(reducer: str, where: str) -> None:
    """A reducer is a lambda expression or a dotted path to a function; only syntax is checked here."""
    text = reducer.strip()
    if text.startswith("lambda"):
        try:
            tree = compile(text, "<reducer>", "eval", flags=0x400)  # ast.PyCF_ONLY_AST
        except SyntaxError as exc:
            raise DefinitionError(f"{where}: reducer {reducer!r} is not a valid lambda: {exc.msg}.") from None
        if type(tree.body).__name__ != "Lambda":  # type: ignore[attr-defined]
            raise DefinitionError(f"{where}: reducer {reducer!r} must be a single lambda expression.")
        return
    if not _REDUCER_PATH.match(text):
        raise DefinitionError(
            f"{where}: reducer {reducer!r} must be a lambda (e.g. 'lambda *x: max(x)') "
            "or a dotted path to a function (e.g. 'package.module.function')."
        )


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
    unreachable = [n for n, node in graph.nodes.items() if n not in seen and not node.terminal]
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
