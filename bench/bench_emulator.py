#!/usr/bin/env python3
"""The emulator's cost per step, side by side with ``runnable==0.50.0``'s emulator.

Both packages run the same linear pipeline (bench_foundation's scratch project) with
``pipeline-executor: {type: emulator}`` at 1 and N tasks; a task's cost is
(t_N - t_1)/(N - 1), from the medians. That is set against a bare ``python -c pass``
(the floor of starting any new process), against the local executor's per-task cost,
and, for ours, against the emulator starting a new interpreter per step
(``RUNNABLE_EMULATOR_SPAWN=1``) instead of forking from its warmed step server.

    bash bench/setup.sh && .venv/bin/python bench/bench_emulator.py [--runs 5] [--tasks 11]

Whole processes are timed, runs alternate between the packages, medians are quoted.
Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foundation import (  # noqa: E402
    RESULTS_DIR,
    BenchFailure,
    Case,
    Side,
    check_outcome,
    log_tail,
    make_sides,
    select_pythons,
    spawn_and_wait,
)

EMULATOR_CONFIG = "pipeline-executor:\n  type: emulator\n"
TARGET_RATIO = 1.5  # emulator per-step overhead / python -c pass


def cases(tasks: int) -> list[tuple[Case, dict[str, str], tuple[str, ...]]]:
    """(case, extra environment, sides it runs on)."""
    emulator = {"RUNNABLE_CONFIGURATION_FILE": "emulator.yaml"}
    both = ("ours", "base")
    result: list[tuple[Case, dict[str, str], tuple[str, ...]]] = [
        (Case("startup", "python -c pass", code="pass"), {}, both)]
    for n in (1, tasks):
        result.append((Case(f"local{n}", f"local, {n} tasks", "linear.py", n), {}, both))
        result.append((Case(f"emulator{n}", f"emulator, {n} tasks", "linear.py", n), emulator, both))
        result.append((Case(f"spawn{n}", f"emulator, new interpreter per step, {n} tasks", "linear.py", n),
                       {**emulator, "RUNNABLE_EMULATOR_SPAWN": "1"}, ("ours",)))
    return result


def run_one(side: Side, case: Case, extra: dict[str, str]) -> float:
    import os

    from bench_foundation import SCRIPT_CMD

    drop = ("PYTHON", "RUNNABLE_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(BENCH_PYTHON=str(side.python), BENCH_LOG=str(side.log), **extra)
    if case.script:
        env.update(BENCH_SCRIPT=case.script, NSTEPS=str(case.nsteps))
        argv = ["sh", "-c", SCRIPT_CMD]
    else:
        argv = [str(side.python), "-c", case.code]
    offset = side.log.stat().st_size if side.log.exists() else 0
    code, sample = spawn_and_wait(argv, side.project, env, side.log)
    try:
        check_outcome(side, case, code)
    except BenchFailure as exc:
        raise BenchFailure(f"{exc}\n--- output ---\n{log_tail(side.log, offset)}") from None
    return sample.wall_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=11)
    args = parser.parse_args(argv)
    pythons = select_pythons(None)
    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as scratch:
        sides = {side.name: side for side in make_sides(pythons, Path(scratch))}
        for side in sides.values():
            (side.project / "emulator.yaml").write_text(EMULATOR_CONFIG)
        plan = cases(args.tasks)
        for case, extra, names in plan:  # one warm-up each
            for name in names:
                run_one(sides[name], case, extra)
        walls: dict[str, dict[str, list[float]]] = {case.key: {n: [] for n in names} for case, _, names in plan}
        for done in range(1, args.runs + 1):
            for case, extra, names in plan:
                for name in names:
                    walls[case.key][name].append(run_one(sides[name], case, extra))
            print(f"  round {done}/{args.runs}", file=sys.stderr, flush=True)
    medians = {key: {name: statistics.median(values) for name, values in by.items()} for key, by in walls.items()}
    n = args.tasks

    def per_task(kind: str, name: str) -> float:
        return (medians[f"{kind}{n}"][name] - medians[f"{kind}1"][name]) / (n - 1)

    startup = medians["startup"]["ours"]
    rows = []
    for label, kind, name in [("ours, emulator (fork server)", "emulator", "ours"),
                              ("ours, emulator (new interpreter per step)", "spawn", "ours"),
                              ("runnable 0.50, emulator", "emulator", "base"),
                              ("ours, local", "local", "ours"),
                              ("runnable 0.50, local", "local", "base")]:
        cost = per_task(kind, name)
        rows.append({"what": label, "per_task_s": cost, "vs_python_start": cost / startup,
                     "t1_s": medians[f"{kind}1"][name], f"t{n}_s": medians[f"{kind}{n}"][name]})
    ours_emulator = rows[0]["per_task_s"]
    summary = {
        "python_start_s": startup,
        "rows": rows,
        "emulator_overhead_vs_local_s": ours_emulator - rows[3]["per_task_s"],
        "ours_vs_base_emulator": ours_emulator / rows[2]["per_task_s"],
        "target_ratio": TARGET_RATIO,
        "meets_target": ours_emulator / startup <= TARGET_RATIO,
    }
    print(f"\npython -c pass: {startup * 1000:.1f} ms (median of {args.runs})")
    print(f"{'per task, from t1 and t' + str(n):46} {'ms':>8} {'x python start':>15} {'t1 s':>7} {'t' + str(n) + ' s':>7}")
    for row in rows:
        print(f"{row['what']:46} {row['per_task_s'] * 1000:8.1f} {row['vs_python_start']:15.2f} "
              f"{row['t1_s']:7.3f} {row[f't{n}_s']:7.3f}")
    print(f"\nours' emulator per task is {summary['ours_vs_base_emulator']:.3f}x runnable 0.50's; "
          f"{summary['emulator_overhead_vs_local_s'] * 1000:.1f} ms more than ours' local per task; "
          f"target <= {TARGET_RATIO}x python start: {'met' if summary['meets_target'] else 'NOT met'}")
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"emulator-{stamp}.json"
    out.write_text(json.dumps({"python": platform.python_version(), "runs": args.runs, "tasks": n,
                               "walls": walls, "medians": medians, "summary": summary}, indent=1))
    print(f"raw samples: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
