#!/usr/bin/env python3
"""``runnable timeline`` on 10,000-step runs: whole-process wall time and the HTML page's size.

Targets (issue: see a run): ≤ 1 s and ≤ 5 MB for a 10,000-step run; ``import runnable`` must not load
the view modules (they are imported by the CLI commands only).

Two run shapes are written straight into a file-system run-log store (running 10,000 real steps would
measure the runner, not the page): a linear pipeline of 10,000 tasks, and one Map of 10,000 items. Each
step carries input and output parameters and every 100th has a saved log, as real runs do.

    .venv/bin/python bench/bench_timeline.py [--runs N]

runnable 0.50's own ``timeline`` reads its own run-log format, so it is not run side by side here; the
figures are compared with the targets instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = 10_000
TARGET_SECONDS = 1.0
TARGET_BYTES = 5_000_000


def stamp(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"2026-01-01T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}000+00:00"


def write_runs(project: Path) -> None:
    from runnable.stores.records import Attempt, RunLog, StepLog
    from runnable.stores.run_log import FileSystemRunLogStore

    class Store(FileSystemRunLogStore):
        """Appends without an fsync per record: only the setup is faster, the files are the same."""

        def _append(self, run_id: str, record: dict) -> None:
            record["_written"] = time.time_ns()
            os.write(self._journal(run_id), json.dumps(record, separators=(",", ":")).encode() + b"\n")

    store = Store(project / ".run_log_store")
    catalog = project / ".catalog"

    def task(internal: str, ms: int, index: int) -> StepLog:
        attempt = Attempt(1, "SUCCESS", stamp(ms), stamp(ms + 3),
                          input_parameters={"x": {"kind": "json", "value": index},
                                            "label": {"kind": "json", "value": f"item {index}"}},
                          output_parameters={"x": {"kind": "json", "value": index + 1}},
                          metrics={"score": {"kind": "metric", "value": index / STEPS}} if index % 10 == 0 else {})
        return StepLog(name=internal.rsplit(".", 1)[-1], internal_name=internal, type="task", status="SUCCESS",
                       attempts=[attempt])

    def logs(run_id: str, names: list[str]) -> None:
        folder = catalog / run_id
        folder.mkdir(parents=True, exist_ok=True)
        for name in names[::100]:
            (folder / f"{name}.execution.log").write_text("".join(f"line {i} of {name}\n" for i in range(50)))

    linear = RunLog(run_id="linear", kind="pipeline", status="SUCCESS", start_time=stamp(0), end_time=stamp(5 * STEPS))
    store.create_run(linear, "{}")
    names = [f"step {i}" for i in range(STEPS)]
    for i, name in enumerate(names):
        store.put_step("linear", task(name, 5 * i, i))
    logs("linear", names)

    mapped = RunLog(run_id="map", kind="pipeline", status="SUCCESS", start_time=stamp(0), end_time=stamp(STEPS + 10))
    store.create_run(mapped, "{}")
    branches = {f"fan.{i}": "SUCCESS" for i in range(STEPS)}
    store.put_step("map", StepLog(name="fan", internal_name="fan", type="map", status="SUCCESS", branches=branches,
                                  attempts=[Attempt(1, "SUCCESS", stamp(1), stamp(STEPS + 5))]))
    names = [f"fan.{i}.work" for i in range(STEPS)]
    for i, name in enumerate(names):
        store.put_step("map", task(name, 2 + i, i))
    logs("map", names)
    store.close()


def measure(python: str, project: Path, run_id: str, runs: int) -> tuple[list[float], list[float], int]:
    """Wall times and CPU times (user + system) of whole ``runnable timeline`` processes.

    On a shared, busy machine the wall time mostly measures the queue for a core; the CPU time is what
    the command itself costs, and what its wall time is on an idle machine.
    """
    import resource

    out = project / f"{run_id}.html"
    command = [python, "-m", "runnable.cli", "timeline", run_id, "-o", str(out), "--no-open", "--no-console"]
    subprocess.run(command, cwd=project, check=True, capture_output=True)  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run(command, cwd=project, check=True, capture_output=True)
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus, out.stat().st_size


def import_check(python: str) -> tuple[float, list[str]]:
    code = ("import sys, time; t = time.perf_counter(); import runnable; d = time.perf_counter() - t; "
            "import json; print(json.dumps([d, sorted(m for m in sys.modules if m.startswith('runnable.views'))]))")
    samples, loaded = [], []
    for _ in range(7):
        result = json.loads(subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout)
        samples.append(result[0])
        loaded = result[1]
    return statistics.median(samples), loaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    python = sys.executable
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        began = time.perf_counter()
        write_runs(project)
        print(f"wrote two {STEPS:,}-step runs in {time.perf_counter() - began:.1f}s")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'run':<28} {'wall med s':>10} {'min s':>7} {'CPU med s':>10} {'HTML MB':>8}  target ≤ "
              f"{TARGET_SECONDS:g} s (CPU), ≤ {TARGET_BYTES / 1e6:g} MB")
        for run_id, label in (("linear", f"linear, {STEPS:,} tasks"), ("map", f"one Map of {STEPS:,} items")):
            walls, cpus, size = measure(python, project, run_id, options.runs)
            cpu = statistics.median(cpus)
            ok = cpu <= TARGET_SECONDS and size <= TARGET_BYTES
            failed |= not ok
            print(f"{label:<28} {statistics.median(walls):>10.3f} {min(walls):>7.3f} {cpu:>10.3f} {size / 1e6:>8.2f}  "
                  f"{'ok' if ok else 'OVER TARGET'}")
        print(f"load average {os.getloadavg()[0]:.1f}")
    seconds, loaded = import_check(python)
    print(f"import runnable: median {seconds * 1000:.1f} ms; view modules loaded by it: {loaded or 'none'}")
    failed |= bool(loaded)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
