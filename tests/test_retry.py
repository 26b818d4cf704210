"""``runnable retry``: in place, skips what succeeded, refuses what it cannot do honestly."""

from __future__ import annotations

import json
from pathlib import Path

from runnable.ir.serialize import canonical_json, sha256_hex
from tests.helpers import write_module
from tests.cli.test_commands import runnable

PIPELINE = """
from pathlib import Path
from runnable import Pipeline, PythonTask, ShellTask

def first() -> int:
    Path("first-ran").write_text(str(int(Path("first-ran").read_text()) + 1) if Path("first-ran").exists() else "1")
    return 1

def second(x: int) -> int:
    if not Path("ok").exists():
        raise RuntimeError("not ok")
    return x + 1

def main():
    pipeline = Pipeline(steps=[PythonTask(name="first", function=first, returns=["x"]),
                               PythonTask(name="second", function=second, returns=["y"])])
    pipeline.execute()
    return pipeline
"""


def test_retry_skips_succeeded_steps_and_reports_status(project: Path) -> None:
    write_module(project, "pipe", PIPELINE)
    assert runnable("run", "pipe.py", "--run-id", "r1", cwd=project).returncode == 1
    assert runnable("retry", "r1", cwd=project).returncode == 1  # still failing: non-zero (runnable exits 0)
    (project / "ok").write_text("")
    result = runnable("retry", "r1", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "first-ran").read_text() == "1"  # never re-ran
    header = json.loads((project / ".run_log_store" / "r1" / "run.json").read_text())
    assert header["status"] == "SUCCESS" and header["parameters"]["y"]["value"] == 2


def test_retry_refuses_unknown_runs_successes_and_changed_files(project: Path) -> None:
    unknown = runnable("retry", "no-such-run", cwd=project)
    assert unknown.returncode == 2 and "No run with id 'no-such-run'" in unknown.stderr
    write_module(project, "pipe", PIPELINE)
    runnable("run", "pipe.py", "--run-id", "r2", cwd=project)
    (project / "pipe.py").write_text(PIPELINE.replace('name="second"', 'name="renamed"'))
    changed = runnable("retry", "r2", cwd=project)
    assert changed.returncode == 2 and "has changed since run 'r2' started" in changed.stderr
    (project / "ok").write_text("")
    (project / "pipe.py").write_text(PIPELINE)
    assert runnable("retry", "r2", cwd=project).returncode == 0
    done = runnable("retry", "r2", cwd=project)
    assert done.returncode == 2 and "nothing to retry" in done.stderr


def test_parallel_needs_a_shared_store(project: Path) -> None:
    write_module(project, "pipe", PIPELINE)
    (project / "c.yaml").write_text("pipeline-executor: {type: local, config: {enable_parallel: true}}\n"
                                    "run-log-store: {type: buffered}\n")
    result = runnable("run", "pipe.py", "-c", "c.yaml", cwd=project)
    assert result.returncode == 2 and "cannot share the in-memory" in result.stderr


def test_a_run_started_with_version_1_ir_is_retried(project: Path) -> None:
    """A run the previous runnable started (its IR and hash at version 1) resumes after the upgrade."""
    write_module(project, "pipe", PIPELINE)
    assert runnable("run", "pipe.py", "--run-id", "old", cwd=project).returncode == 1
    folder = project / ".run_log_store" / "old"
    ir = {**json.loads((folder / "ir.json").read_text()), "ir_version": 1}
    (folder / "ir.json").write_text(json.dumps(ir))
    header = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**header, "ir_hash": sha256_hex(canonical_json(ir))}))
    (project / "ok").write_text("")
    result = runnable("retry", "old", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "first-ran").read_text() == "1"  # never re-ran
