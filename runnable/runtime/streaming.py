"""Events of a run for a caller that streams them (runnable's event dicts) (``AsyncPipeline.execute_streaming``).

The run itself stays synchronous and runs in a worker thread; the caller's event loop
receives events through a :class:`Sink`. Without a sink (every run that is not streamed)
emitting costs one context-variable read. Events from other processes (forked branch
workers, containers) are not streamed: their steps run to completion and are recorded
as usual.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

TASK_STARTED = "task_started"
TASK_COMPLETED = "task_completed"
TASK_ERROR = "task_error"
ITEM = "item"
RUN_FINISHED = "run_finished"


class Sink:
    """Where events go, and the event loop async tasks are run on while the run is streamed."""

    def __init__(self, put: Callable[[dict[str, Any]], None], loop: Any = None) -> None:
        self.put = put
        self.loop = loop
        self.pid = os.getpid()

    def here(self) -> bool:
        """Whether this process is the one that streams (a forked worker is not)."""
        return os.getpid() == self.pid

    def usable_loop(self) -> Any:
        """The caller's running loop, when a coroutine may be handed to it from this thread."""
        loop = self.loop
        if loop is None or not self.here() or not loop.is_running() or loop.is_closed():
            return None
        import _thread  # not threading: a run that is not streamed never needs it

        if getattr(loop, "_thread_id", None) == _thread.get_ident():
            return None  # this thread runs the loop: it cannot also wait for it
        return loop


_current: ContextVar[Sink | None] = ContextVar("runnable_event_sink", default=None)


def current() -> Sink | None:
    sink = _current.get()
    return sink if sink is not None and sink.here() else None


def emit(event: dict[str, Any]) -> None:
    sink = current()
    if sink is not None:
        sink.put(event)


@contextmanager
def streaming(sink: Sink | None) -> Iterator[None]:
    """Send the events of what runs inside to ``sink`` (nothing changes when it is None)."""
    if sink is None:
        yield
        return
    token = _current.set(sink)
    try:
        yield
    finally:
        _current.reset(token)
