"""Parallel, Map, Conditional and Loop: how branches get parameters and what flows back.

Every branch starts from a copy of the enclosing parameters (runnable 0.50 gave
Parallel and Map branches none). What a branch returns flows back only when the whole
composite step succeeds; a failed composite changes no parameter.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from runnable.ir.errors import RunnableError
from runnable.ir.model import ConditionalNode, Graph, LoopNode, MapNode, Node, ParallelNode
from runnable.runtime import events
from runnable.runtime.parameters import Parameters
from runnable.runtime.reduce import reduce_map_results
from runnable.runtime.scope import Scope
from runnable.stores.records import FAIL, SUCCESS, Attempt, StepLog, now

if TYPE_CHECKING:
    from runnable.runtime.local import GraphWalker


class CompositeError(RunnableError):
    """A composite step could not run its branches (bad parameter, reducer failure...)."""


def run_parallel(walker: "GraphWalker", node: ParallelNode, internal: str, scope: Scope) -> str:
    """All branches run; their returns merge in branch order (a later branch wins a name)."""
    started = now()
    children = [(key, graph, scope.child()) for key, graph in node.branches.items()]
    events.emit(events.FANNED_OUT, walker.ctx.run_id, internal, total=len(children))
    results = walker.run_branches(internal, children, node.fail_fast, node.max_parallel)
    merged: Parameters = {}
    for _, status, returned in results:
        if status == SUCCESS:
            merged.update(returned)
    return _finish(walker, node, internal, scope, started, results, merged, len(children))


def run_map(walker: "GraphWalker", node: MapNode, internal: str, scope: Scope) -> str:
    started = now()
    try:
        items = _items(node, scope)
    except CompositeError as exc:
        return _fail(walker, node, internal, started, str(exc))
    children = [(str(index), node.branch, _item_scope(node, scope, item)) for index, item in enumerate(items)]
    events.emit(events.FANNED_OUT, walker.ctx.run_id, internal, total=len(children))
    results = walker.run_branches(internal, children, False, node.max_parallel)
    merged: Parameters = {}
    if all(status == SUCCESS for _, status, _ in results):
        try:
            merged = reduce_map_results(walker.ctx, node, internal, results)
        except RunnableError as exc:
            return _fail(walker, node, internal, started, str(exc), results)
    return _finish(walker, node, internal, scope, started, results, merged, len(children))


def run_conditional(walker: "GraphWalker", node: ConditionalNode, internal: str, scope: Scope) -> str:
    started = now()
    try:
        key, graph = _chosen_branch(node, scope)
    except CompositeError as exc:
        return _fail(walker, node, internal, started, str(exc))
    walker.ctx.say(f"  {internal}: {node.parameter} selects branch {key!r}")
    results = walker.run_branches(internal, [(key, graph, scope.child())], False)
    merged = results[0][2] if results[0][1] == SUCCESS else {}
    return _finish(walker, node, internal, scope, started, results, merged, 1)


def run_loop(walker: "GraphWalker", node: LoopNode, internal: str, scope: Scope) -> str:
    """Do-while: the branch runs, then ``break_on`` is read; parameters carry across iterations."""
    started = now()
    loop_scope = scope.child()
    results: list[tuple[str, str, Any]] = []
    for index in range(node.max_iterations):
        loop_scope.env[node.index_as] = str(index)
        status = walker.run(node.branch, f"{internal}.{index}.", loop_scope)
        results.append((str(index), status, loop_scope.returned))
        if status != SUCCESS:
            break
        try:
            if _break_flag(node, loop_scope, index):
                break
        except CompositeError as exc:
            return _fail(walker, node, internal, started, str(exc), results)
    merged = loop_scope.returned if all(s == SUCCESS for _, s, _ in results) else {}
    return _finish(walker, node, internal, scope, started, results, merged, len(results))


def descend(walker: "GraphWalker", node: Node, internal: str, scope: Scope, target: str) -> str:
    """Enter only the branch of ``node`` that holds ``target``, with that branch's scope.

    Used when one step inside a composite runs on its own (a container per step): the
    branch scope is rebuilt exactly as the composite would build it, replaying earlier
    loop iterations from their records.
    """
    key = target[len(internal) + 1:].split(".", 1)[0]
    where = f"Step {target!r}"
    if isinstance(node, (ParallelNode, ConditionalNode)) and key in node.graphs():
        graph, child = node.graphs()[key], scope.child()
    elif isinstance(node, MapNode) and key.isdigit():
        items = _items(node, scope)
        if int(key) >= len(items):
            raise CompositeError(f"{where}: map {node.name!r} has {len(items)} items, no item {key}.")
        graph, child = node.branch, _item_scope(node, scope, items[int(key)])
    elif isinstance(node, LoopNode) and key.isdigit():
        graph, child = node.branch, scope.child()
        for index in range(int(key)):  # earlier iterations carry their parameters forward
            child.env[node.index_as] = str(index)
            walker.run(node.branch, f"{internal}.{index}.", child)
        child.env[node.index_as] = key
    else:
        raise CompositeError(f"{where}: {node.type} step {node.name!r} has no branch {key!r}.")
    status = walker.run(graph, f"{internal}.{key}.", child)
    from runnable.runtime.local import NotOnPathError

    raise NotOnPathError(f"{where} is not on the path this run took through {node.name!r} (it ended {status}).")


def decision(walker: "GraphWalker", node: Node, internal: str, scope: Scope) -> dict[str, Any]:
    """What a scheduler needs to fan a composite out: map items, the chosen branch, loop again?

    A decision never fails: when the composite cannot go on (no list to map over, no
    branch matches) it fans out to nothing, and the step itself, run afterwards, records
    the error the same way a local run does.
    """
    try:
        if isinstance(node, MapNode):
            items = _items(node, scope)
            return {"items": items, "indices": list(range(len(items)))}
        if isinstance(node, ConditionalNode):
            key, _ = _chosen_branch(node, scope)
            keys = list(node.branches)  # the default branch comes after the named ones
            return {"branch": key, "branch_index": keys.index(key) if key in keys else len(keys)}
        if isinstance(node, ParallelNode):
            return {"branches": list(node.branches)}
        if isinstance(node, LoopNode):
            return _loop_decision(walker, node, internal, scope)
    except CompositeError as exc:
        return {"items": [], "indices": [], "branch": "", "branch_index": -1, "again": False, "next": 0,
                "error": str(exc)}
    raise CompositeError(f"Step {node.name!r}: a {node.type} step has no fan-out decision.")


def _loop_decision(walker: "GraphWalker", node: LoopNode, internal: str, scope: Scope) -> dict[str, Any]:
    """Replay the recorded iterations; the next one runs unless the last broke, failed or was the last allowed."""
    child = scope.child()
    recorded = walker.ctx.previous_steps
    for index in range(node.max_iterations):
        prefix = f"{internal}.{index}."
        if not any(name.startswith(prefix) for name in recorded):
            return {"again": True, "next": index}
        child.env[node.index_as] = str(index)
        if walker.run(node.branch, prefix, child) != SUCCESS or _break_flag(node, child, index):
            return {"again": False, "next": index + 1}
    return {"again": False, "next": node.max_iterations}


# -- helpers -----------------------------------------------------------------------------


def _item_scope(node: MapNode, scope: Scope, item: Any) -> Scope:
    """A map item's scope: the enclosing parameters plus ``iterate_as``."""
    return scope.child({node.iterate_as: {"kind": "json", "value": item}})


def _items(node: MapNode, scope: Scope) -> list[Any]:
    where = f"Map {node.name!r}"
    if node.iterate_on not in scope.values:
        raise CompositeError(
            f"{where}: iterate_on parameter {node.iterate_on!r} is not set; available: "
            f"{', '.join(sorted(scope.values)) or 'none'}."
        )
    spec = scope.values[node.iterate_on]
    value = spec.get("value")
    if spec.get("kind") == "object" or not isinstance(value, list):
        shown = "an object" if spec.get("kind") == "object" else type(value).__name__
        raise CompositeError(f"{where}: iterate_on parameter {node.iterate_on!r} must be a list, got {shown}.")
    return value


def _chosen_branch(node: ConditionalNode, scope: Scope) -> tuple[str, Graph]:
    where = f"Conditional {node.name!r}"
    if node.parameter not in scope.values:
        raise CompositeError(f"{where}: parameter {node.parameter!r} is not set.")
    spec = scope.values[node.parameter]
    value = spec.get("value")
    if spec.get("kind") == "object" or not isinstance(value, (str, int, float, bool)):
        shown = "an object" if spec.get("kind") == "object" else type(value).__name__
        raise CompositeError(
            f"{where}: parameter {node.parameter!r} must be a string, number or boolean to choose a branch, "
            f"got {shown}."
        )
    key = str(value)
    if key in node.branches:
        return key, node.branches[key]
    if node.default is not None:
        return "default", node.default
    raise CompositeError(
        f"{where}: no branch matches {node.parameter}={value!r} (branches: {', '.join(node.branches)}) "
        "and there is no default branch."
    )


def _break_flag(node: LoopNode, scope: Scope, index: int) -> bool:
    where = f"Loop {node.name!r}"
    if node.break_on not in scope.values:
        raise CompositeError(f"{where}: iteration {index} did not set break_on parameter {node.break_on!r}.")
    value = scope.values[node.break_on].get("value")
    if not isinstance(value, bool):
        raise CompositeError(
            f"{where}: break_on parameter {node.break_on!r} must be a boolean, got {type(value).__name__} {value!r}."
        )
    return value


def _finish(
    walker: "GraphWalker",
    node: Node,
    internal: str,
    scope: Scope,
    started: str,
    results: list[tuple[str, str, Any]],
    merged: Parameters,
    expected: int,
) -> str:
    ok = len(results) == expected and all(status == SUCCESS for _, status, _ in results)
    message = ""
    if not ok:
        failed = [key for key, status, _ in results if status != SUCCESS]
        skipped = expected - len(results)
        message = f"branches failed: {', '.join(failed) or 'none'}" + (f"; {skipped} not run" if skipped > 0 else "")
    if ok:
        scope.update(merged)
    _record(walker, node, internal, started, SUCCESS if ok else FAIL, message, results, merged if ok else {})
    return SUCCESS if ok else FAIL


def _fail(walker: "GraphWalker", node: Node, internal: str, started: str, message: str,
          results: list[tuple[str, str, Any]] | None = None) -> str:
    sys.stderr.write(message + "\n")
    _record(walker, node, internal, started, FAIL, message, results or [])
    return FAIL


def _record(walker: "GraphWalker", node: Node, internal: str, started: str, status: str, message: str,
            results: list[tuple[str, str, Any]], outputs: Parameters | None = None) -> None:
    """The composite's own record; its outputs are what it merged back, so a replay or a
    retry can skip a composite that succeeded as it skips a task."""
    ctx = walker.ctx
    previous = ctx.previous_steps.get(internal)
    attempts = list(previous.attempts) if previous else []
    attempts.append(Attempt(len(attempts) + 1, status, started, now(), message, output_parameters=outputs or {}))
    step = StepLog(
        name=node.name,
        internal_name=internal,
        type=node.type,
        status=status,
        message=message,
        attempts=attempts,
        branches={f"{internal}.{key}": s for key, s, _ in results},
    )
    ctx.store.put_step(ctx.run_id, step)
