#!/usr/bin/env python3
"""Whole-process benchmark: our ``runnable`` side by side with ``runnable==0.50.0``.

Users feel the cost of a whole ``python pipeline.py`` process (interpreter start,
imports, run-log writes, git calls), so every figure here is the wall time of a
child process, not of a function call. Runs of the two packages alternate
pairwise (ours, baseline, ours, baseline, ...) so that drift on a shared, noisy
machine hits both sides alike; medians and per-pair ratios are reported.

    bash bench/setup.sh && .venv/bin/python bench/bench_foundation.py

Standard library only, so it runs under either venv's interpreter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
# BENCH_OURS_VENV measures another install of ours (an older commit, say) in the same way.
OURS_PYTHON = Path(os.environ.get("BENCH_OURS_VENV") or BENCH_DIR / ".venv-ours").resolve() / "bin" / "python"
BASE_PYTHON = BENCH_DIR / ".venv-baseline" / "bin" / "python"
RESULTS_DIR = BENCH_DIR / "results"
BASE_LABEL = "runnable-0.50"
RUN_TIMEOUT_S = 600.0
LOG_TAIL_LINES = 40

# Targets for our side only; the baseline is what we measure against, not judge.
TARGETS = {
    "import": 0.060,
    "job": 0.150,
    "per_task": 0.002,
    "flatness": 1.3,
}

FUNCS_PY = '''\
def start() -> int:
    return 0


def inc(x: int) -> int:
    return x + 1


def hello() -> None:
    print("hello")
'''

# main() returns the pipeline/job: runnable 0.50 re-imports this module and
# calls main() again to get hold of the object it is running.
LINEAR_PY = '''\
import os

from runnable import Pipeline, PythonTask

from funcs import inc, start


def main():
    nsteps = int(os.environ["NSTEPS"])
    tasks = [PythonTask(name="s0", function=start, returns=["x"])]
    tasks += [PythonTask(name=f"s{i}", function=inc, returns=["x"]) for i in range(1, nsteps)]
    pipeline = Pipeline(steps=tasks)
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
'''

JOB_PY = '''\
from runnable import PythonJob

from funcs import hello


def main():
    job = PythonJob(function=hello)
    job.execute()
    return job


if __name__ == "__main__":
    main()
'''

GITIGNORE = ".run_log_store/\n.catalog/\n__pycache__/\n"

# Each run starts from empty stores so neither package pays for earlier runs' logs.
SCRIPT_CMD = 'rm -rf .run_log_store .catalog; exec "$BENCH_PYTHON" "$BENCH_SCRIPT" >>"$BENCH_LOG" 2>&1'


class BenchFailure(Exception):
    """A measured run failed or did not produce what it should have."""


@dataclass(frozen=True)
class Side:
    """One package under test: its interpreter and its own scratch project."""

    name: str  # "ours" or "base"
    label: str
    python: Path
    project: Path
    log: Path


@dataclass(frozen=True)
class Case:
    """One measured command: ``script`` run via sh, or else ``python -c code``."""

    key: str
    label: str
    script: str | None = None
    nsteps: int | None = None
    code: str = "import runnable"


@dataclass(frozen=True)
class Sample:
    wall_s: float
    maxrss_kib: int


# ---------------------------------------------------------------- setup


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="measured runs per case and side (default 7)")
    parser.add_argument("--quick", action="store_true", help="3 runs and no 100-task pipeline")
    parser.add_argument("--only", choices=["ours"], help="measure our package only (no baseline venv needed)")
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 3 if args.quick else 7
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def check_interpreter(python: Path) -> None:
    """Refuse shims and wrapper scripts: their extra process hop would be timed too."""
    real = Path(os.path.realpath(python))
    if not real.is_file():
        raise BenchFailure(f"{python} does not exist")
    if "shims" in real.parts or real.read_bytes()[:2] == b"#!":
        raise BenchFailure(f"{python} resolves to {real}, a wrapper script, not a python binary")


def select_pythons(only: str | None) -> dict[str, Path]:
    """Interpreters to compare; explain how to get the baseline when it is missing."""
    pythons = {"ours": OURS_PYTHON}
    if only != "ours":
        if not BASE_PYTHON.exists():
            raise BenchFailure(
                f"baseline venv not found at {BASE_PYTHON.parent.parent}.\n"
                "Create it with:  bash bench/setup.sh\n"
                "or measure our package alone with:  --only ours"
            )
        pythons["base"] = BASE_PYTHON
    for python in pythons.values():
        check_interpreter(python)
    return pythons


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def make_project(folder: Path) -> None:
    """A one-commit git repo, so both packages record a clean code identity."""
    folder.mkdir(parents=True)
    for name, text in {"funcs.py": FUNCS_PY, "linear.py": LINEAR_PY, "job.py": JOB_PY, ".gitignore": GITIGNORE}.items():
        (folder / name).write_text(text)
    git(folder, "init", "-q")
    git(folder, "config", "user.name", "bench")
    git(folder, "config", "user.email", "bench@example.invalid")
    git(folder, "config", "commit.gpgsign", "false")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "scratch project")


def make_sides(pythons: dict[str, Path], scratch: Path) -> list[Side]:
    labels = {"ours": "ours", "base": BASE_LABEL}
    sides = []
    for name, python in pythons.items():
        make_project(scratch / name)
        sides.append(Side(name, labels[name], python, scratch / name, scratch / f"{name}.log"))
    return sides


def make_cases(quick: bool) -> list[Case]:
    sizes = [1, 50] if quick else [1, 50, 100]
    cases = [
        # Bare interpreter start, the floor under every other figure (site hooks included).
        Case("startup", "python -c pass (reference)", code="pass"),
        Case("import", "import runnable"),
        Case("job", "trivial PythonJob", script="job.py"),
    ]
    for n in sizes:
        cases.append(Case(f"linear{n}", f"linear pipeline, {n} task{'s' if n > 1 else ''}", "linear.py", n))
    return cases


# ---------------------------------------------------------------- running


def child_env(side: Side, case: Case) -> dict[str, str]:
    """The caller's environment minus anything that would steer either package."""
    drop = ("PYTHON", "RUNNABLE_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(BENCH_PYTHON=str(side.python), BENCH_LOG=str(side.log))
    if case.script:
        env["BENCH_SCRIPT"] = case.script
    if case.nsteps is not None:
        env["NSTEPS"] = str(case.nsteps)
    return env


def command(side: Side, case: Case) -> list[str]:
    if case.script is None:
        return [str(side.python), "-c", case.code]
    return ["sh", "-c", SCRIPT_CMD]


def spawn_and_wait(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[int, Sample]:
    """Wall time and peak RSS of one child, via os.wait4 so its rusage is its own."""
    with open(log, "ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        timer = threading.Timer(RUN_TIMEOUT_S, proc.kill)
        timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    return proc.returncode, Sample(wall, rusage.ru_maxrss)


def find_run_record(project: Path) -> dict[str, Any] | None:
    """The run header: ours keeps ``<id>/run.json``, runnable 0.50 keeps ``<id>.json``."""
    store = project / ".run_log_store"
    found = sorted(store.glob("*/run.json")) + sorted(store.glob("*.json"))
    return json.loads(found[0].read_text()) if len(found) == 1 else None


def check_outcome(side: Side, case: Case, code: int) -> None:
    """Exit 0, and for script runs a single SUCCESS run whose final x is NSTEPS-1."""
    if code != 0:
        raise BenchFailure(f"{side.label} / {case.label}: exit code {code}")
    if case.script is None:
        return
    record = find_run_record(side.project)
    if record is None:
        raise BenchFailure(f"{side.label} / {case.label}: expected exactly one run log in .run_log_store")
    if str(record.get("status", "")).upper() != "SUCCESS":
        raise BenchFailure(f"{side.label} / {case.label}: run status {record.get('status')!r}")
    if case.nsteps is not None:
        x = record.get("parameters", {}).get("x", {}).get("value")
        if x != case.nsteps - 1:
            raise BenchFailure(f"{side.label} / {case.label}: final x is {x!r}, expected {case.nsteps - 1}")


def run_checked(side: Side, case: Case) -> Sample:
    offset = side.log.stat().st_size if side.log.exists() else 0
    code, sample = spawn_and_wait(command(side, case), side.project, child_env(side, case), side.log)
    try:
        check_outcome(side, case, code)
    except BenchFailure as exc:
        tail = log_tail(side.log, offset)
        raise BenchFailure(f"{exc}\n--- end of this run's output ({side.log}) ---\n{tail}") from None
    return sample


def log_tail(log: Path, offset: int, lines: int = LOG_TAIL_LINES) -> str:
    """The failing run's own output: the log is shared by all runs of a side."""
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def measure(cases: list[Case], sides: list[Side], runs: int) -> dict[str, dict[str, list[Sample]]]:
    """One warm-up per command, then ``runs`` rounds of every case, each as an A B pair.

    Pairs cancel drift between the two packages; interleaving the cases spreads
    each over the whole run, so t1, t50 and t100 of a round see the same load and
    the differences between them (per-task overhead, flatness) stay meaningful.
    """
    for case in cases:
        for side in sides:
            run_checked(side, case)
    results = {case.key: {side.name: [] for side in sides} for case in cases}
    started = time.perf_counter()
    for done in range(1, runs + 1):
        for case in cases:
            for side in sides:
                results[case.key][side.name].append(run_checked(side, case))
        elapsed = time.perf_counter() - started
        print(f"  round {done}/{runs} done ({elapsed:.0f} s)", file=sys.stderr, flush=True)
    return results


# ---------------------------------------------------------------- summarising


def median_wall(samples: list[Sample]) -> float:
    return statistics.median(s.wall_s for s in samples)


def median_rss_mib(samples: list[Sample]) -> float:
    return statistics.median(s.maxrss_kib for s in samples) / 1024


def pair_ratio(samples: dict[str, list[Sample]]) -> float | None:
    """Median of per-pair ours/base ratios: robust to drift between pairs."""
    if "base" not in samples:
        return None
    return statistics.median(a.wall_s / b.wall_s for a, b in zip(samples["ours"], samples["base"]))


def derived(medians: dict[str, float]) -> dict[str, float | None]:
    """Per-task overhead and flatness from one side's medians (keyed by case key)."""
    per_task = (medians["linear50"] - medians["linear1"]) / 49
    out: dict[str, float | None] = {"per_task": per_task, "flatness": None}
    if "linear100" in medians and per_task > 0:
        out["flatness"] = ((medians["linear100"] - medians["linear50"]) / 50) / per_task
    return out


def summarise(cases: list[Case], results: dict[str, dict[str, list[Sample]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {"cases": {}, "derived": {}}
    for case in cases:
        samples = results[case.key]
        summary["cases"][case.key] = {
            "label": case.label,
            "median_s": {name: median_wall(s) for name, s in samples.items()},
            "median_maxrss_mib": {name: median_rss_mib(s) for name, s in samples.items()},
            "ratio_median_of_pairs": pair_ratio(samples),
        }
    for name in results["import"]:
        medians = {key: summary["cases"][key]["median_s"][name] for key in results}
        summary["derived"][name] = derived(medians)
        summary.setdefault("derived_per_round", {})[name] = per_round_derived(results, name)
    return summary


def per_round_derived(results: dict[str, dict[str, list[Sample]]], name: str) -> list[dict[str, float | None]]:
    """Derived figures of each round alone, kept in the JSON to show their spread."""
    rounds = len(results["import"][name])
    return [derived({key: by_side[name][i].wall_s for key, by_side in results.items()}) for i in range(rounds)]


# ---------------------------------------------------------------- printing

ROW = "{:<32} {:>12}   {:>20}   {:>8}   {}"


def fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f} ms"


def fmt_num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def verdict(key: str, value: float | None) -> str:
    limit = TARGETS.get(key)
    if limit is None or value is None:
        return ""
    shown = f"{limit:.1f}" if key == "flatness" else fmt_ms(limit) if key == "per_task" else fmt_s(limit)
    return f"target <= {shown}: {'ok' if value <= limit else 'MISSED'}"


def ratio_of(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def print_timings(summary: dict[str, Any]) -> None:
    print(ROW.format("benchmark", "ours median", f"{BASE_LABEL} median", "ratio", "ours vs target"))
    for key, case in summary["cases"].items():
        med = case["median_s"]
        print(ROW.format(case["label"], fmt_s(med["ours"]), fmt_s(med.get("base")),
                         fmt_num(case["ratio_median_of_pairs"]), verdict(key, med["ours"])))
    ours, base = summary["derived"]["ours"], summary["derived"].get("base", {})
    print(ROW.format("per-task overhead (t50-t1)/49", fmt_ms(ours["per_task"]), fmt_ms(base.get("per_task")),
                     fmt_num(ratio_of(ours["per_task"], base.get("per_task"))), verdict("per_task", ours["per_task"])))
    print(ROW.format("flatness (51-100 vs 1-50)", fmt_num(ours["flatness"]), fmt_num(base.get("flatness")),
                     "", verdict("flatness", ours["flatness"])))
    print("ratio = ours/base, < 1 means ours is faster: the median of per-pair ratios for measured rows,")
    print("the ratio of the two sides' figures for per-task overhead.")


def print_rss(summary: dict[str, Any]) -> None:
    print()
    print(ROW.format("peak RSS (median of runs)", "ours", BASE_LABEL, "ratio", ""))
    for case in summary["cases"].values():
        rss = case["median_maxrss_mib"]
        print(ROW.format(case["label"], f"{rss['ours']:.1f} MiB",
                         "-" if "base" not in rss else f"{rss['base']:.1f} MiB",
                         fmt_num(ratio_of(rss["ours"], rss.get("base"))), ""))


# ---------------------------------------------------------------- recording


def package_version(python: Path, cwd: Path) -> str:
    """Installed version, asked from a scratch cwd with -I so the repo cannot shadow it."""
    code = "import importlib.metadata as m; print(m.version('runnable'))"
    out = subprocess.run([str(python), "-I", "-c", code], cwd=cwd, capture_output=True, text=True)
    return out.stdout.strip() or f"unknown ({out.stderr.strip()[-200:]})"


def metadata(args: argparse.Namespace, sides: list[Side]) -> dict[str, Any]:
    try:
        head = git(REPO_ROOT, "rev-parse", "HEAD")
        dirty = bool(git(REPO_ROOT, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "unknown", False
    return {
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
        "runs": args.runs,
        "quick": args.quick,
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "repo_head": head,
        "repo_dirty": dirty,
        "sides": {
            s.name: {"label": s.label, "python": str(s.python), "real_python": os.path.realpath(s.python),
                     "runnable_version": package_version(s.python, s.project)}
            for s in sides
        },
    }


def write_json(meta: dict[str, Any], results: dict[str, dict[str, list[Sample]]], summary: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"foundation-{stamp}.json"
    raw = {key: {name: [asdict(s) for s in samples] for name, samples in by_side.items()}
           for key, by_side in results.items()}
    meta = {**meta, "loadavg_at_end": os.getloadavg()}
    path.write_text(json.dumps({"meta": meta, "targets": TARGETS, "summary": summary, "raw": raw}, indent=1))
    return path


# ---------------------------------------------------------------- main


def run_all(args: argparse.Namespace, pythons: dict[str, Path], scratch: Path) -> int:
    sides = make_sides(pythons, scratch)
    cases = make_cases(args.quick)
    meta = metadata(args, sides)
    versions = ", ".join(f"{s.label}={meta['sides'][s.name]['runnable_version']}" for s in sides)
    print(f"{args.runs} rounds (+1 warm-up); {versions}; scratch: {scratch}", file=sys.stderr)
    results = measure(cases, sides, args.runs)
    summary = summarise(cases, results)
    print()
    print_timings(summary)
    print_rss(summary)
    path = write_json(meta, results, summary)
    print(f"\nraw numbers: {path.relative_to(REPO_ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        pythons = select_pythons(args.only)
    except BenchFailure as exc:
        print(f"benchmark not started: {exc}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-foundation-"))
    try:
        code = run_all(args, pythons, scratch)
    except BenchFailure as exc:
        print(f"benchmark failed: {exc}\n(scratch projects kept in {scratch})", file=sys.stderr)
        return 1
    shutil.rmtree(scratch, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
