"""Run-log stores: one record per step, atomic writes, listing, and existing run ids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from runnable.ir.errors import RunLogExistsError, RunnableError, RunNotFoundError
from runnable.stores.records import SUCCESS, Attempt, CodeIdentity, RunLog, StepLog
from runnable.stores.run_log import FileSystemRunLogStore, MemoryRunLogStore


def _run(run_id: str = "r1") -> RunLog:
    return RunLog(run_id=run_id, kind="pipeline", start_time="2026-01-01T00:00:00+00:00",
                  parameters={"x": {"kind": "json", "value": 1}},
                  code_identity=CodeIdentity("git", "abc", True))


def _step(name: str, start: str) -> StepLog:
    return StepLog(name=name, internal_name=name, type="task", status=SUCCESS,
                   attempts=[Attempt(1, SUCCESS, start, start)])


@pytest.mark.parametrize("store_class", [FileSystemRunLogStore, MemoryRunLogStore])
def test_round_trip(tmp_path: Path, store_class) -> None:
    store = store_class(str(tmp_path / "logs")) if store_class is FileSystemRunLogStore else store_class()
    run = _run()
    store.create_run(run, '{"ir": 1}')
    store.put_step("r1", _step("second", "2026-01-01T00:00:02"))
    store.put_step("r1", _step("first", "2026-01-01T00:00:01"))
    loaded = store.get_run("r1")
    assert list(loaded.steps) == ["first", "second"]
    assert loaded.code_identity == run.code_identity
    assert loaded.parameters == run.parameters
    assert store.get_ir("r1") == '{"ir": 1}'
    assert [r.run_id for r in store.list_runs()] == ["r1"]
    with pytest.raises(RunLogExistsError, match="already exists"):
        store.create_run(_run(), "{}")
    with pytest.raises(RunNotFoundError):
        store.get_run("nope")


def test_one_record_per_step_appended_to_one_journal_per_writer(tmp_path: Path) -> None:
    store = FileSystemRunLogStore(str(tmp_path))
    store.create_run(_run(), "{}")
    for index in range(5):
        store.put_step("r1", _step(f"s{index}", f"2026-01-01T00:00:0{index}"))
    [journal] = list((tmp_path / "r1" / "steps").iterdir())
    assert len(journal.read_text().splitlines()) == 5
    assert not list(tmp_path.rglob("*.tmp"))
    store.remove_step("r1", "s2")
    assert sorted(store.get_run("r1").steps) == ["s0", "s1", "s3", "s4"]
    later = _step("s0", "2026-01-01T00:00:00")
    later.message = "rewritten"
    FileSystemRunLogStore(str(tmp_path)).put_step("r1", later)  # another writer, later: it wins
    assert store.get_run("r1").steps["s0"].message == "rewritten"


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    store = FileSystemRunLogStore(str(tmp_path))
    store.create_run(_run(), "{}")
    store.put_step("r1", _step("done", "2026"))
    journal = next((tmp_path / "r1" / "steps").iterdir())
    with open(journal, "ab") as handle:
        handle.write(b'{"name": "half", "internal_na')
    assert list(store.get_run("r1").steps) == ["done"]


@pytest.mark.parametrize("run_id", ["", "../escape", "a/b", ".hidden", "x" * 200, "with space"])
def test_unsafe_run_ids_are_refused(tmp_path: Path, run_id: str) -> None:
    with pytest.raises(RunnableError, match="not valid"):
        FileSystemRunLogStore(str(tmp_path)).create_run(_run(run_id), "{}")


def test_a_killed_writer_never_corrupts_the_run_log(tmp_path: Path) -> None:
    """Kill a process that appends big records in a loop; the run log always reads back."""
    store = FileSystemRunLogStore(str(tmp_path))
    store.create_run(_run(), "{}")
    store.put_step("r1", _step("s", "2026"))
    script = (
        "import sys\nfrom runnable.stores.run_log import FileSystemRunLogStore\n"
        "from runnable.stores.records import StepLog\n"
        f"store = FileSystemRunLogStore({str(tmp_path)!r})\n"
        "big = 'x' * 200000\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    store.put_step('r1', StepLog(name='s', internal_name='s', type='task', message=big))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    for _ in range(20):
        assert store.get_run("r1").steps["s"].name == "s"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert store.get_run("r1").steps["s"].name == "s"


def test_runs_in_one_process_do_not_leak_journals(project: Path) -> None:
    from runnable import PythonJob
    from runnable.config import parse_config
    from runnable.runtime.lifecycle import run_definition

    job = PythonJob(function=_noop)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        run_definition(job.to_ir(), parse_config({}, "test"))
    assert len(os.listdir("/proc/self/fd")) <= before + 1


def _noop() -> None:
    return None
