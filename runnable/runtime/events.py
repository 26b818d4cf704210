"""What a run tells whoever watches it: live progress, traces, streaming callers.

The runtime emits an :class:`Event` at each run, step and attempt boundary, and when a
composite fans out or one of its branches ends. Watchers subscribe for the length of a
run; with none subscribed an emit is one truth test, so runs that nobody watches pay
nothing. A watcher that raises is dropped with a warning rather than failing the run.
Forked workers (``enable_parallel``) emit in their own process, where nobody listens: the
parent still sees each composite's fan-out and each branch as it ends.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, NamedTuple

RUN_STARTED, RUN_FINISHED = "run-started", "run-finished"
STEP_STARTED, STEP_FINISHED, STEP_SKIPPED = "step-started", "step-finished", "step-skipped"
ATTEMPT_STARTED, ATTEMPT_FINISHED = "attempt-started", "attempt-finished"
FANNED_OUT, BRANCH_FINISHED = "fanned-out", "branch-finished"


class Event(NamedTuple):
    kind: str
    run_id: str = ""
    step: str = ""  # internal (dotted) name
    status: str = ""
    attempt: int = 0
    total: int = 0  # run-started: task steps in the definition; fanned-out: branches
    detail: str = ""  # run-started: the definition's name; step-started: node type; branch-finished: key
    at: float = 0.0  # time.time()


Watcher = Callable[[Event], None]
_watchers: list[Watcher] = []


def watch(watcher: Watcher) -> Callable[[], None]:
    """Subscribe ``watcher``; returns the call that unsubscribes it."""
    _watchers.append(watcher)

    def stop() -> None:
        if watcher in _watchers:
            _watchers.remove(watcher)

    return stop


def stop_watching_here() -> None:
    """In a forked worker: the watchers copied from the parent must not report twice."""
    _watchers.clear()


def watched() -> bool:
    return bool(_watchers)


def emit(kind: str, run_id: str = "", step: str = "", status: str = "", attempt: int = 0, total: int = 0,
         detail: str = "") -> None:
    if not _watchers:
        return
    event = Event(kind, run_id, step, status, attempt, total, detail, time.time())
    for watcher in list(_watchers):
        try:
            watcher(event)
        except Exception as exc:  # a broken display must not break the run
            _watchers.remove(watcher)
            print(f"runnable: a run watcher failed and was stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
