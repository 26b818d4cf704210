"""``runnable runs`` filters and durations, ``runnable show`` step durations and slowest steps."""

from __future__ import annotations

import json
from pathlib import Path

from runnable.stores.records import Attempt, RunLog, StepLog
from runnable.stores.run_log import FileSystemRunLogStore
from tests.helpers import cli
from tests.views.runs import stamp, task

NOW = "2026-01-02T00:00:00+00:00"


def put(project: Path, run_id: str, status: str, start: str, end: str = "", tag: str = "",
        steps: list[StepLog] = ()) -> None:
    store = FileSystemRunLogStore(project / ".run_log_store")
    store.create_run(RunLog(run_id=run_id, kind="pipeline", status=status, tag=tag, start_time=start, end_time=end),
                     "{}")
    for step in steps:
        store.put_step(run_id, step)
    store.close()


def listing(project: Path, *args: str) -> list[dict]:
    result = cli(["runs", "--json", *args], project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_filters_combine_and_durations_are_listed(project: Path) -> None:
    put(project, "old-ok", "SUCCESS", "2020-01-01T00:00:00+00:00", "2020-01-01T00:01:30+00:00", tag="nightly")
    put(project, "new-fail", "FAIL", "2026-01-01T10:00:00+00:00", "2026-01-01T10:00:02.500000+00:00",
        tag="nightly")
    put(project, "new-ok", "SUCCESS", "2026-01-01T11:00:00+00:00", "2026-01-01T11:00:01+00:00")
    put(project, "running", "PROCESSING", "2026-01-01T12:00:00+00:00")
    everything = listing(project)
    assert [r["run_id"] for r in everything] == ["old-ok", "new-fail", "new-ok", "running"]
    assert [r["duration_seconds"] for r in everything] == [90.0, 2.5, 1.0, None]
    assert [r["run_id"] for r in listing(project, "--status", "success")] == ["old-ok", "new-ok"]
    assert [r["run_id"] for r in listing(project, "--status", "FAIL", "--status", "running")] == ["new-fail",
                                                                                                   "running"]
    assert [r["run_id"] for r in listing(project, "--tag", "nightly")] == ["old-ok", "new-fail"]
    assert [r["run_id"] for r in listing(project, "--since", "2025-12-31")] == ["new-fail", "new-ok", "running"]
    assert [r["run_id"] for r in listing(project, "--since", "2026-01-01T10:30")] == ["new-ok", "running"]
    assert [r["run_id"] for r in listing(project, "--limit", "2")] == ["new-ok", "running"]
    assert [r["run_id"] for r in listing(project, "--tag", "nightly", "--status", "FAIL", "--limit", "5")] == [
        "new-fail"]
    assert listing(project, "--since", "1h") == [] or all(r["start_time"] > "2026" for r in listing(project))
    text = cli(["runs"], project).stdout.splitlines()
    assert text[0].split() == ["RUN", "ID", "KIND", "STATUS", "STARTED", "(UTC)", "DURATION", "TAG", "NAME"]
    assert "1m30s" in text[1] and "2.5s" in text[2] and "running" in text[4]
    assert cli(["runs", "--tag", "none-such"], project).stdout.strip() == "No runs match the filters."


def test_bad_filters_are_one_line_errors(project: Path) -> None:
    for args, words in ((["--status", "DONE"], "--status DONE"), (["--since", "yesterday"], "--since 'yesterday'"),
                        (["--limit", "-1"], "--limit")):
        result = cli(["runs", *args], project)
        assert result.returncode == 2 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_show_lists_step_durations_and_the_slowest_steps(project: Path) -> None:
    slow = task("slow", 0, 4000)
    retried = StepLog(name="retried", internal_name="retried", type="task", status="SUCCESS", attempts=[
        Attempt(1, "FAIL", stamp(4000), stamp(4500)), Attempt(2, "SUCCESS", stamp(5000), stamp(6000))])
    fan = StepLog(name="fan", internal_name="fan", type="map", status="SUCCESS",
                  attempts=[Attempt(1, "SUCCESS", stamp(6000), stamp(9000))])
    steps = [slow, retried, fan, task("fan.0.quick", 6000, 6010), task("fan.1.quick", 6010, 9000)]
    put(project, "timed", "SUCCESS", stamp(0), stamp(9100), steps=steps)
    result = cli(["show", "timed"], project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "took     9.1s" in lines
    steps_shown = {line.split()[1]: (line.split()[-1], line) for line in lines[lines.index("steps") + 1:][:5]}
    assert {name: took for name, (took, _) in steps_shown.items()} == {
        "slow": "4.0s", "retried": "2.0s", "fan": "3.0s", "fan.0.quick": "10ms", "fan.1.quick": "3.0s"}
    assert "retried  (2 attempts)" in steps_shown["retried"][1]
    slowest = lines[lines.index("slowest steps") + 1:][:4]
    assert [line.split()[-1] for line in slowest] == ["slow", "fan.1.quick", "retried", "fan.0.quick"]
    saved = json.loads(cli(["show", "timed", "--json"], project).stdout)
    assert saved["steps"]["retried"]["attempts"][1]["end_time"] == stamp(6000)
