from __future__ import annotations

from pathlib import Path

import pytest

from runnable import Pipeline, ShellTask
from runnable.ir.errors import ConfigError
from runnable.ir.model import ReturnSpec, TaskSpec
from runnable.runtime.mocking import apply_patch
from tests.helpers import run_in_memory


def test_a_patch_keeps_every_field_it_does_not_name() -> None:
    task = TaskSpec(kind="shell", command="exit 1", returns=[ReturnSpec("x")], secrets=["S"], max_attempts=2)
    patched = apply_patch(task, {"command": "export x=1"}, "train")
    assert patched.command == "export x=1"
    assert patched.returns == task.returns and patched.secrets == ["S"] and patched.max_attempts == 2


def test_python_commands_may_use_runnables_dotted_form() -> None:
    task = TaskSpec(kind="python", command="pkg.mod:real")
    assert apply_patch(task, {"command": "pkg.mocks.fake"}, "s").command == "pkg.mocks:fake"


def test_unknown_patch_fields_are_refused() -> None:
    with pytest.raises(ConfigError, match="'retruns', which is not a task field.*Did you mean 'returns'"):
        apply_patch(TaskSpec(kind="shell", command="true"), {"retruns": []}, "s")


def test_unpatched_tasks_are_recorded_as_mocked(project: Path) -> None:
    pipeline = Pipeline(steps=[ShellTask(name="real", command="exit 3"), ShellTask(name="patched", command="exit 4",
                                                                                returns=["x"])])
    config = {"pipeline-executor": {"type": "mocked", "config": {"patches": {"patched": {"command": "export x=5"}}}}}
    run_log = run_in_memory(pipeline, config)
    assert run_log.status == "SUCCESS"
    assert run_log.steps["real"].mock is True and run_log.steps["patched"].mock is False
    assert run_log.parameter_values() == {"x": 5}


def test_a_mocked_job_executor_records_the_job_without_running_it(project: Path) -> None:
    """runnable's ``mock: true`` on a job executor: the job is recorded as succeeded, its command never runs."""
    from tests.helpers import cli

    (project / "job.py").write_text("from runnable import ShellJob\n\n\ndef main():\n"
                                    "    return ShellJob(command='touch ran.txt')\n")
    (project / "mock.yaml").write_text("job-executor:\n  type: local\n  config:\n    mock: true\n")
    result = cli(["run", "job.py:main", "-c", "mock.yaml", "--run-id", "mocked"], project)
    assert result.returncode == 0, result.stderr
    assert not (project / "ran.txt").exists()
    from runnable.stores.run_log import FileSystemRunLogStore

    run = FileSystemRunLogStore(str(project / ".run_log_store")).get_run("mocked").to_dict()
    assert run["status"] == "SUCCESS"
    assert all(step["mock"] is True for step in run["steps"].values())
    real = cli(["run", "job.py:main", "--run-id", "real"], project)
    assert real.returncode == 0 and (project / "ran.txt").exists()
