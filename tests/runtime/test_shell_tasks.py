"""Shell tasks: environment kept, parameters in, declared returns out, failures and secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runnable import Pipeline, ShellJob, ShellTask, metric
from tests.helpers import run_in_memory


def test_parameters_in_and_returns_out(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_count", "3")
    monkeypatch.setenv("RUNNABLE_PRM_items", "[1, 2]")
    pipeline = Pipeline(
        steps=[
            ShellTask(
                name="write",
                command=(
                    'test "$count" = 3 && test "$items" = "[1, 2]" && '
                    "export doubled=$((count * 2)); export text='a b: c'; "
                    "export multi='line one\nline two'; export score=0.5; export quoted='\"q\"'"
                ),
                returns=["doubled", "text", "multi", metric("score"), "quoted"],
            ),
        ]
    )
    run_log = run_in_memory(pipeline)
    assert run_log.status == "SUCCESS", run_log.steps["write"].message
    values = run_log.parameter_values()
    assert values["doubled"] == 6
    assert values["text"] == "a b: c"
    assert values["multi"] == "line one\nline two"
    assert values["score"] == 0.5
    assert values["quoted"] == "q"  # JSON-decoded: '"q"' is the JSON string q


def test_user_environment_is_kept(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOOL_HOME", "/opt/tool")
    job = ShellJob(
        command='export seen_path="$PATH"; export seen_home="$MY_TOOL_HOME"; command -v python3 >/dev/null',
        returns=["seen_path", "seen_home"],
    )
    values = run_in_memory(job).parameter_values()
    assert values["seen_path"] == os.environ["PATH"]
    assert values["seen_home"] == "/opt/tool"


def test_only_declared_returns_are_captured(project: Path) -> None:
    job = ShellJob(command="export wanted=1; export unwanted=2", returns=["wanted"])
    assert run_in_memory(job).parameter_values() == {"wanted": 1}


def test_a_failing_command_fails_the_step_and_keeps_its_output(project: Path) -> None:
    job = ShellJob(command="echo before; exit 3; export never=1", returns=["never"])
    run_log = run_in_memory(job)
    assert run_log.status == "FAIL"
    assert "exited with code 3" in run_log.steps["job"].message
    assert run_log.parameters == {}
    log = (project / ".catalog" / run_log.run_id / "job.execution.log").read_text()
    assert "before" in log


def test_a_missing_export_is_reported(project: Path) -> None:
    run_log = run_in_memory(ShellJob(command="true", returns=["answer"]))
    assert run_log.status == "FAIL"
    assert "export answer=" in run_log.steps["job"].message


def test_explicit_exit_zero_still_returns(project: Path) -> None:
    run_log = run_in_memory(ShellJob(command="export answer=42; exit 0", returns=["answer"]))
    assert run_log.parameter_values() == {"answer": 42}


def test_secrets_are_available_and_masked(project: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    monkeypatch.setenv("API_TOKEN", "tok-12345-secret")
    job = ShellJob(command='echo "token is $API_TOKEN"; test -n "$API_TOKEN"', secrets=["API_TOKEN"])
    run_log = run_in_memory(job)
    assert run_log.status == "SUCCESS"
    shown = capfd.readouterr()
    assert "tok-12345-secret" not in shown.out + shown.err
    log = (project / ".catalog" / run_log.run_id / "job.execution.log").read_text()
    assert "token is ********" in log
    for path in (project / ".catalog").rglob("*"):
        if path.is_file():
            assert b"tok-12345-secret" not in path.read_bytes()


def test_a_missing_secret_fails_clearly(project: Path) -> None:
    run_log = run_in_memory(ShellJob(command="true", secrets=["NOT_SET_ANYWHERE"]))
    assert run_log.status == "FAIL"
    assert "Secret 'NOT_SET_ANYWHERE' is not set" in run_log.steps["job"].message
