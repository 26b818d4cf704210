"""Live progress: run events in order, plain lines in pipes, and a real terminal (tmux) read back."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runnable import Map, Parallel, Pipeline, PythonTask, ShellTask
from runnable.runtime import events
from tests.helpers import cli, run_in_memory, write_module

SLOW_MAP = """
    from runnable import Map, Pipeline, PythonTask, ShellTask

    def items():
        return list(range(6))

    def work(item):
        import time
        print(f"item {item} working", flush=True)
        time.sleep(0.2)
        return item

    def main():
        p = Pipeline(steps=[
            PythonTask(name="items", function=items, returns=["xs"]),
            Map(name="fan", iterate_on="xs", iterate_as="item",
                branch=Pipeline(steps=[PythonTask(name="work", function=work, returns=["out"])])),
            ShellTask(name="after", command="echo all done"),
        ])
        p.execute()
        return p
"""


def two() -> list[int]:
    return [1, 2]


def double(x: int) -> int:
    return x * 2


@pytest.mark.parametrize("parallel", [False, True])
def test_events_tell_runs_steps_attempts_and_fan_outs_in_order(project: Path, parallel: bool) -> None:
    seen: list[events.Event] = []
    stop = events.watch(seen.append)
    try:
        pipeline = Pipeline(steps=[
            PythonTask(name="two", function=two, returns=["xs"]),
            Map(name="m", iterate_on="xs", iterate_as="x",
                branch=Pipeline(steps=[PythonTask(name="d", function=double, returns=["y"])])),
            ShellTask(name="flaky", command="exit 1", max_attempts=2),
        ])
        config = {"pipeline-executor": {"type": "local", "config": {"enable_parallel": True}},
                  "run-log-store": {"type": "file-system"}} if parallel else None
        run_log = run_in_memory(pipeline, config)
    finally:
        stop()
    kinds = [(e.kind, e.step, e.status) for e in seen]
    assert kinds[0] == (events.RUN_STARTED, "", "") and seen[0].total == 3
    assert kinds[-1] == (events.RUN_FINISHED, "", "FAIL") and run_log.status == "FAIL"
    assert (events.FANNED_OUT, "m", "") in kinds and [e.total for e in seen if e.kind == events.FANNED_OUT] == [2]
    assert sorted(e.detail for e in seen if e.kind == events.BRANCH_FINISHED) == ["0", "1"]
    assert kinds.index((events.STEP_STARTED, "m", "")) < kinds.index((events.STEP_FINISHED, "m", "SUCCESS"))
    attempts = [(e.kind, e.attempt, e.status) for e in seen if e.step == "flaky" and "attempt" in e.kind]
    assert attempts == [(events.ATTEMPT_STARTED, 1, ""), (events.ATTEMPT_FINISHED, 1, "FAIL"),
                        (events.ATTEMPT_STARTED, 2, ""), (events.ATTEMPT_FINISHED, 2, "FAIL")]
    if not parallel:  # the branches' own steps are seen in this process only
        assert (events.STEP_FINISHED, "m.1.d", "SUCCESS") in kinds


def test_a_broken_watcher_is_dropped_and_the_run_goes_on(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(event: events.Event) -> None:
        raise ValueError("display gone")

    stop = events.watch(broken)
    try:
        run_log = run_in_memory(Pipeline(steps=[ShellTask(name="s", command="true")]))
    finally:
        stop()
    assert run_log.status == "SUCCESS" and not events.watched()
    assert "a run watcher failed and was stopped: ValueError: display gone" in capsys.readouterr().err


def test_piped_output_is_plain_lines_with_no_control_codes(project: Path) -> None:
    write_module(project, "slow", SLOW_MAP)
    result = cli(["run", "slow.py"], project)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr + result.stdout
    lines = [line.split("] ", 1)[1] for line in result.stderr.splitlines() if line.startswith("[")]
    assert lines[:3] == ["run " + lines[0].split()[1] + " started: 3 task steps", "started   items", "success   items"]
    assert "fan-out   fan: 6 branches" in lines and "success   fan" in lines and lines[-1] == "success   after"
    quiet = cli(["run", "slow.py", "--no-progress"], project)
    assert quiet.returncode == 0 and "started   items" not in quiet.stderr


@pytest.fixture
def tmux(tmp_path: Path):
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed for the terminal tests (.ci installs it)")
    socket = str(tmp_path / "tmux.sock")

    def run(*args: str) -> str:
        return subprocess.run(["tmux", "-S", socket, *args], capture_output=True, text=True, check=True).stdout

    yield run
    subprocess.run(["tmux", "-S", socket, "kill-server"], capture_output=True)


def _wait_for(tmux, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "run")
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared on the terminal:\n{screen}")


def test_a_real_terminal_shows_the_live_area_and_ends_with_the_totals(project: Path, tmux) -> None:
    pytest.importorskip("rich")
    write_module(project, "slow", SLOW_MAP)
    command = f"cd {project} && {sys.executable} -m runnable.cli run slow.py; echo EXIT=$?; sleep 60"
    tmux("new-session", "-d", "-s", "run", "-x", "100", "-y", "30", command)
    screen = _wait_for(tmux, "EXIT=")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert "EXIT=0" in lines
    totals = [line for line in lines if line.startswith("run ") and "task steps done" in line]
    assert len(totals) == 1, screen  # one status area, redrawn in place, not one per refresh
    assert "SUCCESS: 8 task steps done, 6/6 branches" in totals[0]
    outputs = [line for line in lines if line.startswith("item ")]
    assert sorted(outputs) == [f"item {i} working" for i in range(6)], screen  # whole lines, none torn
    assert "all done" in lines


def test_ctrl_c_in_a_terminal_leaves_it_clean(project: Path, tmux) -> None:
    pytest.importorskip("rich")
    write_module(project, "sleepy", """
        from runnable import Pipeline, ShellTask
        pipeline = Pipeline(steps=[ShellTask(name="nap", command="echo napping; sleep 30")])
    """)
    command = f"cd {project} && {sys.executable} -m runnable.cli run sleepy.py; echo EXIT=$?; sleep 60"
    tmux("new-session", "-d", "-s", "run", "-x", "100", "-y", "30", command)
    _wait_for(tmux, "napping")
    tmux("send-keys", "-t", "run", "C-c")
    screen = _wait_for(tmux, "EXIT=")
    assert "EXIT=130" in screen or "EXIT=1" in screen, screen
    assert tmux("display-message", "-p", "-t", "run", "#{cursor_flag}").strip() == "1"  # the cursor is back
