"""Run logs written straight into a file-system store: shapes a real run rarely produces on demand."""

from __future__ import annotations

from pathlib import Path

from runnable.stores.records import Attempt, RunLog, StepLog
from runnable.stores.run_log import FileSystemRunLogStore

T0 = "2026-01-01T00:00:00.000000+00:00"


def stamp(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"2026-01-01T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}000+00:00"


def task(internal: str, start: int, end: int | None, status: str = "SUCCESS", **params) -> StepLog:
    name = internal.rsplit(".", 1)[-1]
    attempt = Attempt(1, status, stamp(start), stamp(end) if end is not None else "",
                      input_parameters={k: {"kind": "json", "value": v} for k, v in params.items()},
                      output_parameters={"out": {"kind": "json", "value": 1}} if end is not None else {})
    return StepLog(name=name, internal_name=internal, type="task", status=status, attempts=[attempt])


def write_run(project: Path, run_id: str, steps: list[StepLog], status: str = "SUCCESS", end: int | None = 1000,
              name: str = "") -> None:
    store = FileSystemRunLogStore(project / ".run_log_store")
    run = RunLog(run_id=run_id, kind="pipeline", status=status, name=name, start_time=T0,
                 end_time=stamp(end) if end is not None else "")
    store.create_run(run, "{}")
    for step in steps:
        store.put_step(run_id, step)
    store.close()


def big_map(items: int) -> list[StepLog]:
    """A Map of ``items`` one-step branches, item 7 failed."""
    steps = [task("prepare", 0, 5)]
    branches = {f"fan.{i}": ("FAIL" if i == 7 else "SUCCESS") for i in range(items)}
    fan = StepLog(name="fan", internal_name="fan", type="map", status="FAIL", branches=branches,
                  attempts=[Attempt(1, "FAIL", stamp(10), stamp(10 + items))])
    steps.append(fan)
    for i in range(items):
        steps.append(task(f"fan.{i}.work", 10 + i, 11 + i, branches[f"fan.{i}"], item=i))
    return steps
