"""Concurrent branches (enable_parallel): real overlap, fail_fast, and a worker that dies."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from runnable import Map, Parallel, Pipeline, PythonTask, ShellTask
from tests.helpers import run_in_memory

PARALLEL = {"pipeline-executor": {"type": "local", "config": {"enable_parallel": True, "max_workers": 4}},
            "run-log-store": {"type": "file-system"}}


def nap(item: int) -> int:
    time.sleep(0.3)
    return item


def die_on_two(item: int) -> int:
    if item == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def slow_ok() -> None:
    time.sleep(1.0)


def _interval(step) -> tuple[datetime, datetime]:
    attempt = step.attempts[-1]
    return datetime.fromisoformat(attempt.start_time), datetime.fromisoformat(attempt.end_time)


def test_map_items_really_overlap(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_items", "[0, 1, 2, 3]")
    pipeline = Pipeline(steps=[Map(name="m", iterate_on="items", iterate_as="item",
                                   branch=Pipeline(steps=[PythonTask(name="nap", function=nap, returns=["out"])]))])
    run_log = run_in_memory(pipeline, PARALLEL)
    assert run_log.status == "SUCCESS" and run_log.parameter_values()["out"] == [0, 1, 2, 3]
    intervals = [_interval(run_log.steps[f"m.{i}.nap"]) for i in range(4)]
    latest_start = max(start for start, _ in intervals)
    earliest_end = min(end for _, end in intervals)
    assert latest_start < earliest_end, "no two items ran at the same time"


def test_a_killed_worker_fails_only_its_item(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_items", "[0, 1, 2, 3, 4, 5]")
    pipeline = Pipeline(steps=[Map(name="m", iterate_on="items", iterate_as="item",
                                   branch=Pipeline(steps=[PythonTask(name="d", function=die_on_two, returns=["out"])]))])
    run_log = run_in_memory(pipeline, PARALLEL)
    assert run_log.status == "FAIL"
    branches = run_log.steps["m"].branches
    assert branches["m.2"] == "FAIL"
    assert sum(status == "SUCCESS" for status in branches.values()) >= 3
    assert "out" not in run_log.parameters


@pytest.mark.parametrize("parallel", [False, True])
def test_fail_fast_stops_the_other_branches(project: Path, parallel: bool) -> None:
    pipeline = Pipeline(steps=[Parallel(name="p", fail_fast=True, branches={
        "broken": Pipeline(steps=[ShellTask(name="b", command="exit 1")]),
        "slow": Pipeline(steps=[PythonTask(name="s", function=slow_ok)]),
    })])
    started = time.perf_counter()
    run_log = run_in_memory(pipeline, PARALLEL if parallel else {"run-log-store": {"type": "file-system"}})
    assert run_log.status == "FAIL"
    assert "p.slow.s" not in run_log.steps or run_log.steps["p.slow.s"].status != "SUCCESS"
    assert time.perf_counter() - started < 5


def _most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda e: (e[0], e[1]))
    running = most = 0
    for _, change in events:
        running += change
        most = max(most, running)
    return most


@pytest.mark.parametrize("limit", [1, 2])
def test_max_parallel_caps_how_many_map_items_run_at_once(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                          limit: int) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_items", "[0, 1, 2, 3, 4, 5]")
    pipeline = Pipeline(steps=[Map(name="m", iterate_on="items", iterate_as="item", max_parallel=limit,
                                   branch=Pipeline(steps=[PythonTask(name="nap", function=nap, returns=["out"])]))])
    run_log = run_in_memory(pipeline, PARALLEL)  # four workers configured
    assert run_log.status == "SUCCESS" and run_log.parameter_values()["out"] == [0, 1, 2, 3, 4, 5]
    assert _most_at_once([_interval(run_log.steps[f"m.{i}.nap"]) for i in range(6)]) == limit


def test_max_parallel_caps_parallel_branches(project: Path) -> None:
    pipeline = Pipeline(steps=[Parallel(name="p", max_parallel=2, branches={
        key: Pipeline(steps=[PythonTask(name="n", function=slow_ok)]) for key in "abcd"})])
    run_log = run_in_memory(pipeline, PARALLEL)
    assert run_log.status == "SUCCESS"
    assert _most_at_once([_interval(run_log.steps[f"p.{key}.n"]) for key in "abcd"]) == 2
