"""The console tree of ``runnable timeline``: status, duration and command per step, nested by branch.

A composite with many branches (a 10,000-item Map) shows its first few and its failed ones, then one
summary line, so the tree stays readable in a terminal.
"""

from __future__ import annotations

from collections import Counter

from runnable.stores.records import RunLog
from runnable.views.run_tree import Branch, StepNode, duration, human

MARKS = {"SUCCESS": "✔", "FAIL": "✘", "PROCESSING": "…", "CREATED": "·"}
SHOWN_BRANCHES = 10


def tree_lines(run: RunLog, steps: list[StepNode], ascii_only: bool = False) -> list[str]:
    """The whole tree as lines of text."""
    total = human(duration(run.start_time, run.end_time)) if run.end_time else "running"
    lines = [f"run {run.run_id}  {run.kind} {run.name}".rstrip() + f"  {run.status}  {total}"]
    _steps(lines, steps, "", ascii_only)
    return lines


def _glyphs(ascii_only: bool) -> tuple[str, str, str, str]:
    return ("|-- ", "`-- ", "|   ", "    ") if ascii_only else ("├─ ", "└─ ", "│  ", "   ")


def _mark(status: str, ascii_only: bool) -> str:
    return status if ascii_only else f"{MARKS.get(status, '?')} {status}"


def _steps(lines: list[str], steps: list[StepNode], indent: str, ascii_only: bool) -> None:
    tee, corner, bar, blank = _glyphs(ascii_only)
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        record = step.record
        kind = f" [{record.type}]" if record.type != "task" else ""
        text = f"{_mark(record.status, ascii_only)}  {record.name}{kind}  {human(step.duration)}"
        if step.command:
            text += f"  {step.command}"
        if record.mock:
            text += "  (mocked)"
        lines.append(indent + (corner if last else tee) + text)
        inner = indent + (blank if last else bar)
        if len(record.attempts) > 1:
            for attempt in record.attempts:
                took = human(duration(attempt.start_time, attempt.end_time))
                note = f"  {attempt.message.splitlines()[0]}" if attempt.message else ""
                lines.append(f"{inner}  attempt {attempt.number}: {attempt.status} {took}{note}")
        elif record.status == "FAIL" and record.message:
            lines.append(f"{inner}  {record.message.splitlines()[0]}")
        _branches(lines, step.branches, inner, ascii_only)


def _branches(lines: list[str], branches: list[Branch], indent: str, ascii_only: bool) -> None:
    tee, corner, bar, blank = _glyphs(ascii_only)
    shown = branches
    hidden: list[Branch] = []
    if len(branches) > SHOWN_BRANCHES:
        shown = [b for i, b in enumerate(branches) if i < SHOWN_BRANCHES or b.status == "FAIL"]
        hidden = [b for i, b in enumerate(branches) if not (i < SHOWN_BRANCHES or b.status == "FAIL")]
    for position, branch in enumerate(shown):
        last = position == len(shown) - 1 and not hidden
        lines.append(indent + (corner if last else tee) + f"{branch.key}")
        _steps(lines, branch.steps, indent + (blank if last else bar), ascii_only)
    if hidden:
        counts = Counter(b.status for b in hidden)
        summary = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
        lines.append(indent + corner + f"... {len(hidden)} more branches ({summary})")
