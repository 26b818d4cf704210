#!/usr/bin/env python3
"""Whole-process benchmark of Map: our ``runnable`` side by side with ``runnable==0.50.0``.

    bash bench/setup.sh && .venv/bin/python bench/bench_control_flow.py

Figures:
- Map over 1 and 20 trivial items, run sequentially, both packages, alternating pairwise;
  per-item overhead is (t20 - t1) / 19.
- Map over 1000 items that each sleep 20 ms, with ``enable_parallel`` and 8 workers (ours
  only: the target is against the ideal 1000 x 20 ms / 8 = 2.5 s, not against runnable).

Standard library only; shares its process-timing helpers with bench_foundation.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench_foundation import (
    BASE_LABEL,
    BenchFailure,
    Sample,
    git,
    log_tail,
    select_pythons,
    spawn_and_wait,
)

IDEAL_PARALLEL_S = 1000 * 0.020 / 8

FUNCS_PY = '''\
import time


def make_items(count: int) -> list:
    return list(range(count))


def square(item: int) -> int:
    return item * item


def nap(item: int) -> int:
    time.sleep(0.02)
    return item
'''

# Built inside main() and returned: runnable 0.50 re-imports the module and calls main() again.
MAPPED_PY = '''\
import os

from runnable import Map, Pipeline, PythonTask

from funcs import make_items, {function}


def main():
    pipeline = Pipeline(steps=[
        PythonTask(name="make", function=make_items, returns=["items"]),
        Map(name="m", iterate_on="items", iterate_as="item",
            branch=Pipeline(steps=[PythonTask(name="work", function={function}, returns=["out"])])),
    ])
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
'''

PARALLEL_CONFIG = "pipeline-executor:\n  type: local\n  config:\n    enable_parallel: true\n    max_workers: 8\n"
RUN = 'rm -rf .run_log_store .catalog; exec "$BENCH_PYTHON" "$BENCH_SCRIPT" >>"$BENCH_LOG" 2>&1'


def make_project(folder: Path) -> None:
    folder.mkdir(parents=True)
    files = {
        "funcs.py": FUNCS_PY,
        "mapped.py": MAPPED_PY.format(function="square"),
        "napping.py": MAPPED_PY.format(function="nap"),
        "parallel.yaml": PARALLEL_CONFIG,
        ".gitignore": ".run_log_store/\n.catalog/\n__pycache__/\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    for args in (["init", "-q"], ["config", "user.name", "bench"], ["config", "user.email", "bench@example.invalid"],
                 ["add", "-A"], ["commit", "-q", "-m", "scratch project"]):
        git(folder, *args)


def run_once(python: Path, project: Path, script: str, count: int, config: str = "") -> Sample:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RUNNABLE_", "VIRTUAL_ENV"))}
    log = project / "bench.log"
    env.update(BENCH_PYTHON=str(python), BENCH_SCRIPT=script, BENCH_LOG=str(log), RUNNABLE_PRM_count=str(count))
    if config:
        env["RUNNABLE_CONFIGURATION_FILE"] = config
    offset = log.stat().st_size if log.exists() else 0
    code, sample = spawn_and_wait(["sh", "-c", RUN], project, env, log)
    if code != 0:
        raise BenchFailure(f"{python} {script} count={count}: exit {code}\n{log_tail(log, offset)}")
    _check_result(project, count)
    return sample


def _check_result(project: Path, count: int) -> None:
    """Ours keeps <id>/run.json (final parameters checked); runnable 0.50 keeps <id>.json."""
    store = project / ".run_log_store"
    headers = sorted(store.glob("*/run.json"))
    if headers:
        record = json.loads(headers[0].read_text())
        out = record["parameters"].get("out", {}).get("value")
        if record["status"] != "SUCCESS" or out is None or len(out) != count:
            raise BenchFailure(f"ours: map of {count} ended {record['status']} with {out!r:.80}")
        return
    records = sorted(store.glob("*.json"))
    if len(records) != 1 or json.loads(records[0].read_text()).get("status") != "SUCCESS":
        raise BenchFailure(f"{BASE_LABEL}: map of {count} did not end in SUCCESS")


def pairwise(pythons: dict[str, Path], projects: dict[str, Path], count: int, runs: int) -> dict[str, list[float]]:
    for name in pythons:
        run_once(pythons[name], projects[name], "mapped.py", count)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in pythons}
    for _ in range(runs):
        for name in pythons:
            times[name].append(run_once(pythons[name], projects[name], "mapped.py", count).wall_s)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--parallel-runs", type=int, default=3)
    parser.add_argument("--only", choices=["ours"])
    args = parser.parse_args(argv)
    try:
        pythons = select_pythons(args.only)
    except BenchFailure as exc:
        print(f"benchmark not started: {exc}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-control-flow-"))
    try:
        projects = {}
        for name in pythons:
            projects[name] = scratch / name
            make_project(projects[name])
        t1 = pairwise(pythons, projects, 1, args.runs)
        t20 = pairwise(pythons, projects, 20, args.runs)
        parallel = [run_once(pythons["ours"], projects["ours"], "napping.py", 1000, "parallel.yaml").wall_s
                    for _ in range(args.parallel_runs)]
    except BenchFailure as exc:
        print(f"benchmark failed: {exc}\n(scratch kept in {scratch})", file=sys.stderr)
        return 1
    shutil.rmtree(scratch, ignore_errors=True)
    report(t1, t20, parallel)
    return 0


def report(t1: dict[str, list[float]], t20: dict[str, list[float]], parallel: list[float]) -> None:
    med = statistics.median
    row = "{:<44} {:>12} {:>22} {:>8}  {}"
    print(row.format("benchmark", "ours median", f"{BASE_LABEL} median", "ratio", "target"))
    for label, times in (("map over 1 item, sequential", t1), ("map over 20 items, sequential", t20)):
        ratio = med([a / b for a, b in zip(times["ours"], times["base"])]) if "base" in times else None
        target = "" if "1 item" in label else f"ratio <= 0.10: {'ok' if ratio is not None and ratio <= 0.10 else 'MISSED'}"
        print(row.format(label, f"{med(times['ours']):.3f} s", f"{med(times['base']):.3f} s" if "base" in times else "-",
                         f"{ratio:.3f}" if ratio is not None else "-", target))
    per_item = {name: (med(t20[name]) - med(t1[name])) / 19 for name in t20}
    print(row.format("per-item overhead (t20-t1)/19", f"{per_item['ours'] * 1000:.2f} ms",
                     f"{per_item['base'] * 1000:.2f} ms" if "base" in per_item else "-",
                     f"{per_item['ours'] / per_item['base']:.3f}" if "base" in per_item else "-",
                     f"<= 2 ms: {'ok' if per_item['ours'] <= 0.002 else 'MISSED'}"))
    factor = med(parallel) / IDEAL_PARALLEL_S
    print(row.format("map 1000 x 20 ms, 8 workers (whole process)", f"{med(parallel):.3f} s",
                     f"ideal {IDEAL_PARALLEL_S:.2f} s", f"{factor:.2f}x", f"<= 1.3x ideal: {'ok' if factor <= 1.3 else 'MISSED'}"))


if __name__ == "__main__":
    sys.exit(main())
