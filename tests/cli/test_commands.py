"""The ``runnable`` command, run as a real process: exit codes, messages, files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import write_module


def runnable(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runnable.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=env)


def run_ids(project: Path) -> list[str]:
    folder = project / ".run_log_store"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def run_header(project: Path, run_id: str) -> dict:
    return json.loads((project / ".run_log_store" / run_id / "run.json").read_text())


def test_seed_job_runs_once_through_main(project: Path) -> None:
    result = runnable("run", "examples/11-jobs/python_tasks.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Hello World!") == 1
    [run_id] = run_ids(project)
    assert run_header(project, run_id)["status"] == "SUCCESS"
    assert "Hello World!" in (project / ".catalog" / run_id / "job.execution.log").read_text()


def test_plain_python_finds_the_project_modules(project: Path) -> None:
    result = subprocess.run([sys.executable, "examples/01-tasks/python_tasks.py"], cwd=project, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Hello World!") == 2


def test_main_that_only_returns_is_executed_with_cli_options(project: Path) -> None:
    write_module(project, "returns_only", """
        from runnable import Pipeline, ShellTask
        def main():
            return Pipeline(steps=[ShellTask(name="s", command="export got=$value", returns=["got"])])
    """)
    (project / "p.yaml").write_text("value: 7\n")
    result = runnable("run", "returns_only.py", "-p", "p.yaml", "--run-id", "my-run", "--tag", "t1", cwd=project)
    assert result.returncode == 0, result.stderr
    header = run_header(project, "my-run")
    assert header["tag"] == "t1" and header["parameters"]["got"]["value"] == 7


def test_module_level_object_and_named_attribute(project: Path) -> None:
    write_module(project, "two", """
        from runnable import PythonJob, ShellJob
        first = ShellJob(command="echo first")
        second = ShellJob(command="echo second")
    """)
    ambiguous = runnable("run", "two.py", cwd=project)
    assert ambiguous.returncode == 2 and "several jobs/pipelines (first, second)" in ambiguous.stderr
    chosen = runnable("run", "two.py:second", cwd=project)
    assert chosen.returncode == 0 and "second" in chosen.stdout and "first" not in chosen.stdout


def test_a_failed_run_exits_1(project: Path) -> None:
    write_module(project, "failing", """
        from runnable import ShellJob
        job = ShellJob(command="echo about to fail; exit 4")
    """)
    result = runnable("run", "failing.py", cwd=project)
    assert result.returncode == 1
    assert "exited with code 4" in result.stderr
    [run_id] = run_ids(project)
    assert run_header(project, run_id)["status"] == "FAIL"


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({}, ["run", "missing.py"], "does not exist"),
        ({"lam.py": "from runnable import PythonJob\njob = PythonJob(function=lambda: 1)\n"}, ["run", "lam.py"],
         "a lambda cannot be referenced"),
        ({"nothing.py": "x = 1\n"}, ["run", "nothing.py"], "no module-level Pipeline or Job"),
        ({"ok.py": "from runnable import ShellJob\njob = ShellJob(command='true')\n", "bad.yaml": "catalog: [x\n"},
         ["run", "ok.py", "-c", "bad.yaml"], "not valid YAML"),
        ({"ok.py": "from runnable import ShellJob\njob = ShellJob(command='true')\n",
          "k.yaml": "job-executor:\n  type: mini-k8s-job\n"}, ["run", "ok.py", "-c", "k.yaml"], "No Kubernetes cluster configuration found"),
            ({"ok.py": "from runnable import ShellJob\njob = ShellJob(command='true')\n",
              "k.yaml": "job-executor:\n  type: k8s-job\n"}, ["run", "ok.py", "-c", "k.yaml"],
             "No Kubernetes cluster configuration found"),
        ({"ok.py": "from runnable import ShellJob\njob = ShellJob(command='true')\n", "u.yaml": "executor: {}\n"},
         ["run", "ok.py", "-c", "u.yaml"], "Unknown configuration key 'executor'"),
        ({"boom.py": "raise RuntimeError('broken module')\n"}, ["run", "boom.py"], "broken module"),
        ({"ok.py": "from runnable import ShellJob\njob = ShellJob(command='true')\n"},
         ["compile", "ok.py", "--target", "argoo"], "Unknown target 'argoo'"),
        ({}, ["show", "no-such-run"], "No run with id 'no-such-run'"),
    ],
)
def test_user_errors_exit_2_with_one_clear_message(project: Path, files: dict, args: list, message: str) -> None:
    for name, text in files.items():
        (project / name).write_text(text)
    result = runnable(*args, cwd=project)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr.split("Error:")[0]
    assert not (project / ".catalog").exists()


def test_an_existing_run_id_is_refused_and_the_old_run_kept(project: Path) -> None:
    first = runnable("run", "examples/11-jobs/scripts.py", "--run-id", "same", cwd=project)
    assert first.returncode == 0
    before = (project / ".run_log_store" / "same" / "run.json").read_text()
    second = runnable("run", "examples/11-jobs/scripts.py", "--run-id", "same", cwd=project)
    assert second.returncode == 2 and "already exists" in second.stderr
    assert (project / ".run_log_store" / "same" / "run.json").read_text() == before


def test_compile_is_deterministic_and_never_runs(project: Path) -> None:
    first = runnable("compile", "examples/01-tasks/python_tasks.py", cwd=project)
    second = runnable("compile", "examples/01-tasks/python_tasks.py", "--format", "yaml", cwd=project)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and "kind: pipeline" in first.stdout
    assert not (project / ".run_log_store").exists()
    as_json = runnable("compile", "examples/01-tasks/python_tasks.py", "--format", "json", "-o", "out/ir.json",
                       cwd=project)
    assert as_json.returncode == 0
    assert json.loads((project / "out" / "ir.json").read_text())["graph"]["start_at"] == "task1"


def test_runs_and_show(project: Path) -> None:
    runnable("run", "examples/03-parameters/passing_parameters_python.py", "--run-id", "shown", "--tag", "demo",
             cwd=project)
    listing = runnable("runs", cwd=project)
    assert listing.returncode == 0 and "shown" in listing.stdout and "demo" in listing.stdout
    shown = runnable("show", "shown", cwd=project)
    assert shown.returncode == 0
    assert "SUCCESS  write" in shown.stdout and "bumped = 8" in shown.stdout
    as_json = json.loads(runnable("show", "shown", "--json", cwd=project).stdout)
    assert as_json["steps"]["read"]["attempts"][0]["output_parameters"]["bumped"]["value"] == 8


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda p: (p / "pdir").mkdir(), ["run", "job.py", "-p", "pdir"], "'pdir' cannot be read"),
        (lambda p: (p / "afile").write_text("") or (p / "c.yaml").write_text(
            "run-log-store:\n  type: file-system\n  config:\n    log_folder: afile\n"),
         ["run", "job.py", "-c", "c.yaml"], "'afile' exists but is not a folder"),
        (lambda p: (p / "w.yaml").write_text("job-executor: {type: local}\npipeline-executor:\n  type: local\n"
                                             "  config: {enable_parallel: true, max_workers: 0}\n"),
         ["run", "job.py", "-c", "w.yaml"], "max_workers must be a whole number of at least 1"),
    ],
)
def test_careless_paths_and_settings(project: Path, setup, args: list, message: str) -> None:
    (project / "job.py").write_text("from runnable import ShellJob\njob = ShellJob(command='true')\n")
    setup(project)
    result = runnable(*args, cwd=project)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_execute_step_names_an_unknown_step(project: Path) -> None:
    assert runnable("compile", "examples/07-map/map.py", "--format", "json", "-o", "ir.json", cwd=project).returncode == 0
    assert runnable("execute-step", "ir.json", "--run-id", "s1", "--start", cwd=project).returncode == 0
    for step, message in (("nosuch", "no step 'nosuch'"), ("squares map.x.square", "has no branch 'x'")):
        result = runnable("execute-step", "ir.json", "--run-id", "s1", "--step", step, cwd=project)
        assert result.returncode == 2 and message in result.stderr


def _console_script(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed ``runnable`` script, whose ``compile`` takes a path without click."""
    script = Path(sys.executable).parent / "runnable"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_compile_fast_path_gives_what_the_full_command_gives(project: Path) -> None:
    for args in (["compile", "examples/07-map/map.py", "--target", "argo"],
                 ["compile", "examples/07-map/map.py", "--target=ir", "--format", "json"],
                 ["compile", "examples/02-sequential/traversal.py", "--target", "k8s", "-c",
                  "examples/11-jobs/k8s-job.yaml", "--image=app:1"]):
        fast, full = _console_script(args, project), runnable(*args, cwd=project)
        assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
    fast = _console_script(["compile", "missing.py", "--target", "argo"], project)
    assert fast.returncode == 2 and fast.stderr.startswith("Error: ") and "Traceback" not in fast.stderr
    assert _console_script(["compile", "--help"], project).stdout.startswith("Usage:")
    odd = _console_script(["compile", "examples/07-map/map.py", "--target", "argo", "--no-such-option"], project)
    assert odd.returncode == 2 and "No such option" in odd.stderr
    out = project / "deploy"
    assert _console_script(["compile", "examples/07-map/map.py", "--target", "argo", "-o", str(out)],
                           project).returncode == 0
    assert _console_script(["compile", "examples/07-map/map.py", "--target", "argo", "-o", str(out), "--check"],
                           project).returncode == 0


def test_execute_step_never_runs_a_succeeded_step_again(project: Path) -> None:
    """An orchestrator may start a step's pod again, or resubmit a workflow with the same run id: it resumes."""
    from runnable.stores.run_log import FileSystemRunLogStore

    assert runnable("compile", "examples/09-retry/retry.py", "--format", "json", "-o", "ir.json",
                    cwd=project).returncode == 0
    assert runnable("execute-step", "ir.json", "--run-id", "r1", "--start", cwd=project).returncode == 0
    for _ in range(2):
        result = runnable("execute-step", "ir.json", "--run-id", "r1", "--step", "flaky", cwd=project)
        assert result.returncode == 0, result.stderr
    attempts = FileSystemRunLogStore(str(project / ".run_log_store")).get_run("r1").steps["flaky"].attempts
    assert [a.status for a in attempts] == ["FAIL", "FAIL", "SUCCESS"]  # three attempts once, not six


def test_starting_a_failed_run_again_resumes_it(project: Path) -> None:
    """A workflow resubmitted with its run id (argo submit -p run_id=...) resumes, as 'runnable retry' does."""
    from runnable.stores.run_log import FileSystemRunLogStore

    assert runnable("compile", "examples/09-retry/retry.py", "--format", "json", "-o", "ir.json",
                    cwd=project).returncode == 0

    def submit() -> int:
        for args in (["--start"], ["--step", "flaky"], ["--step", "needs fix"]):
            runnable("execute-step", "ir.json", "--run-id", "r2", *args, cwd=project)
        return runnable("execute-step", "ir.json", "--run-id", "r2", "--finish", cwd=project).returncode

    assert submit() == 1
    (project / "fixed").write_text("")
    assert submit() == 0
    run = FileSystemRunLogStore(str(project / ".run_log_store")).get_run("r2")
    assert run.status == "SUCCESS" and run.retries == 1
    assert len(run.steps["flaky"].attempts) == 3  # not run again
    assert [a.status for a in run.steps["needs fix"].attempts] == ["FAIL", "SUCCESS"]
