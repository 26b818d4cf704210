"""local-container: bad input and failures, with a real Docker engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import cli, write_module
from tests.test_examples import read_run

KILLER = """
import os, signal, time
from runnable import Pipeline, PythonTask

def ok() -> int:
    return 1

def killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)

def sleepy() -> None:
    time.sleep(60)

pipeline = Pipeline(steps=[PythonTask(name="ok", function=ok, returns=["one"]),
                           PythonTask(name="killed", function=killed)])
slow = Pipeline(steps=[PythonTask(name="sleepy", function=sleepy)])
"""


def _config(project: Path, image: str) -> str:
    (project / "lc.yaml").write_text(f"pipeline-executor:\n  type: local-container\n  config:\n    docker_image: {image}\n")
    return "lc.yaml"




def _containers(run_id: str) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=org.runnable.run-id={run_id}"],
                         capture_output=True, text=True)
    return out.stdout.split()


def test_a_missing_image_is_refused_before_the_run_starts(project: Path, docker_image: str) -> None:
    write_module(project, "killer", KILLER)
    result = cli(["run", "killer.py:pipeline", "-c", _config(project, "no-such-image:never")], project)
    assert result.returncode == 2
    assert "Image 'no-such-image:never' is not available locally" in result.stderr
    assert not (project / ".run_log_store").exists()


def test_docker_not_running_is_a_clear_error(project: Path, docker_image: str) -> None:
    write_module(project, "killer", KILLER)
    result = cli(["run", "killer.py:pipeline", "-c", _config(project, docker_image)], project,
                  {"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 2 and "Cannot reach the Docker engine" in result.stderr
    assert not (project / ".run_log_store").exists()


def test_a_killed_step_is_recorded_as_failed_and_no_container_is_left(project: Path, docker_image: str) -> None:
    write_module(project, "killer", KILLER)
    result = cli(["run", "killer.py:pipeline", "-c", _config(project, docker_image), "--run-id", "k1"], project)
    assert result.returncode == 1
    run_log = read_run(project, "k1")
    assert run_log.status == "FAIL" and run_log.steps["ok"].status == "SUCCESS"
    assert run_log.steps["killed"].status == "FAIL" and "did not finish" in run_log.steps["killed"].message
    assert _containers("k1") == []


def test_ctrl_c_leaves_no_container(project: Path, docker_image: str) -> None:
    write_module(project, "killer", KILLER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    process = subprocess.Popen([sys.executable, "-m", "runnable.cli", "run", "killer.py:slow", "-c",
                                _config(project, docker_image), "--run-id", "c1"], cwd=project, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not _containers("c1") and time.time() < deadline:
        time.sleep(0.2)
    assert _containers("c1"), "the step's container never started"
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) != 0
    assert _containers("c1") == []
    assert read_run(project, "c1").status == "FAIL"
