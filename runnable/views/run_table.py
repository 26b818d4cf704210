"""``runnable runs`` and ``runnable show``: the run list with filters and durations, one run's step times."""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

from runnable.ir.errors import RunnableError
from runnable.stores.records import RunLog
from runnable.views.run_tree import duration, human, seconds, step_duration

SAY = Callable[[str], None]
STATUSES = ("SUCCESS", "FAIL", "PROCESSING", "CREATED")
_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SLOWEST = 5


def parse_since(text: str, now: float | None = None) -> float:
    """Epoch seconds from '90m', '2h', '3d', '1w' (ago) or an ISO date/time such as 2026-05-01 or 2026-05-01T12:00."""
    found = _AGO.match(text.strip().lower())
    if found:
        return (time.time() if now is None else now) - float(found.group(1)) * _UNIT[found.group(2)]
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RunnableError(f"--since {text!r}: give an age such as 30m, 12h, 7d or 2w, or a date such as "
                            "2026-05-01 or 2026-05-01T12:00 (UTC unless it says otherwise).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def run_duration(run: RunLog) -> float | None:
    return duration(run.start_time, run.end_time) if run.end_time else None


def select_runs(runs: list[RunLog], statuses: tuple[str, ...] = (), tag: str = "", since: str = "",
                limit: int = 0) -> list[RunLog]:
    """Runs matching every filter, oldest first; ``limit`` keeps the most recent ones."""
    wanted = {s.upper() for s in statuses}
    unknown = wanted - set(STATUSES) - {"RUNNING"}
    if unknown:
        raise RunnableError(f"--status {', '.join(sorted(unknown))}: use {', '.join(STATUSES)} (or RUNNING).")
    if "RUNNING" in wanted:
        wanted |= {"PROCESSING", "CREATED"}
    if limit < 0:
        raise RunnableError("--limit must be 0 (no limit) or more.")
    after = parse_since(since) if since else None
    chosen = [run for run in runs
              if (not wanted or run.status in wanted) and (not tag or run.tag == tag)
              and (after is None or (seconds(run.start_time) or 0.0) >= after)]
    return chosen[-limit:] if limit else chosen


def run_row(run: RunLog) -> dict[str, Any]:
    return {"run_id": run.run_id, "kind": run.kind, "status": run.status, "name": run.name, "tag": run.tag,
            "start_time": run.start_time, "end_time": run.end_time, "duration_seconds": run_duration(run),
            "executor": run.executor}


def print_runs(runs: list[RunLog], as_json: bool, say: SAY) -> None:
    if as_json:
        say(json.dumps([run_row(run) for run in runs], indent=2, ensure_ascii=False))
        return
    if not runs:
        say("No runs match the filters.")
        return
    rows = [(r.run_id, r.kind, r.status, r.start_time[:19].replace("T", " "),
             human(run_duration(r)) if r.end_time else "running", r.tag, r.name) for r in runs]
    header = ("RUN ID", "KIND", "STATUS", "STARTED (UTC)", "DURATION", "TAG", "NAME")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        say("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())


def slowest_steps(run: RunLog, count: int = SLOWEST) -> list[tuple[str, float]]:
    """The tasks that took longest (a composite's time is its branches' time; stubs and ends take none)."""
    timed = [(step.internal_name, step_duration(step)) for step in run.steps.values() if step.type == "task"]
    known = [(name, took) for name, took in timed if took is not None]
    return sorted(known, key=lambda item: (-item[1], item[0]))[:count]


def show_lines(run: RunLog) -> list[str]:
    """``runnable show``'s text: the header, each step with its duration, the slowest steps, parameters."""
    lines = [f"run {run.run_id}  {run.kind} {run.name}".rstrip(), f"status   {run.status}",
             f"started  {run.start_time}", f"ended    {run.end_time}",
             f"took     {human(run_duration(run)) if run.end_time else 'still running'}"]
    if run.tag:
        lines.append(f"tag      {run.tag}")
    identity = run.code_identity
    if identity:
        lines.append(f"code     {identity.type} {identity.identifier}{' (dirty)' if identity.dirty else ''}")
    lines.append("steps")
    labels = {name: name + (f"  ({len(step.attempts)} attempts)" if len(step.attempts) > 1 else "")
              for name, step in run.steps.items()}
    width = min(60, max((len(label) for label in labels.values()), default=0))
    for step in run.steps.values():
        took = step_duration(step)
        shown = human(took) if took is not None else ("running" if step.status == "PROCESSING" else "-")
        lines.append(f"  {step.status:<8} {labels[step.internal_name]:<{width}}  {shown:>8}")
        if step.message:
            lines.append(f"           {step.message.splitlines()[0]}")
    slowest = slowest_steps(run)
    if len(slowest) > 1:
        lines.append("slowest steps")
        lines += [f"  {human(took):>8}  {name}" for name, took in slowest]
    if run.parameters:
        lines.append("parameters")
        for name, spec in run.parameters.items():
            lines.append(f"  {name} = {json.dumps(spec['value'])}  [{spec['kind']}]")
    return lines
