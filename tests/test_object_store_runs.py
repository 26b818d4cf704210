"""Runs against object stores on a real S3 API server (moto on 127.0.0.1), as users run them.

Every example gives on object stores what it gives on the file system; a parallel Map of
200 items writes 200 item records; a run killed with SIGKILL is finished by ``runnable
retry`` from another working directory that holds nothing but the configuration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from runnable.config import parse_config
from runnable.stores.build import build_stores
from tests.helpers import cli, write_module
from tests.s3_server import store_config
from tests.test_examples import EXAMPLES, EXPECTED, PARAMS

CONCURRENT = [e for e in EXAMPLES if e.startswith(("examples/06-parallel/", "examples/07-map/"))]


def _config_file(folder: Path, server, bucket: str, base: str = "", extra: dict | None = None) -> Path:
    """The example's own configuration (if any) with both stores in ``bucket``."""
    data = yaml.safe_load((folder / base).read_text()) if base else {}
    data = {**(data or {}), **store_config(server.endpoint, bucket), **(extra or {})}
    path = folder / "object-stores.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _stores(server, bucket: str):
    return build_stores(parse_config(store_config(server.endpoint, bucket), "test"))


def _run_example(example: str, project: Path, server, extra: dict | None = None):
    expected = EXPECTED[example]
    bucket = server.make_bucket(f"ex-{uuid.uuid4().hex[:12]}")
    args = list(expected.get("args", []))
    base = args[args.index("-c") + 1] if "-c" in args else ""
    config = _config_file(project, server, bucket, base, extra)
    result = cli(["run", example, "-p", PARAMS, "--run-id", "example", "-c", str(config)], project,
                 {**server.env(), **expected.get("env", {})})
    assert result.returncode == expected.get("exit", 0), result.stdout + result.stderr
    store, catalog, _ = _stores(server, bucket)
    return bucket, store.get_run("example"), catalog, result.stdout + result.stderr


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_gives_the_same_results_on_object_stores(example: str, project: Path, s3_env) -> None:
    expected = EXPECTED[example]
    bucket, run_log, catalog, output = _run_example(example, project, s3_env)
    assert not (project / ".run_log_store").exists() and not (project / ".catalog").exists()
    header = run_log.to_dict()
    steps = header["steps"]
    assert header["status"] == expected.get("status", "SUCCESS")
    values = run_log.parameter_values()
    for name, value in expected.get("params", {}).items():
        assert values.get(name) == value, name
    for name in expected.get("absent_params", []):
        assert name not in values, name
    if "steps" in expected:
        assert sorted(steps) == sorted(expected["steps"])
    if "step_status" in expected:
        assert {k: steps[k]["status"] for k in expected["step_status"]} == expected["step_status"]
    else:
        assert all(step["status"] == "SUCCESS" for step in steps.values())
    for name in expected.get("absent_steps", []):
        assert name not in steps, name
    for name, count in expected.get("attempts", {}).items():
        assert len(steps[name]["attempts"]) == count
    stored = set(catalog.s3.list("example/"))
    for name in expected.get("logs", []):
        assert f"example/{name}" in stored, name
    for name in expected.get("absent", []):
        assert f"example/{name}" not in stored, name
    if "secret" in expected:
        assert expected["secret"] not in output
        for name in catalog.s3.list(""):
            assert expected["secret"].encode() not in catalog.s3.get_bytes(name), name


@pytest.mark.parametrize("example", CONCURRENT)
def test_concurrent_branches_on_object_stores(example: str, project: Path, s3_env) -> None:
    _, parallel, _, _ = _run_example(example, project, s3_env, yaml.safe_load(
        (project / "examples/configs/parallel.yaml").read_text()))
    _, sequential, _, _ = _run_example(example, project, s3_env)
    assert parallel.parameters == sequential.parameters and parallel.status == sequential.status
    assert {k: v.status for k, v in parallel.steps.items()} == {k: v.status for k, v in sequential.steps.items()}


MAP_200 = """
from runnable import Map, Pipeline, PythonTask

def items() -> list[int]:
    return list(range(200))

def square(item: int) -> int:
    return item * item

def main():
    branch = Pipeline(steps=[PythonTask(name="square", function=square, returns=["sq"])])
    pipeline = Pipeline(steps=[PythonTask(name="items", function=items, returns=["items"]),
                               Map(name="fan", branch=branch, iterate_on="items", iterate_as="item")])
    pipeline.execute()
    return pipeline
"""


def test_a_parallel_map_of_200_items_writes_200_item_records(project: Path, s3_env) -> None:
    write_module(project, "fan", MAP_200)
    bucket = s3_env.make_bucket(f"map-{uuid.uuid4().hex[:12]}")
    config = _config_file(project, s3_env, bucket,
                          extra={"pipeline-executor": {"type": "local", "config": {"enable_parallel": True,
                                                                                   "max_workers": 8}}})
    result = cli(["run", "fan.py", "--run-id", "m200", "-c", str(config)], project, s3_env.env())
    assert result.returncode == 0, result.stderr
    run_log = _stores(s3_env, bucket)[0].get_run("m200")
    squares = [run_log.steps[f"fan.{i}.square"] for i in range(200)]
    assert all(s.status == "SUCCESS" for s in squares)
    assert run_log.parameter_values()["sq"] == [i * i for i in range(200)]
    records = [k for k in _stores(s3_env, bucket)[0].s3.list("m200/steps/")]
    assert len([k for k in records]) >= 200 + 3 and len(set(records)) == len(records)


SLOW = """
from runnable import Pipeline, ShellTask

def main():
    pipeline = Pipeline(steps=[
        ShellTask(name="first", command='echo ran >> "$MARKS/first"; export x=1', returns=["x"]),
        ShellTask(name="slow", command='echo ran >> "$MARKS/slow"; if [ ! -f "$MARKS/fast" ]; then sleep 600; fi; '
                                       'export y=$((x + 1))', returns=["y"]),
        ShellTask(name="last", command='echo "x=$x y=$y" > "$MARKS/last"'),
    ])
    pipeline.execute()
    return pipeline
"""


def test_killed_run_is_retried_from_another_machine_with_only_the_config(tmp_path: Path, s3_env) -> None:
    first, second, marks = tmp_path / "first", tmp_path / "second", tmp_path / "marks"
    for folder in (first, second, marks):
        folder.mkdir()
    write_module(first, "pipe", SLOW)
    bucket = s3_env.make_bucket(f"kill-{uuid.uuid4().hex[:12]}")
    for folder in (first, second):
        _config_file(folder, s3_env, bucket).rename(folder / "runnable-config.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    env.update({**s3_env.env(), "MARKS": str(marks)})
    process = subprocess.Popen([sys.executable, "-m", "runnable.cli", "run", "pipe.py", "--run-id", "k1"],
                               cwd=first, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while not (marks / "slow").exists():
        assert process.poll() is None and time.monotonic() < deadline, "the run never reached its slow step"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    store = _stores(s3_env, bucket)[0]
    killed = store.get_run("k1")
    assert killed.status == "PROCESSING" and list(killed.steps) == ["first"]
    (marks / "fast").write_text("")
    assert sorted(p.name for p in second.iterdir()) == ["runnable-config.yaml"]
    shown = subprocess.run([sys.executable, "-m", "runnable.cli", "runs"], cwd=second, env=env, capture_output=True,
                           text=True)
    assert shown.returncode == 0 and "k1" in shown.stdout, shown.stderr
    retried = subprocess.run([sys.executable, "-m", "runnable.cli", "retry", "k1"], cwd=second, env=env,
                             capture_output=True, text=True)
    assert retried.returncode == 0, retried.stderr
    run_log = _stores(s3_env, bucket)[0].get_run("k1")
    assert run_log.status == "SUCCESS" and run_log.parameter_values()["y"] == 2
    assert (marks / "first").read_text() == "ran\n"  # succeeded before the kill: not run again
    assert (marks / "last").read_text().strip() == "x=1 y=2"
    assert sorted(p.name for p in second.iterdir()) == ["runnable-config.yaml"]  # nothing written locally
    show = subprocess.run([sys.executable, "-m", "runnable.cli", "show", "k1", "--json"], cwd=second, env=env,
                          capture_output=True, text=True)
    assert show.returncode == 0 and json.loads(show.stdout)["status"] == "SUCCESS"


DYING = """
import os, signal
from runnable import Pipeline, PythonTask

def first() -> int:
    return 1

def stop_the_server(x: int) -> int:
    os.kill(int(os.environ["S3_SERVER_PID"]), signal.SIGKILL)
    print("the server is gone")
    return x + 1

def main():
    pipeline = Pipeline(steps=[PythonTask(name="first", function=first, returns=["x"]),
                               PythonTask(name="second", function=stop_the_server, returns=["y"]),
                               PythonTask(name="third", function=first, returns=["z"])])
    pipeline.execute()
    return pipeline
"""


def test_a_server_that_dies_mid_run_stops_the_run_with_one_clear_line(project: Path, tmp_path: Path) -> None:
    from tests.s3_server import S3Server

    server = S3Server(tmp_path / "dying.log")
    try:
        write_module(project, "dying", DYING)
        bucket = server.make_bucket("dying")
        config = _config_file(project, server, bucket)
        result = cli(["run", "dying.py", "--run-id", "d1", "-c", str(config)], project,
                     {**server.env(), "S3_SERVER_PID": str(server.process.pid)})
    finally:
        server.stop()
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"bucket 'dying' at {server.endpoint}" in errors[0] and "that the server is running" in errors[0]


def test_denied_writes_and_refused_credentials_are_one_clear_line_and_write_nothing(project: Path,
                                                                                  tmp_path: Path) -> None:
    from tests.s3_server import S3Server

    server = S3Server(tmp_path / "auth.log", checks_credentials=True)
    try:
        key, secret = server.read_only_user("locked")
        config = _config_file(project, server, "locked")
        write_module(project, "pipe", SLOW)
        outcomes = {}
        for name, keys in {"denied": (key, secret), "unknown key": ("AKIANOSUCHKEY", "x"),
                           "wrong secret": (key, "wrong")}.items():
            env = {**server.env(), "AWS_ACCESS_KEY_ID": keys[0], "AWS_SECRET_ACCESS_KEY": keys[1]}
            outcomes[name] = cli(["run", "pipe.py", "--run-id", "a1", "-c", str(config)], project, env)
        listing = [r for r in server.requests() if r.startswith("PUT ") and "/locked/" in r]
    finally:
        server.stop()
    expected = {"denied": "access denied; grant these credentials s3:GetObject, s3:PutObject",
                "unknown key": "credentials were refused (InvalidAccessKeyId)",
                "wrong secret": "credentials were refused (SignatureDoesNotMatch)"}
    for name, result in outcomes.items():
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert result.returncode == 2 and len(errors) == 1, result.stderr
        assert "run-log-store 's3'" in errors[0] and "bucket 'locked'" in errors[0], errors[0]
        assert expected[name] in errors[0], errors[0]
    assert not (tmp_path / "marks").exists()
    assert listing, server.requests()  # the writes were attempted and refused: the bucket holds nothing of the run
