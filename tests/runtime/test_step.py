"""One step end to end: nothing half-written on failure, output kept, tracebacks for people."""

from __future__ import annotations

from pathlib import Path

from runnable import Catalog, Pipeline, PythonJob, PythonTask, Stub, pickled
from tests.helpers import run_in_memory, write_module


class Model:
    pass


def produce() -> tuple[Model, int]:
    print("producing")
    return Model(), 5


def explode() -> None:
    print("partial output")
    raise KeyError("missing-thing")


def test_a_put_that_matches_nothing_writes_nothing(project: Path) -> None:
    task = PythonTask(function=produce, name="p", returns=[pickled("model"), "count"],
                      catalog=Catalog(put=["exists.txt", "missing/*.bin"]))
    (project / "exists.txt").write_text("x")
    run_log = run_in_memory(Pipeline(steps=[task]))
    assert run_log.status == "FAIL"
    assert "missing/*.bin" in run_log.steps["p"].message
    assert "model" not in run_log.parameters and "count" not in run_log.parameters
    run_folder = project / ".catalog" / run_log.run_id
    assert sorted(p.name for p in run_folder.iterdir()) == ["p.execution.log"]  # no objects/, no files
    assert list(run_log.steps) == ["p", "fail"]


def test_user_exceptions_are_recorded_with_their_output(project: Path, capfd) -> None:
    run_log = run_in_memory(PythonJob(function=explode))
    step = run_log.steps["job"]
    assert step.status == "FAIL" and step.message == "KeyError: 'missing-thing'"
    err = capfd.readouterr().err
    assert "test_step.py" in err and "raise KeyError" in err
    assert "runnable/runtime" not in err  # the runtime's own frames are hidden
    log = (project / ".catalog" / run_log.run_id / "job.execution.log").read_text()
    assert "partial output" in log and "KeyError" in log


def test_stub_and_terminal_steps_are_recorded(project: Path) -> None:
    run_log = run_in_memory(Pipeline(steps=[Stub(name="a"), Stub(name="b", terminate_with_failure=True)]))
    assert run_log.status == "FAIL"
    assert [(s.internal_name, s.status) for s in run_log.steps.values()] == [
        ("a", "SUCCESS"), ("b", "SUCCESS"), ("fail", "FAIL")]


def test_names_that_broke_runnable_rebuild_work(project: Path) -> None:
    """runnable re-imports with rstrip('.py'): a function named 'happy' became 'ha'."""
    from runnable.runtime.loading import load_script

    write_module(project, "happy_py", "def happy():\n    return 'p and y'\n")
    module = load_script(project / "happy_py.py")
    run_log = run_in_memory(PythonJob(function=module.happy, returns=["said"]))
    assert run_log.parameter_values() == {"said": "p and y"}


def test_execute_returns_the_run_log(project: Path) -> None:
    (project / "memory.yaml").write_text("run-log-store: {type: buffered}\n")
    run_log = Pipeline(steps=[PythonTask(function=produce, name="p", returns=[pickled("m"), "n"])]).execute(
        configuration_file="memory.yaml", run_id="returned", tag="t")
    assert run_log.run_id == "returned" and run_log.tag == "t" and run_log.status == "SUCCESS"
    assert run_log.parameter_values()["n"] == 5
