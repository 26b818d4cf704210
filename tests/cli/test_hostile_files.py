"""Hostile or careless files, fed to the real ``runnable`` command: one located error, exit 2, nothing written."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.helpers import cli

STUB_PIPELINE = "dag:\n  start_at: a\n  steps:\n    a:\n      type: stub\n      next: success\n"

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([""] + list("abcdefgh"), "abcdefghi")
)


def stored_runs(project: Path) -> list[str]:
    folder = project / ".run_log_store"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def refused(result, *fragments: str) -> str:
    """The one Error: line of a refused command, which must name every fragment."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    for fragment in fragments:
        assert fragment in line, line
    return line


def test_pipeline_that_is_not_utf8_is_located(project: Path) -> None:
    (project / "latin1.yaml").write_bytes(STUB_PIPELINE.replace("dag:\n", 'dag:\n  description: "caf\xe9"\n')
                                          .encode("latin-1"))
    result = cli(["run", "latin1.yaml"], cwd=project)
    refused(result, "latin1.yaml:2:20:", "not UTF-8", "0xe9")
    assert stored_runs(project) == []


def test_duplicate_step_in_a_pipeline_is_refused(project: Path) -> None:
    (project / "twice.yaml").write_text(STUB_PIPELINE + "    a:\n      type: stub\n      next: success\n")
    result = cli(["run", "twice.yaml"], cwd=project)
    refused(result, "twice.yaml:7:5:", "duplicate key 'a'", "first at line 4, column 5")
    assert stored_runs(project) == []


def test_duplicate_key_in_a_config_file_is_refused(project: Path) -> None:
    (project / "stub.yaml").write_text(STUB_PIPELINE)
    (project / "config.yaml").write_text("run-log-store:\n  type: buffered\nrun-log-store:\n  type: file-system\n")
    result = cli(["run", "stub.yaml", "-c", "config.yaml"], cwd=project)
    refused(result, "Configuration file", "config.yaml:3:1:", "duplicate key 'run-log-store'")
    assert stored_runs(project) == []


def test_duplicate_parameter_is_refused(project: Path) -> None:
    (project / "stub.yaml").write_text(STUB_PIPELINE)
    (project / "params.yaml").write_text("x: 1\ny: 2\nx: 3\n")
    result = cli(["run", "stub.yaml", "-p", "params.yaml"], cwd=project)
    refused(result, "Parameters file", "params.yaml:3:1:", "duplicate key 'x' (first at line 1, column 1)")
    assert stored_runs(project) == []


def test_alias_bomb_as_parameters_is_refused_fast(project: Path) -> None:
    (project / "stub.yaml").write_text(STUB_PIPELINE)
    (project / "bomb.yaml").write_text(BOMB)
    started = time.monotonic()
    result = cli(["run", "stub.yaml", "-p", "bomb.yaml"], cwd=project)
    assert time.monotonic() - started < 10
    refused(result, "bomb.yaml:7:4:", "alias bomb")
    assert stored_runs(project) == []


@pytest.mark.parametrize("spelled", [".nan", ".inf", "-.Inf"])
def test_non_finite_parameter_is_refused(project: Path, spelled: str) -> None:
    (project / "stub.yaml").write_text(STUB_PIPELINE)
    (project / "params.yaml").write_text(f"ok: 1\nx: {spelled}\n")
    result = cli(["run", "stub.yaml", "-p", "params.yaml"], cwd=project)
    refused(result, "params.yaml", "'x' holds NaN or an infinity")
    assert stored_runs(project) == []


def test_nan_from_the_environment_stays_text_and_the_record_stays_json(project: Path) -> None:
    (project / "stub.yaml").write_text(STUB_PIPELINE)
    result = cli(["run", "stub.yaml", "--run-id", "r1"], cwd=project, env={"RUNNABLE_PRM_x": "NaN"})
    assert result.returncode == 0, result.stderr
    text = (project / ".run_log_store" / "r1" / "run.json").read_text()
    header = json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name} in run.json"))
    assert header["initial_parameters"]["x"]["value"] == "NaN"


def test_run_given_a_folder_says_it_is_a_folder(project: Path) -> None:
    (project / "somewhere").mkdir()
    result = cli(["run", "somewhere/"], cwd=project)
    line = refused(result, "'somewhere/' is a folder")
    assert "does not exist" not in line


def test_damaged_run_json_is_reported_with_its_place(project: Path) -> None:
    (project / "stub.yaml").write_text(STUB_PIPELINE)
    assert cli(["run", "stub.yaml", "--run-id", "r1"], cwd=project).returncode == 0
    header = project / ".run_log_store" / "r1" / "run.json"
    header.write_text('{"run_id": "r1",\n  "status": SUCC')
    for command in (["show", "r1"], ["retry", "r1"]):
        result = cli(command, cwd=project)
        refused(result, "run record is damaged", "run.json:2:13:", "not valid JSON")
    assert header.read_text() == '{"run_id": "r1",\n  "status": SUCC'


def test_run_folder_without_run_json_is_reported_everywhere(project: Path) -> None:
    """Killed between creating the run's folder and its first write: nothing ran, and every command says so."""
    (project / "stub.yaml").write_text(STUB_PIPELINE)
    (project / ".run_log_store" / "half" / "steps").mkdir(parents=True)
    for command in (["show", "half"], ["retry", "half"], ["run", "stub.yaml", "--run-id", "half"]):
        result = cli(command, cwd=project)
        refused(result, "Run 'half' never started", "no run.json", "Remove that folder")
    assert sorted(p.name for p in (project / ".run_log_store" / "half").iterdir()) == ["steps"]
    listed = cli(["runs"], cwd=project)
    assert listed.returncode == 0 and "half" not in listed.stdout


@pytest.mark.parametrize("command", [["show", "r1"], ["show", "r1", "--json"], ["runs"],
                                     ["compile", "stub.yaml"], ["compile", "stub.yaml", "--target", "argo"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(project: Path, command: list[str]) -> None:
    """``runnable show X | head -1``: no 'Broken pipe' error, the exit status a shell gives ``cat`` (141)."""
    import os
    import subprocess
    import sys

    (project / "stub.yaml").write_text(STUB_PIPELINE)
    assert cli(["run", "stub.yaml", "--run-id", "r1"], cwd=project).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    process = subprocess.Popen([sys.executable, "-m", "runnable.cli", *command], cwd=project, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first byte
    stderr = process.stderr.read().decode()
    assert process.wait() == 141, stderr
    assert stderr == ""
