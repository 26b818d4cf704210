"""Object stores side by side: our s3 stores against runnable 0.50's minio stores, on one local S3 server.

Run from the repository root (the S3 server is moto, from the dev extras):

    bash bench/setup.sh && bench/.venv-baseline/bin/pip install 'runnable[s3]==0.50.0'
    .venv/bin/python bench/bench_object_store.py

Measured, each side in its own scratch git project and bucket on the same moto server:

- a linear pipeline of 1 and of N trivial PythonTasks, whole processes, alternating the
  sides; per-step overhead = (t_N - t_1) / (N - 1). Target: ours <= 1/3 of runnable 0.50's;
- requests per task step, counted from the server's access log: (r_N - r_1) / (N - 1).
  Target: at most 3;
- ``runnable show RUN_ID`` of a 1,000-step run from the object store, whole process.
  Target: at most 1 s.
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
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(BENCH_DIR))

from bench_foundation import FUNCS_PY, LINEAR_PY, BenchFailure, git  # noqa: E402
from tests.s3_server import ACCESS_KEY, SECRET_KEY, S3Server  # noqa: E402

OURS_PYTHON = Path(os.environ.get("BENCH_OURS_VENV") or REPO_ROOT / ".venv").resolve() / "bin" / "python"
BASE_PYTHON = BENCH_DIR / ".venv-baseline" / "bin" / "python"
RESULTS_DIR = BENCH_DIR / "results"


def config_for(side: str, endpoint: str, bucket: str, base_log_type: str) -> dict:
    if side == "ours":
        common = {"endpoint_url": endpoint, "bucket": bucket}
        return {"run-log-store": {"type": "s3", "config": {**common, "prefix": "run-logs"}},
                "catalog": {"type": "s3", "config": {**common, "prefix": "catalog"}}}
    keys = {"endpoint_url": endpoint, "aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY}
    return {"run-log-store": {"type": base_log_type, "config": {**keys, "bucket": f"{bucket}/run-logs"}},
            "catalog": {"type": "minio", "config": {**keys, "bucket": bucket}}}


def make_project(folder: Path, config: dict) -> None:
    folder.mkdir(parents=True)
    (folder / "funcs.py").write_text(FUNCS_PY)
    (folder / "linear.py").write_text(LINEAR_PY)
    (folder / "runnable-config.yaml").write_text(json.dumps(config))  # JSON is YAML
    (folder / ".gitignore").write_text(".run_log_store/\n.catalog/\n__pycache__/\n")
    git(folder, "init", "-q")
    git(folder, "config", "user.name", "bench")
    git(folder, "config", "user.email", "bench@example.invalid")
    git(folder, "config", "commit.gpgsign", "false")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "scratch project")


def child_env(server: S3Server, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNNABLE_", "PYTHON", "VIRTUAL_ENV", "AWS_"))}
    env.update(server.env())
    env.update(extra)
    return env


def timed(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    with open(log, "ab") as out:
        start = time.perf_counter()
        code = subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                              timeout=900).returncode
        wall = time.perf_counter() - start
    if code != 0:
        raise BenchFailure(f"{argv} in {cwd} exited {code}; see {log}")
    return wall


def run_pipeline(side: str, python: Path, project: Path, server: S3Server, nsteps: int, log: Path) -> tuple[float, int]:
    """Wall time and requests served for one run of the linear pipeline; checks it succeeded."""
    run_id = f"b{uuid.uuid4().hex[:10]}"
    before = len(server.requests())
    env = child_env(server, {"NSTEPS": str(nsteps), "RUNNABLE_RUN_ID": run_id})
    wall = timed([str(python), "linear.py"], project, env, log)
    requests = len(server.requests()) - before
    if side == "ours":
        shown = subprocess.run([str(python), "-m", "runnable.cli", "show", run_id, "--json"], cwd=project,
                               env=child_env(server, {}), capture_output=True, text=True)
        data = json.loads(shown.stdout) if shown.returncode == 0 else {}
        if data.get("status") != "SUCCESS" or data["parameters"]["x"]["value"] != nsteps - 1:
            raise BenchFailure(f"ours: run {run_id} did not succeed with x={nsteps - 1}: {shown.stderr[-500:]}")
    elif "SUCCESS" not in log.read_text(errors="replace")[-20000:]:
        raise BenchFailure(f"{side}: run {run_id} did not report SUCCESS; see {log}")
    return wall, requests


def measure_pipelines(args: argparse.Namespace, server: S3Server, scratch: Path) -> dict:
    sides = {"ours": OURS_PYTHON}
    if not args.ours_only:
        sides[f"runnable-0.50 {args.base_log_type}"] = BASE_PYTHON
    projects = {}
    for index, (side, python) in enumerate(sides.items()):
        bucket = server.make_bucket(f"bench-{index}-{uuid.uuid4().hex[:8]}")
        projects[side] = scratch / f"side{index}"
        make_project(projects[side], config_for("ours" if side == "ours" else "base", server.endpoint, bucket,
                                                args.base_log_type))
    samples: dict[str, dict[int, list[tuple[float, int]]]] = {s: {1: [], args.steps: []} for s in sides}
    for round_number in range(args.runs + 1):  # round 0 warms up
        for nsteps in (1, args.steps):
            for side, python in sides.items():
                result = run_pipeline("ours" if side == "ours" else side, python, projects[side], server, nsteps,
                                      scratch / f"{projects[side].name}.log")
                if round_number:
                    samples[side][nsteps].append(result)
        print(f"  round {round_number}/{args.runs} done", file=sys.stderr)
    summary = {}
    for side in sides:
        t1 = statistics.median(w for w, _ in samples[side][1])
        tn = statistics.median(w for w, _ in samples[side][args.steps])
        r1 = statistics.median(r for _, r in samples[side][1])
        rn = statistics.median(r for _, r in samples[side][args.steps])
        summary[side] = {"t1": t1, "tN": tn, "per_step": (tn - t1) / (args.steps - 1),
                         "requests_1": r1, "requests_N": rn, "requests_per_step": (rn - r1) / (args.steps - 1)}
    return {"samples": {s: {str(n): v for n, v in d.items()} for s, d in samples.items()}, "summary": summary}


def measure_show(args: argparse.Namespace, server: S3Server, scratch: Path) -> dict:
    """``runnable show`` of a long run, from a fresh working directory holding only the configuration."""
    bucket = server.make_bucket(f"show-{uuid.uuid4().hex[:8]}")
    project = scratch / "show-run"
    make_project(project, config_for("ours", server.endpoint, bucket, ""))
    run_id = "long"
    env = child_env(server, {"NSTEPS": str(args.show_steps), "RUNNABLE_RUN_ID": run_id})
    made = timed([str(OURS_PYTHON), "linear.py"], project, env, scratch / "show-run.log")
    reader = scratch / "reader"
    reader.mkdir()
    (reader / "runnable-config.yaml").write_text((project / "runnable-config.yaml").read_text())
    walls, requests = [], []
    for attempt in range(args.runs + 1):
        before = len(server.requests())
        wall = timed([str(OURS_PYTHON), "-m", "runnable.cli", "show", run_id], reader, child_env(server, {}),
                     scratch / "show.log")
        if attempt:
            walls.append(wall)
            requests.append(len(server.requests()) - before)
    startup = [timed([str(OURS_PYTHON), "-c", "pass"], reader, child_env(server, {}), scratch / "show.log")
               for _ in range(args.runs)]
    if f"{args.show_steps - 1}" not in (scratch / "show.log").read_text()[-5000:] and args.show_steps > 1:
        pass  # the table shows parameters; the run's success is checked below
    shown = subprocess.run([str(OURS_PYTHON), "-m", "runnable.cli", "show", run_id, "--json"], cwd=reader,
                           env=child_env(server, {}), capture_output=True, text=True)
    data = json.loads(shown.stdout)
    if data["status"] != "SUCCESS" or len(data["steps"]) != args.show_steps + 1:
        raise BenchFailure(f"the {args.show_steps}-step run reads back as {data['status']} with "
                           f"{len(data['steps'])} steps")
    return {"steps": args.show_steps, "run_seconds": made, "show_walls": walls, "show_median": statistics.median(walls),
            "show_requests": statistics.median(requests), "python_startup_median": statistics.median(startup)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="tasks in the longer pipeline (default 20)")
    parser.add_argument("--show-steps", type=int, default=1000)
    parser.add_argument("--base-log-type", default="chunked-minio", choices=["chunked-minio", "minio"])
    parser.add_argument("--ours-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.ours_only and not BASE_PYTHON.exists():
        print(f"no baseline at {BASE_PYTHON}: run bash bench/setup.sh, then install runnable[s3]==0.50.0 there",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-objects-") as folder:
        scratch = Path(folder)
        server = S3Server(scratch / "s3-access.log")
        try:
            pipelines = measure_pipelines(args, server, scratch)
            show = measure_show(args, server, scratch)
        except BenchFailure as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            input_log = sorted(scratch.glob("*.log"))
            for log in input_log:
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            return 1
        finally:
            server.stop()
    summary = pipelines["summary"]
    print(f"\nlinear pipeline, 1 and {args.steps} tasks, medians of {args.runs} runs, same moto server")
    print(f"{'side':<28} {'t1':>8} {'tN':>8} {'per step':>10} {'req/run(1)':>11} {'req/step':>9}")
    for side, row in summary.items():
        print(f"{side:<28} {row['t1']:>7.3f}s {row['tN']:>7.3f}s {row['per_step'] * 1000:>8.1f}ms "
              f"{row['requests_1']:>11.0f} {row['requests_per_step']:>9.2f}")
    ours = summary["ours"]
    verdicts = [f"requests per task step: {ours['requests_per_step']:.2f} (target <= 3): "
                f"{'ok' if ours['requests_per_step'] <= 3 else 'MISSED'}"]
    for side, row in summary.items():
        if side != "ours":
            ratio = ours["per_step"] / row["per_step"]
            verdicts.append(f"per-step overhead ours/{side}: {ratio:.3f} (target <= 0.333): "
                            f"{'ok' if ratio <= 1 / 3 else 'MISSED'}")
    verdicts.append(f"runnable show of a {show['steps']}-step run: {show['show_median']:.3f}s median, "
                    f"{show['show_requests']:.0f} requests (target <= 1 s): "
                    f"{'ok' if show['show_median'] <= 1 else 'MISSED'}; python -c pass: "
                    f"{show['python_startup_median']:.3f}s")
    print("\n".join(verdicts))
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"object-store-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "pipelines": pipelines, "show": show,
                               "commit": git(REPO_ROOT, "rev-parse", "HEAD"), "load": os.getloadavg()}, indent=2))
    print(f"raw samples: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
