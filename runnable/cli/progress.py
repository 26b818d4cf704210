"""Live progress of a run: one status area on a terminal, one line per event everywhere else.

On a terminal (and with ``rich`` installed, the ``progress`` extra) a live area at the bottom
shows steps done of the definition's task steps, the running steps, each fan-out's branches
done of total, failures and the elapsed time, while task output scrolls above it. Anywhere
else (a pipe, a CI log, ``--plain``) each step start and end is one plain line on stderr, so
logs stay readable and hold no control codes. ``RUNNABLE_PROGRESS=off|plain|live`` chooses
for ``execute()`` callers too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any, Iterator

from runnable.runtime import events

MODES = ("auto", "live", "plain", "off")


class RunProgress:
    """What the display shows, updated from run events."""

    def __init__(self) -> None:
        self.run_id = ""
        self.name = ""
        self.total = 0
        self.done = 0
        self.skipped = 0
        self.failed: list[str] = []
        self.running: dict[str, float] = {}  # step -> started
        self.types: dict[str, str] = {}  # step -> node type
        self.fan_outs: dict[str, list[int]] = {}  # composite step -> [branches done, total]
        self.started = time.time()
        self.status = ""
        self.branches_done = self.branches_total = 0

    def update(self, event: events.Event) -> None:
        kind = event.kind
        if kind == events.RUN_STARTED:
            self.run_id, self.total, self.name, self.started = event.run_id, event.total, event.detail, event.at
        elif kind == events.STEP_STARTED:
            self.running[event.step] = event.at
            self.types[event.step] = event.detail
        elif kind == events.STEP_FINISHED:
            self.running.pop(event.step, None)
            self.fan_outs.pop(event.step, None)
            if self.types.pop(event.step, "task") == "task":
                self.done += event.status == "SUCCESS"
            if event.status != "SUCCESS":
                self.failed.append(event.step)
        elif kind == events.STEP_SKIPPED:
            self.skipped += 1
        elif kind == events.FANNED_OUT:
            self.fan_outs[event.step] = [0, event.total]
            self.branches_total += event.total
        elif kind == events.BRANCH_FINISHED:
            self.branches_done += 1
            if event.step in self.fan_outs:
                self.fan_outs[event.step][0] += 1
        elif kind == events.RUN_FINISHED:
            self.status = event.status
            self.running.clear()

    def summary(self) -> str:
        elapsed = time.time() - self.started
        parts = [f"{self.done} task steps done"] + ([f"{self.skipped} skipped"] if self.skipped else [])
        if self.branches_total:
            parts.append(f"{self.branches_done}/{self.branches_total} branches")
        parts += [f"{len(self.failed)} failed"] if self.failed else []
        ending = f" {self.status}" if self.status else ""
        return f"run {self.run_id}{ending}: " + ", ".join(parts) + f", {elapsed:.1f}s"


class PlainProgress:
    """One line per step on stderr: readable in CI logs and pipes."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.state = RunProgress()

    def __call__(self, event: events.Event) -> None:
        self.state.update(event)
        line = ""
        if event.kind == events.RUN_STARTED:
            line = f"run {event.run_id} started: {self.state.total} task steps"
        elif event.kind == events.STEP_STARTED:
            line = f"started   {event.step}"
        elif event.kind == events.STEP_FINISHED:
            line = f"{event.status.lower():<9} {event.step}"
        elif event.kind == events.ATTEMPT_FINISHED and event.status != "SUCCESS":
            line = f"attempt {event.attempt} of {event.step} failed"
        elif event.kind == events.FANNED_OUT:
            line = f"fan-out   {event.step}: {event.total} branches"
        if line:
            self.stream.write(f"[{time.strftime('%H:%M:%S', time.localtime(event.at))}] {line}\n")
            self.stream.flush()


class LiveProgress:
    """A rich live area under the task output; refreshed a few times a second, not per event."""

    def __init__(self, console: Any) -> None:
        from rich.live import Live

        self.state = RunProgress()
        self.live = Live(self, console=console, refresh_per_second=8, transient=False,
                         redirect_stdout=True, redirect_stderr=True)

    def __call__(self, event: events.Event) -> None:
        self.state.update(event)

    def __rich__(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        state = self.state
        table = Table.grid(padding=(0, 1))
        table.add_row(Text(state.summary(), style="bold"))
        now = time.time()
        for step, began in list(state.running.items())[-6:]:
            table.add_row(Text(f"  running {step} ({now - began:.1f}s)", style="cyan"))
        for step, (done, total) in list(state.fan_outs.items())[-4:]:
            table.add_row(Text(f"  {step}: {done}/{total} branches done", style="magenta"))
        if state.failed:
            table.add_row(Text(f"  failed: {', '.join(state.failed[-5:])}", style="red"))
        return table


def chosen_mode(mode: str = "") -> str:
    """live, plain or off: the option, else RUNNABLE_PROGRESS, else live on a terminal."""
    mode = (mode or os.environ.get("RUNNABLE_PROGRESS", "") or "auto").lower()
    if mode not in MODES:
        from runnable.ir.errors import ConfigError

        raise ConfigError(f"Progress display {mode!r} is not one of {', '.join(MODES)}.")
    if mode == "auto":
        mode = "live" if sys.stderr.isatty() and os.environ.get("TERM") != "dumb" else "plain"
    if mode == "live":
        try:
            import rich  # noqa: F401
        except ImportError:
            mode = "plain"  # the 'progress' extra is not installed
    return mode


@contextlib.contextmanager
def showing_progress(mode: str = "") -> Iterator[None]:
    """Show the progress of the runs started inside this block."""
    chosen = chosen_mode(mode)
    if chosen == "off" or events.watched():  # nested execute() calls share the outer display
        yield
        return
    if chosen == "plain":
        stop = events.watch(PlainProgress(sys.stderr))
        try:
            yield
        finally:
            stop()
        return
    from rich.console import Console

    display = LiveProgress(Console(file=sys.stderr))
    stop = events.watch(display)
    try:
        with display.live:
            yield
    finally:
        stop()
