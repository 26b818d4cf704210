#!/usr/bin/env python3
"""Whole-process benchmark: compile a linear pipeline to an Argo Workflow.

Three contenders build the same linear pipeline of N trivial steps and write it as
Argo YAML, each the way its users do it:

- ours: ``runnable compile linear.py --target argo -o DIR`` (a Workflow plus the
  ConfigMap holding the IR, checked against the Argo schema before writing);
- hera: a script building a ``Workflow`` with a DAG of N container tasks in a
  chain over one container template, written with ``w.to_yaml()``;
- runnable 0.50.0: ``pipeline.execute(configuration_file=...)`` with the ``argo``
  pipeline executor, which renders a file and contacts no cluster.

Every figure is the wall time of a whole child process (interpreter start included).
After one warm-up per command, each round runs every size and every contender once,
one after the other, so drift on a shared, noisy machine hits all of them alike;
medians and medians of per-round ratios are reported. An in-process phase split of
ours (import, load, render, validate, serialize, write) shows where its time goes.

    bash bench/setup.sh && .venv/bin/python bench/bench_argo.py

Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench_foundation import BenchFailure, Sample, git, log_tail  # the same helpers as every benchmark

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENVS = {
    "ours": Path(os.environ.get("BENCH_OURS_VENV") or BENCH_DIR / ".venv-ours").resolve(),  # or another install of ours
    "hera": BENCH_DIR / ".venv-hera",
    "base": BENCH_DIR / ".venv-baseline",
}
LABELS = {"ours": "ours", "hera": "hera", "base": "runnable-0.50"}
DISTRIBUTIONS = {"ours": "runnable", "hera": "hera", "base": "runnable"}
DEFAULT_SIZES = (50, 500, 5000)
PHASE_SIZES = (500, 5000)
IMAGE = "runnable-project:latest"

# Targets for ours, from the issue: whole-process seconds per size, and linear growth.
TARGETS = {500: 0.15, 5000: 1.0}
LINEAR_GROWTH = 10.0

# ---------------------------------------------------------------- scratch project

OURS_PY = '''\
import os

from runnable import Pipeline, PythonTask


def noop() -> None:
    pass


pipeline = Pipeline(steps=[PythonTask(name=f"step{i}", function=noop) for i in range(int(os.environ["NSTEPS"]))])
'''

HERA_PY = '''\
import os
import sys

from hera.workflows import DAG, Container, Workflow

nsteps = int(os.environ["NSTEPS"])
with Workflow(generate_name="linear-", entrypoint="main") as w:
    step = Container(name="step", image="%(image)s", command=["python", "-c", "pass"])
    with DAG(name="main"):
        previous = None
        for i in range(nsteps):
            task = step(name=f"step{i}")
            if previous is not None:
                previous >> task
            previous = task

with open(sys.argv[1], "w") as out:
    out.write(w.to_yaml())
''' % {"image": IMAGE}

# runnable 0.50 names the step's module.function in every container command, so the
# pipeline is built and executed inside main(), as its documentation does.
BASE_PY = '''\
import os
import sys

from runnable import Pipeline, PythonTask


def noop() -> None:
    pass


def main():
    nsteps = int(os.environ["NSTEPS"])
    pipeline = Pipeline(steps=[PythonTask(name=f"step{i}", function=noop) for i in range(nsteps)])
    pipeline.execute(configuration_file=sys.argv[1])
    return pipeline


if __name__ == "__main__":
    main()
'''

# The argo executor's required keys (defaults.image, argoWorkflow.metadata and .spec),
# the shared volume it needs for its stores, and where to write the file.
BASE_CONFIG = '''\
pipeline-executor:
  type: argo
  config:
    pvc_for_runnable: runnable
    output_file: {output}
    defaults:
      image: {image}
    argoWorkflow:
      metadata:
        generateName: linear-
      spec: {{}}
'''

# Ours, in process, step by step as ``runnable compile --target argo -o DIR`` does it
# (runnable/cli/compiling.py compile_target, the argo target's render, runnable.compiler.render).
# Prints one JSON line: seconds per phase.
PHASES_PY = '''\
import importlib
import json
import sys
import time

clock = time.perf_counter
target, output = sys.argv[1], sys.argv[2]
marks = [("start", clock())]

import runnable.cli.entry  # the console script's own import
marks.append(("import runnable.cli", clock()))

from runnable.cli.compiling import source_of
from runnable.cli.discovery import load_definition

source = source_of(target)
definition = load_definition(target).to_ir()
marks.append(("load definition (+ to_ir)", clock()))

from runnable.config import load_config

config = load_config(None)
marks.append(("load config", clock()))

argo = importlib.import_module("runnable.compiler.argo")
from runnable.compiler import checks, gitops, render
marks.append(("import compiler modules", clock()))

documents = argo.render(definition, config, image="", source=source)
marks.append(("render", clock()))

checks.check_rendered(documents, "the argo rendering")
marks.append(("validate", clock()))

ir_hash = documents[0]["metadata"]["annotations"]["runnable/ir-hash"].removeprefix("sha256:")
files = gitops.render_files(documents, source, ir_hash)
marks.append(("serialize", clock()))

gitops.write(output, files)
marks.append(("write", clock()))

again = clock()
checks.check_rendered(documents, "the argo rendering")
validate_again = clock() - again
# Untimed: the split must follow the command's own path, or it measures something else.
same = render(definition, "argo", config, image="", source=source).files == files
phases = {name: t - marks[i][1] for i, (name, t) in enumerate(marks[1:])}
script = clock() - marks[0][1]
print(json.dumps({"phases": phases, "validate_again": validate_again, "same_as_render_manifests": same,
                  "script": script}))
'''

GITIGNORE = "out-*/\n*.log\n__pycache__/\n.run_log_store/\n.catalog/\n"


@dataclass
class Contender:
    """One tool under test: how to start it for N steps and where its output lands."""

    name: str
    python: Path
    project: Path
    skipped: dict[int, str] = field(default_factory=dict)  # size -> why

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def log(self) -> Path:
        return self.project / f"{self.name}.log"

    def output(self, n: int) -> Path:
        """A folder for ours, a file for the others."""
        folder = self.project / f"out-{self.name}-{n}"
        return folder if self.name == "ours" else folder / "workflow.yaml"

    def argv(self, n: int) -> list[str]:
        if self.name == "ours":
            runnable = self.python.parent / "runnable"
            return [str(runnable), "compile", "linear.py", "--target", "argo", "-o", str(self.output(n))]
        if self.name == "hera":
            return [str(self.python), "hera_linear.py", str(self.output(n))]
        return [str(self.python), "linear050.py", f"argo-config-050-{n}.yaml"]


# ---------------------------------------------------------------- setup


def parse_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not sizes or sizes[0] < 2:
        raise argparse.ArgumentTypeError("sizes must be integers of at least 2")
    return sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measured rounds after one warm-up (default 7)")
    parser.add_argument("--sizes", type=parse_sizes, default=DEFAULT_SIZES,
                        help="pipeline sizes, comma-separated (default 50,500,5000)")
    parser.add_argument("--only", choices=sorted(VENVS), action="append",
                        help="measure this contender only (repeatable; default: all three)")
    parser.add_argument("--time-box", type=float, default=60.0,
                        help="skip a contender at a size (and above) when its warm-up takes longer (s, default 60)")
    parser.add_argument("--no-phases", action="store_true", help="skip the in-process phase split of ours")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def check_python(name: str, python: Path) -> None:
    real = Path(os.path.realpath(python))
    if not real.is_file():
        raise BenchFailure(f"{python} does not exist; create the venvs with:  bash bench/setup.sh")
    if "shims" in real.parts or real.read_bytes()[:2] == b"#!":
        raise BenchFailure(f"{python} resolves to {real}, a wrapper script, not a python binary")
    if name == "ours" and not (python.parent / "runnable").is_file():
        raise BenchFailure(f"{python.parent / 'runnable'} is missing; run:  bash bench/setup.sh")


def make_project(folder: Path, sizes: tuple[int, ...]) -> None:
    """One git repository with one commit, shared by the three contenders."""
    folder.mkdir(parents=True)
    files = {"linear.py": OURS_PY, "hera_linear.py": HERA_PY, "linear050.py": BASE_PY, "phases.py": PHASES_PY,
             ".gitignore": GITIGNORE}
    for n in sizes:
        output = f"out-base-{n}/workflow.yaml"
        files[f"argo-config-050-{n}.yaml"] = BASE_CONFIG.format(output=output, image=IMAGE)
    for name, text in files.items():
        (folder / name).write_text(text)
    git(folder, "init", "-q")
    git(folder, "config", "user.name", "bench")
    git(folder, "config", "user.email", "bench@example.invalid")
    git(folder, "config", "commit.gpgsign", "false")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "scratch project")


# ---------------------------------------------------------------- running


def child_env(n: int) -> dict[str, str]:
    """The caller's environment minus anything that would steer a contender."""
    drop = ("PYTHON", "RUNNABLE_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["NSTEPS"] = str(n)
    return env


def spawn_and_wait(argv: list[str], cwd: Path, env: dict[str, str], log: Path,
                   timeout: float) -> tuple[int | None, Sample]:
    """Wall time and peak RSS of one child (os.wait4: its own rusage); None as code on timeout."""
    with open(log, "ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    return (None if timed_out.is_set() else proc.returncode), Sample(wall, rusage.ru_maxrss)


STEP_NAME = re.compile(r"^\s*-?\s*name: step(\d+)(?:-[a-z0-9]+)?\s*$", re.MULTILINE)
DEPENDS = re.compile(r"^\s*depends: ", re.MULTILINE)


def workflow_file(contender: Contender, n: int) -> Path:
    output = contender.output(n)
    return ours_workflow_file(output) if contender.name == "ours" else output


def ours_workflow_file(folder: Path) -> Path:
    """The one Workflow file of a rendered folder, which must also hold the IR ConfigMap."""
    found = sorted(folder.glob("workflow-*.yaml"))
    if len(found) != 1:
        raise BenchFailure(f"expected one workflow-*.yaml in {folder}, found {[p.name for p in found]}")
    if not list(folder.glob("configmap-*.yaml")):
        raise BenchFailure(f"no configmap-*.yaml (the IR) in {folder}")
    return found[0]


def check_workflow(path: Path, n: int) -> None:
    """The Workflow names every step step0..step{N-1} and chains them, so a broken compile cannot look fast."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise BenchFailure(f"no output at {path}: {exc}") from None
    if "kind: Workflow" not in text:
        raise BenchFailure(f"{path} holds no Workflow")
    indices = {int(m) for m in STEP_NAME.findall(text)}
    if indices != set(range(n)):
        raise BenchFailure(f"{path}: {len(indices)} distinct step names, expected step0..step{n - 1}")
    if len(DEPENDS.findall(text)) < n - 1:
        raise BenchFailure(f"{path}: fewer than {n - 1} 'depends:' lines; the steps are not chained")


def clear_output(contender: Contender, n: int) -> None:
    output = contender.output(n)
    folder = output if contender.name == "ours" else output.parent
    shutil.rmtree(folder, ignore_errors=True)
    if contender.name != "ours":
        folder.mkdir()  # runnable 0.50 does not create the folder of its output_file


def run_checked(contender: Contender, n: int, timeout: float) -> Sample | None:
    """One measured run (output cleared first, untimed); None when it ran past ``timeout``."""
    clear_output(contender, n)
    offset = contender.log.stat().st_size if contender.log.exists() else 0
    code, sample = spawn_and_wait(contender.argv(n), contender.project, child_env(n), contender.log, timeout)
    if code is None:
        return None
    try:
        if code != 0:
            raise BenchFailure(f"exit code {code}")
        check_workflow(workflow_file(contender, n), n)
    except BenchFailure as exc:
        tail = log_tail(contender.log, offset)
        raise BenchFailure(f"{contender.label}, {n} steps: {exc}\n--- end of this run's output ---\n{tail}") from None
    return sample


def warm_up(contenders: list[Contender], sizes: tuple[int, ...], time_box: float) -> dict[str, dict[int, float]]:
    """One untimed run per command.

    A contender other than ours whose warm-up fails, or overruns the time box, is skipped at
    that size and above, with the reason.
    """
    warm: dict[str, dict[int, float]] = {c.name: {} for c in contenders}
    for n in sizes:
        for contender in contenders:
            if contender.skipped:
                contender.skipped[n] = f"skipped, as at {min(contender.skipped)} steps"
                continue
            try:
                sample = run_checked(contender, n, time_box)
            except BenchFailure as exc:
                if contender.name == "ours":
                    raise
                # A tool we compare against may fail at a size; that is a finding, not a broken benchmark.
                last = [line for line in str(exc).splitlines() if line.strip()][-1]
                contender.skipped[n] = f"failed: {last.strip()[:100]}"
                print(f"  {contender.label}, {n} steps: {contender.skipped[n]}", file=sys.stderr, flush=True)
                continue
            if sample is None:
                contender.skipped[n] = f"skipped: warm-up ran past the {time_box:.0f} s time box"
                print(f"  {contender.label}, {n} steps: {contender.skipped[n]}", file=sys.stderr, flush=True)
                continue
            warm[contender.name][n] = sample.wall_s
            print(f"  warm-up {contender.label}, {n} steps: {sample.wall_s:.2f} s", file=sys.stderr, flush=True)
    return warm


def measure(contenders: list[Contender], sizes: tuple[int, ...], runs: int,
            time_box: float) -> tuple[dict[int, dict[str, list[Sample]]], list[tuple[float, float, float]]]:
    """``runs`` rounds; each round runs every size and, within it, every contender once in turn."""
    results: dict[int, dict[str, list[Sample]]] = {
        n: {c.name: [] for c in contenders if n not in c.skipped} for n in sizes
    }
    loads = []
    started = time.perf_counter()
    for done in range(1, runs + 1):
        for n in sizes:
            for contender in contenders:
                if n in contender.skipped:
                    continue
                # A measured run gets room for a slow moment beyond its warm-up's time box.
                limit = max(time_box * 3, 60.0)
                sample = run_checked(contender, n, limit)
                if sample is None:
                    raise BenchFailure(f"{contender.label}, {n} steps: a measured run ran past {limit:.0f} s")
                results[n][contender.name].append(sample)
        loads.append(os.getloadavg())
        elapsed = time.perf_counter() - started
        print(f"  round {done}/{runs} done ({elapsed:.0f} s, load {loads[-1][0]:.2f})", file=sys.stderr, flush=True)
    return results, loads


def measure_phases(ours: Contender, sizes: tuple[int, ...], runs: int) -> dict[int, dict[str, Any]]:
    """Ours in process, in ``runs`` fresh processes per size (after a warm-up): seconds per phase."""
    found: dict[int, dict[str, Any]] = {}
    for n in sizes:
        out = ours.project / f"out-phases-{n}"
        samples = []
        for attempt in range(runs + 1):
            shutil.rmtree(out, ignore_errors=True)
            argv = [str(ours.python), "phases.py", "linear.py", str(out)]
            start = time.perf_counter()
            result = subprocess.run(argv, cwd=ours.project, env=child_env(n), capture_output=True, text=True)
            wall = time.perf_counter() - start
            if result.returncode != 0:
                raise BenchFailure(f"phase split, {n} steps: exit code {result.returncode}\n{result.stderr[-3000:]}")
            report = json.loads(result.stdout.strip().splitlines()[-1])
            if not report["same_as_render_manifests"]:
                raise BenchFailure("phase split: its files differ from render_manifests'; PHASES_PY needs updating")
            check_workflow(ours_workflow_file(out), n)
            # The cross-check after the phases is not part of the command: leave it out of the whole.
            report["rest_s"] = wall - report["script"]
            report["wall_s"] = sum(report["phases"].values()) + report["rest_s"]
            if attempt:
                samples.append(report)
        found[n] = {
            "median_s": {name: statistics.median(s["phases"][name] for s in samples) for name in samples[0]["phases"]},
            "rest_median_s": statistics.median(s["rest_s"] for s in samples),
            "wall_median_s": statistics.median(s["wall_s"] for s in samples),
            "validate_again_median_s": statistics.median(s["validate_again"] for s in samples),
            "raw": samples,
        }
    return found


# ---------------------------------------------------------------- summarising


def summarise(results: dict[int, dict[str, list[Sample]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {"sizes": {}, "growth": {}}
    for n, by_name in results.items():
        entry: dict[str, Any] = {}
        for name, samples in by_name.items():
            walls = [s.wall_s for s in samples]
            entry[name] = {
                "median_s": statistics.median(walls),
                "min_s": min(walls),
                "max_s": max(walls),
                "median_maxrss_mib": statistics.median(s.maxrss_kib for s in samples) / 1024,
            }
            if name != "ours" and "ours" in by_name:
                pairs = zip(by_name["ours"], samples)
                entry[name]["ours_over_this"] = statistics.median(a.wall_s / b.wall_s for a, b in pairs)
        summary["sizes"][n] = entry
    sizes = sorted(results)
    for name in {name for by_name in results.values() for name in by_name}:
        for small, large in zip(sizes, sizes[1:]):
            if name in results[small] and name in results[large]:
                key = f"{small}->{large}"
                per_round = [b.wall_s / a.wall_s for a, b in zip(results[small][name], results[large][name])]
                t_small = summary["sizes"][small][name]["median_s"]
                t_large = summary["sizes"][large][name]["median_s"]
                summary["growth"].setdefault(name, {})[key] = {
                    "of_medians": t_large / t_small,
                    "median_per_round": statistics.median(per_round),
                    "size_ratio": large / small,
                    "per_step_s": (t_large - t_small) / (large - small),
                }
    ours = {n: entry["ours"]["median_s"] for n, entry in summary["sizes"].items() if "ours" in entry}
    summary["targets"] = {n: {"limit_s": limit, "ours_median_s": ours.get(n),
                              "met": None if n not in ours else ours[n] <= limit}
                          for n, limit in TARGETS.items()}
    return summary


# ---------------------------------------------------------------- printing

ROW = "{:>6}  {:<15} {:>28}  {:>10}  {:>12}"


def print_table(summary: dict[str, Any], contenders: list[Contender], versions: dict[str, str]) -> None:
    print(ROW.format("N", "contender", "wall median (min-max)", "peak RSS", "ours/this"))
    for n, entry in summary["sizes"].items():
        for contender in contenders:
            label = f"{contender.label}"
            if contender.name not in entry:
                print(f"{n:>6}  {label:<15} {contender.skipped.get(n, 'not measured')}")
                continue
            e = entry[contender.name]
            wall = f"{e['median_s']:.3f} s ({e['min_s']:.3f}-{e['max_s']:.3f})"
            ratio = f"{e['ours_over_this']:.3f}" if "ours_over_this" in e else ""
            print(ROW.format(n, label, wall, f"{e['median_maxrss_mib']:.1f} MiB", ratio))
    print("ours/this: median of the per-round ratios of wall times; below 1 means ours is faster.")
    print("versions: " + ", ".join(f"{LABELS[name]} {v}" for name, v in versions.items()))
    print()
    for contender in contenders:
        steps = summary["growth"].get(contender.name, {})
        for key, g in steps.items():
            print(f"growth {contender.label:<14} {key:>10}: x{g['of_medians']:.2f} of medians, "
                  f"x{g['median_per_round']:.2f} median per round (size x{g['size_ratio']:.0f}); "
                  f"{g['per_step_s'] * 1000:.3f} ms per added step")
    print("Linear growth with a fixed start-up cost gives a growth factor at most the size factor, and the same")
    print("cost per added step across intervals; a per-step cost that rises from one interval to the next is")
    print("superlinear.")
    for n, target in summary["targets"].items():
        if target["met"] is None:
            continue
        verdict = "met" if target["met"] else "MISSED"
        print(f"target ours at {n} steps <= {target['limit_s']:.2f} s: median {target['ours_median_s']:.3f} s, "
              f"{verdict}")


def print_phases(phases: dict[int, dict[str, Any]]) -> None:
    print()
    sizes = sorted(phases)
    head = "{:<34}" + "  {:>16}" * len(sizes)
    print(head.format("ours, in process (median ms)", *(f"{n} steps" for n in sizes)))

    def row(label: str, key: str | None = None, name: str | None = None) -> None:
        cells = []
        for n in sizes:
            value = phases[n]["median_s"][name] if name else phases[n][key]
            share = f"({value / phases[n]['wall_median_s']:4.0%})" if key != "wall_median_s" else "      "
            cells.append(f"{value * 1000:8.1f} {share}")
        print(head.format(label, *cells))

    for name in phases[sizes[0]]["median_s"]:
        row(name, name=name)
    row("rest: interpreter start and exit", "rest_median_s")
    row("whole process (phase runs)", "wall_median_s")
    row("validate again (schema cached)", "validate_again_median_s")
    print("Percentages are of the whole process (its phases plus rest, median over the runs). 'rest' is each run's")
    print("wall time minus the time spent in the script. 'validate again' repeats the check in the same process")
    print("after the phases (not counted in the whole): validate minus it is about the one-off schema load.")


# ---------------------------------------------------------------- recording


def package_version(python: Path, distribution: str, cwd: Path) -> str:
    """Installed version, asked from a scratch cwd with -I so the repository cannot shadow it."""
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    out = subprocess.run([str(python), "-I", "-c", code], cwd=cwd, capture_output=True, text=True)
    return out.stdout.strip() or f"unknown ({out.stderr.strip()[-200:]})"


def metadata(args: argparse.Namespace, contenders: list[Contender]) -> dict[str, Any]:
    try:
        head = git(REPO_ROOT, "rev-parse", "HEAD")
        dirty = bool(git(REPO_ROOT, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "unknown", False
    return {
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
        "runs": args.runs,
        "sizes": list(args.sizes),
        "time_box_s": args.time_box,
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "repo_head": head,
        "repo_dirty": dirty,
        "contenders": {
            c.name: {"label": c.label, "python": str(c.python), "real_python": os.path.realpath(c.python),
                     "version": package_version(c.python, DISTRIBUTIONS[c.name], c.project),
                     "pyyaml": package_version(c.python, "PyYAML", c.project)}
            for c in contenders
        },
    }


def write_json(meta: dict[str, Any], payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"argo-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    meta = {**meta, "loadavg_at_end": os.getloadavg()}
    path.write_text(json.dumps({"meta": meta, "targets_s": TARGETS, **payload}, indent=1))
    return path


# ---------------------------------------------------------------- main


def run_all(args: argparse.Namespace, contenders: list[Contender]) -> int:
    meta = metadata(args, contenders)
    versions = {c.name: meta["contenders"][c.name]["version"] for c in contenders}
    print(f"{args.runs} rounds (+1 warm-up); sizes {', '.join(map(str, args.sizes))}; "
          + ", ".join(f"{LABELS[k]}={v}" for k, v in versions.items())
          + f"; scratch: {contenders[0].project}", file=sys.stderr)
    warm = warm_up(contenders, args.sizes, args.time_box)
    results, loads = measure(contenders, args.sizes, args.runs, args.time_box)
    summary = summarise(results)
    summary["skipped"] = {c.name: c.skipped for c in contenders if c.skipped}
    print()
    print_table(summary, contenders, versions)
    phases: dict[int, dict[str, Any]] = {}
    phase_sizes = tuple(n for n in args.sizes if n in PHASE_SIZES)
    if not args.no_phases and phase_sizes and any(c.name == "ours" for c in contenders):
        ours = next(c for c in contenders if c.name == "ours")
        print(f"  phase split of ours, {args.runs} fresh processes per size", file=sys.stderr, flush=True)
        phases = measure_phases(ours, phase_sizes, args.runs)
        print_phases(phases)
    raw = {n: {name: [asdict(s) for s in samples] for name, samples in by_name.items()}
           for n, by_name in results.items()}
    path = write_json(meta, {"summary": summary, "warm_up_s": warm, "loadavg_per_round": loads,
                             "phases": phases, "raw": raw})
    print(f"\nraw numbers: {path.relative_to(REPO_ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [name for name in VENVS if not args.only or name in args.only]
    scratch = Path(tempfile.mkdtemp(prefix="bench-argo-"))
    try:
        for name in names:
            check_python(name, VENVS[name] / "bin" / "python")
    except BenchFailure as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        print(f"benchmark not started: {exc}", file=sys.stderr)
        return 2
    project = scratch / "project"
    make_project(project, args.sizes)
    contenders = [Contender(name, VENVS[name] / "bin" / "python", project) for name in names]
    try:
        code = run_all(args, contenders)
    except BenchFailure as exc:
        print(f"benchmark failed: {exc}\n(scratch project kept in {project})", file=sys.stderr)
        return 1
    shutil.rmtree(scratch, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
