"""``RUNNABLE_RETRY_RUN_ID=ID python script.py``: runnable users retry a failed run by running the script again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import cli

SCRIPT = "examples/09-retry/retry_by_env.py"


def python(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python script.py`` as a user runs it, with only the RUNNABLE_* variables given here."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    full.update(env)
    return subprocess.run([sys.executable, script], cwd=cwd, capture_output=True, text=True, env=full)


def shown(project: Path, run_id: str) -> dict:
    result = cli(["show", run_id, "--json"], project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def store_snapshot(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes()
            for folder in (".run_log_store", ".catalog") for p in sorted((project / folder).rglob("*")) if p.is_file()}


def test_a_failed_run_is_retried_with_its_own_parameters(project: Path) -> None:
    first = python(SCRIPT, project, RUNNABLE_RUN_ID="first", RUNNABLE_PRM_integer="41", RUNNABLE_PRM_stringer="hi")
    assert first.returncode == 1
    run = shown(project, "first")
    assert run["status"] == "FAIL" and run["steps"]["check"]["status"] == "FAIL"

    still = python(SCRIPT, project, RUNNABLE_RETRY_RUN_ID="first")
    assert still.returncode == 1  # still failing: the retry fails as a run does
    (project / "fixed").write_text("")
    (project / "other.yaml").write_text("integer: 1000\nstringer: new\n")
    fixed = python(SCRIPT, project, RUNNABLE_RETRY_RUN_ID="first", RUNNABLE_PRM_integer="5",
                   RUNNABLE_PARAMETERS_FILE="other.yaml")
    assert fixed.returncode == 0, fixed.stderr
    notices = [line for line in fixed.stderr.splitlines() if "original parameters" in line]
    assert notices == ["runnable: retrying run first with its original parameters; ignored: "
                       "parameters file 'other.yaml', RUNNABLE_PRM_integer."]

    run = shown(project, "first")
    assert run["status"] == "SUCCESS" and run["retries"] == 2
    values = {name: spec["value"] for name, spec in run["parameters"].items()}
    assert values == {"integer": 42, "stringer": "hi", "message": "hi 42"}
    assert len(run["steps"]["bump"]["attempts"]) == 1  # succeeded the first time: never run again
    assert [a["status"] for a in run["steps"]["check"]["attempts"]] == ["FAIL", "FAIL", "SUCCESS"]
    assert not (project / ".run_log_store").joinpath("other").exists()
    assert [r for r in os.listdir(project / ".run_log_store")] == ["first"]  # no new run was started


def test_runnable_run_honours_the_variable_too(project: Path) -> None:
    params = "examples/common/initial_parameters.yaml"
    assert cli(["run", SCRIPT, "-p", params, "--run-id", "r1"], project).returncode == 1
    (project / "fixed").write_text("")
    retried = cli(["run", SCRIPT, "-p", params], project, {"RUNNABLE_RETRY_RUN_ID": "r1"})
    assert retried.returncode == 0, retried.stderr
    assert "ignored: parameters file" in retried.stderr
    assert shown(project, "r1")["parameters"]["message"]["value"] == "hello 2"


def test_a_missing_run_is_one_line_and_exit_2_writing_nothing(project: Path) -> None:
    result = python(SCRIPT, project, RUNNABLE_RETRY_RUN_ID="no-such-run")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Error: No run with id 'no-such-run' in .run_log_store; 'runnable runs' lists the known runs."]
    assert not (project / ".run_log_store").exists() and not (project / ".catalog").exists()


def test_a_succeeded_run_is_refused_and_left_alone(project: Path) -> None:
    (project / "fixed").write_text("")
    assert python(SCRIPT, project, RUNNABLE_RUN_ID="done", RUNNABLE_PRM_integer="1",
                  RUNNABLE_PRM_stringer="x").returncode == 0
    before = store_snapshot(project)
    result = python(SCRIPT, project, RUNNABLE_RETRY_RUN_ID="done")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["Error: Run 'done' succeeded; there is nothing to retry."]
    assert store_snapshot(project) == before


def test_a_changed_pipeline_is_refused_and_nothing_runs(project: Path) -> None:
    assert python(SCRIPT, project, RUNNABLE_RUN_ID="old", RUNNABLE_PRM_integer="1",
                  RUNNABLE_PRM_stringer="x").returncode == 1
    before = store_snapshot(project)
    script = project / SCRIPT
    script.write_text(script.read_text().replace('name="check"', 'name="verify"'))
    (project / "fixed").write_text("")
    result = python(SCRIPT, project, RUNNABLE_RETRY_RUN_ID="old")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: The pipeline has changed since run 'old' started")
    assert store_snapshot(project) == before


def test_a_job_is_retried_the_same_way(project: Path) -> None:
    (project / "job.py").write_text(
        "from runnable import PythonJob\n"
        "from examples.common.functions import check_after_fix\n"
        "PythonJob(function=check_after_fix, returns=['message']).execute()\n")
    assert python("job.py", project, RUNNABLE_RUN_ID="j1", RUNNABLE_PRM_integer="7",
                  RUNNABLE_PRM_stringer="job").returncode == 1
    (project / "fixed").write_text("")
    retried = python("job.py", project, RUNNABLE_RETRY_RUN_ID="j1")
    assert retried.returncode == 0, retried.stderr
    run = shown(project, "j1")
    assert run["status"] == "SUCCESS" and run["parameters"]["message"]["value"] == "job 7"
    assert [a["status"] for a in run["steps"]["job"]["attempts"]] == ["FAIL", "SUCCESS"]


def test_cluster_executors_are_pointed_at_runnable_retry(project: Path) -> None:
    result = python(SCRIPT, project, RUNNABLE_RETRY_RUN_ID="r1",
                    RUNNABLE_CONFIGURATION_FILE="examples/configs/argo-config.yaml")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Error: RUNNABLE_RETRY_RUN_ID retries runs that ran on this machine; the 'argo' executor runs on a "
        "cluster: use 'runnable retry r1' there."]
    assert not (project / ".run_log_store").exists()
