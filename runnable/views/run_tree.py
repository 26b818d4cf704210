"""A run as a tree: steps in the order they started, composites holding their branches.

Step records are flat, named by their path (``outer.1.fan.maps.inner.2.square``); a composite's record
lists its branches (``outer.1``). The tree is rebuilt from those two facts, so it needs no definition,
and the definition (when the run kept it) only adds each task's command.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from runnable.stores.records import RunLog, StepLog

COMPOSITES = ("parallel", "map", "conditional", "loop")


_DAYS: dict[str, float] = {}


def seconds(stamp: str) -> float | None:
    """Epoch seconds of a record's timestamp; None when it has none (a step still running).

    Records are written as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``; those are read by slicing (a 10,000-step
    page reads 20,000 of them), anything else by ``datetime``.
    """
    if not stamp:
        return None
    if len(stamp) == 32 and stamp.endswith("+00:00") and stamp[10] == "T" and stamp[19] == ".":
        day = _DAYS.get(stamp[:10])
        try:
            if day is None:
                day = _DAYS[stamp[:10]] = datetime.fromisoformat(stamp[:10] + "T00:00:00+00:00").timestamp()
            return day + int(stamp[11:13]) * 3600 + int(stamp[14:16]) * 60 + int(stamp[17:19]) + int(stamp[20:26]) / 1e6
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def duration(start: str, end: str) -> float | None:
    begin, finish = seconds(start), seconds(end)
    return None if begin is None or finish is None else max(0.0, finish - begin)


def step_duration(step: StepLog) -> float | None:
    """From the first attempt's start to the last attempt's end (retries and back-off included)."""
    if not step.attempts:
        return None
    return duration(step.attempts[0].start_time, step.attempts[-1].end_time)


def human(value: float | None) -> str:
    """A duration people read at a glance: 850ms, 12.3s, 4m05s, 2h03m."""
    if value is None:
        return "-"
    if value < 0.00995:
        return f"{value * 1000:.1f}ms"
    if value < 1:
        return f"{value * 1000:.0f}ms"
    if value < 60:
        return f"{value:.1f}s"
    if value < 3600:
        return f"{int(value // 60)}m{int(value % 60):02d}s"
    return f"{int(value // 3600)}h{int(value % 3600 // 60):02d}m"


class Branch:
    """One branch of a composite (a Parallel key, a Map item, a Loop iteration) and the steps run in it."""

    __slots__ = ("key", "name", "status", "steps")

    def __init__(self, key: str, name: str, status: str) -> None:
        self.key, self.name, self.status = key, name, status
        self.steps: list[StepNode] = []


class StepNode:
    """A step record with its branches (composites) and its task command (when the IR is known)."""

    __slots__ = ("record", "branches", "command")

    def __init__(self, record: StepLog, command: str = "") -> None:
        self.record = record
        self.branches: list[Branch] = []
        self.command = command

    @property
    def duration(self) -> float | None:
        return step_duration(self.record)


def build_tree(run: RunLog, definition: Any = None) -> list[StepNode]:
    """The run's top-level steps, each composite holding its branches and their steps."""
    nodes = {name: StepNode(record, _command(definition, name)) for name, record in run.steps.items()}
    branches: dict[str, Branch] = {}
    for node in nodes.values():
        prefix = node.record.internal_name + "."
        for branch_name, status in node.record.branches.items():
            key = branch_name[len(prefix):] if branch_name.startswith(prefix) else branch_name
            branch = Branch(key, branch_name, status)
            branches[branch_name] = branch
            node.branches.append(branch)
    roots: list[StepNode] = []
    for node in nodes.values():  # the store returns steps in the order they started
        owner = node.record.internal_name.rpartition(".")[0]
        branch = branches.get(owner)
        if branch is None and owner:
            branch = _adopt(owner, nodes, branches)
        (branch.steps if branch is not None else roots).append(node)
    return roots


def _adopt(owner: str, nodes: dict[str, StepNode], branches: dict[str, Branch]) -> Branch | None:
    """A branch whose composite has not recorded it yet (a run in progress): hang it under the composite."""
    composite, _, key = owner.rpartition(".")
    parent = nodes.get(composite)
    if parent is None:
        return None
    branch = branches[owner] = Branch(key, owner, "PROCESSING")
    parent.branches.append(branch)
    return branch


def walk(steps: list[StepNode], depth: int = 0) -> Iterator[tuple[int, StepNode | Branch]]:
    """Depth-first: each step, then its branches and their steps."""
    for step in steps:
        yield depth, step
        for branch in step.branches:
            yield depth + 1, branch
            yield from walk(branch.steps, depth + 2)


def _command(definition: Any, internal_name: str) -> str:
    """The task's command from the IR, found by walking the step's path through the graph."""
    if definition is None:
        return ""
    if definition.graph is None:
        task = definition.job
        return f"{task.kind}: {task.command}" if task is not None else ""
    graph, parts, index = definition.graph, internal_name.split("."), 0
    while index < len(parts):
        node = graph.nodes.get(parts[index])
        if node is None:
            return ""
        index += 1
        if index == len(parts):
            task = getattr(node, "task", None)
            return f"{task.kind}: {task.command}" if task is not None else ""
        key = parts[index]
        index += 1
        branch = getattr(node, "branch", None)
        if branch is None:
            branch = (getattr(node, "branches", None) or {}).get(key) or getattr(node, "default", None)
        if branch is None:
            return ""
        graph = branch
    return ""
