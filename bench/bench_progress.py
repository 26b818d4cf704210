#!/usr/bin/env python3
"""What the progress display costs: a 1,000-step local pipeline with no display, plain lines, and the
live area on a pseudo-terminal (``script``), whole processes, interleaved rounds.

    .venv/bin/python bench/bench_progress.py [--runs 5] [--steps 1000]

Target (issue: see a run): the display costs at most 5% of the run's time.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PIPELINE = '''
from runnable import Pipeline, PythonTask

def step():
    return None

def main():
    pipeline = Pipeline(steps=[PythonTask(name=f"s{i}", function=step) for i in range({steps})])
    pipeline.execute()
    return pipeline
'''


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    runnable = str(Path(sys.executable).with_name("runnable"))
    folder = Path(tempfile.mkdtemp(prefix="bench-progress-"))
    (folder / "steps.py").write_text(PIPELINE.replace("{steps}", str(args.steps)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    env["TERM"] = "xterm-256color"
    cases = {
        "no display": [runnable, "run", "steps.py", "--no-progress"],
        "plain lines": [runnable, "run", "steps.py", "--plain"],
        "live area (pty)": ["script", "-qec", shlex.join([runnable, "run", "steps.py", "--live"]), "/dev/null"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for name, command in cases.items():  # warm-up
            timed(command, folder, env)
        for _ in range(args.runs):
            for name, command in cases.items():
                shutil.rmtree(folder / ".run_log_store", ignore_errors=True)
                shutil.rmtree(folder / ".catalog", ignore_errors=True)
                times[name].append(timed(command, folder, env))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    base = times["no display"]
    print(f"{args.steps}-step local pipeline, {args.runs} interleaved rounds, whole process (median, min-max);")
    print("cost = median of the per-round ratios to 'no display' (rounds alternate, so load hits all alike)")
    for name, values in times.items():
        median = statistics.median(values)
        extra = (statistics.median(v / b for v, b in zip(values, base)) - 1) * 100
        verdict = "" if name == "no display" else f"  {extra:+.1f}% (target <= +5%: {'met' if extra <= 5 else 'MISSED'})"
        print(f"  {name:<16} {median:.3f} s ({min(values):.3f}-{max(values):.3f}){verdict}")


if __name__ == "__main__":
    main()
