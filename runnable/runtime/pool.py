"""Running the branches of a composite step, one after another or in worker processes.

With ``enable_parallel``, Parallel branches and Map items run in a pool of forked
processes rather than threads: Python tasks run in-process, redirect ``sys.stdout``
and set environment variables (secrets, loop indices), which threads would share, and
CPU-bound tasks would serialise on the GIL. Forked workers start with the parent's
modules already imported, so a worker costs a few milliseconds, not an interpreter
start. Each worker writes its own step records (one file per step, atomic renames),
so concurrent writers never conflict. Composites nested inside a worker run sequentially.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from runnable.ir.model import Graph
from runnable.runtime.scope import Scope
from runnable.stores.records import FAIL, SUCCESS

if TYPE_CHECKING:
    from runnable.runtime.local import GraphWalker

Result = tuple[str, str, Any]

# What forked workers need; set just before the pool forks them.
_FORK_STATE: tuple["GraphWalker", str, list[tuple[str, Graph, Scope]]] | None = None


def run_branches(walker: "GraphWalker", internal: str, children: list[tuple[str, Graph, Scope]],
                 fail_fast: bool) -> list[Result]:
    workers = walker.ctx.parallel_workers
    if workers <= 1 or walker.in_worker or len(children) <= 1:
        return _sequential(walker, internal, children, fail_fast)
    return _in_processes(walker, internal, children, fail_fast, workers)


def _sequential(walker: "GraphWalker", internal: str, children: list[tuple[str, Graph, Scope]],
                fail_fast: bool) -> list[Result]:
    results: list[Result] = []
    for key, graph, scope in children:
        status = walker.run(graph, f"{internal}.{key}.", scope)
        results.append((key, status, scope.returned))
        if fail_fast and status != SUCCESS:
            break
    return results


def _run_child(index: int) -> tuple[int, str, Any]:
    assert _FORK_STATE is not None
    walker, internal, children = _FORK_STATE
    walker.in_worker = True
    key, graph, scope = children[index]
    try:
        status = walker.run(graph, f"{internal}.{key}.", scope)
    except Exception as exc:  # a runtime failure inside the worker fails this branch only
        sys.stderr.write(f"{internal}.{key}: {type(exc).__name__}: {exc}\n")
        status = FAIL
    return index, status, scope.returned


def _in_processes(walker: "GraphWalker", internal: str, children: list[tuple[str, Graph, Scope]],
                  fail_fast: bool, workers: int) -> list[Result]:
    import multiprocessing
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    global _FORK_STATE
    sys.stdout.flush()
    sys.stderr.flush()
    _FORK_STATE = (walker, internal, children)
    outcomes: dict[int, tuple[str, Any]] = {}
    pool = ProcessPoolExecutor(max_workers=min(workers, len(children)), mp_context=multiprocessing.get_context("fork"))
    try:
        pending = {pool.submit(_run_child, index) for index in range(len(children))}
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            stop = False
            for future in done:
                try:
                    index, status, returned = future.result()
                except BrokenProcessPool:
                    continue  # a worker died (killed, out of memory): its branch counts as failed
                outcomes[index] = (status, returned)
                stop = stop or (fail_fast and status != SUCCESS)
            if stop:
                for future in pending:
                    future.cancel()
                break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _FORK_STATE = None
    results: list[Result] = []
    for index, (key, _, _) in enumerate(children):
        if index in outcomes:
            status, returned = outcomes[index]
            results.append((key, status, returned))
        elif not fail_fast:
            results.append((key, FAIL, {}))
    return results
