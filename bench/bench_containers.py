#!/usr/bin/env python3
"""Per-step overhead of the local-container target against a bare ``docker run``.

    bash .ci/docker.sh && .venv/bin/python bench/bench_containers.py [--image runnable-examples:latest]

The floor is ``docker run --rm IMAGE python3 -c pass`` on the same image. Our per-step
figure is (t6 - t1) / 5 for a linear pipeline of 6 vs 1 trivial tasks run with the
local-container executor (whole process, median of runs, runs alternating). Target:
per-step <= 1.3 x the floor. (runnable 0.50 measured about 1.5 s per step, ~5.5 x its floor.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

FUNCS = "def start() -> int:\n    return 0\n\n\ndef inc(x: int) -> int:\n    return x + 1\n"
LINEAR = """import os
from runnable import Pipeline, PythonTask
from funcs import inc, start

tasks = [PythonTask(name="s0", function=start, returns=["x"])]
tasks += [PythonTask(name=f"s{i}", function=inc, returns=["x"]) for i in range(1, int(os.environ["NSTEPS"]))]
pipeline = Pipeline(steps=tasks)
"""


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr.decode()[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", default="runnable-examples:latest")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runnable = str(REPO / ".venv" / "bin" / "runnable")
    with tempfile.TemporaryDirectory(prefix="bench-containers-") as folder:
        project = Path(folder)
        (project / "funcs.py").write_text(FUNCS)
        (project / "linear.py").write_text(LINEAR)
        (project / "lc.yaml").write_text(f"pipeline-executor:\n  type: local-container\n  config:\n"
                                         f"    docker_image: {args.image}\n")
        bare = ["docker", "run", "--rm", args.image, "python3", "-c", "pass"]
        samples: dict[str, list[float]] = {"bare": [], "t1": [], "t6": []}
        for round_ in range(args.runs + 1):  # the first round warms caches and is dropped
            results = {"bare": timed(bare, project)}
            for n in (1, 6):
                env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
                env["NSTEPS"] = str(n)
                results[f"t{n}"] = timed([runnable, "run", "linear.py", "-c", "lc.yaml"], project, env)
            if round_:
                for key, value in results.items():
                    samples[key].append(value)
    med = {key: statistics.median(values) for key, values in samples.items()}
    per_step = (med["t6"] - med["t1"]) / 5
    print(f"{'bare docker run --rm IMAGE python3 -c pass':<46} {med['bare']:.3f} s (median of {args.runs})")
    print(f"{'local-container pipeline, 1 task':<46} {med['t1']:.3f} s")
    print(f"{'local-container pipeline, 6 tasks':<46} {med['t6']:.3f} s")
    ratio = per_step / med["bare"]
    print(f"{'per-step overhead (t6-t1)/5':<46} {per_step:.3f} s = {ratio:.2f} x the bare floor "
          f"(target <= 1.3: {'ok' if ratio <= 1.3 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
