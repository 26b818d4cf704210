"""Parallel, Map, Conditional, Loop: parameters in and out, nesting, failures, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runnable import (
    Conditional,
    Loop,
    Map,
    Parallel,
    Pipeline,
    PythonTask,
    ShellTask,
    Stub,
    pickled,
)
from runnable.ir.errors import DefinitionError
from runnable.ir.model import SuccessNode
from runnable.runtime.local import GraphWalker
from tests.helpers import run_in_memory


def start() -> tuple[int, int, list[int]]:
    return 10, 3, [1, 2, 3]


def add_base(base: int, stride: int) -> int:
    return base + stride


def times_base(base: int) -> tuple[int, int]:
    return base * 2, base * 2


def square(item: int, base: int) -> int:
    assert isinstance(item, int)
    return item * item + base


def boxed(item: int) -> dict:
    return {"item": item}


def fail_on_two(item: int) -> int:
    if item == 2:
        raise ValueError("two is not allowed")
    return item


def total(*values: int) -> int:
    return sum(values)


def count_up(counter: int = 0) -> tuple[int, bool]:
    index = int(os.environ["loop_index"])
    return counter + 1 + index * 0, counter + 1 >= 3


def not_bool() -> str:
    return "yes"


def set_choice(choice: object) -> object:
    return choice


def branch_value(label: str) -> str:
    return label


def _params(run_log) -> dict:
    return run_log.parameter_values()


def _start_task() -> PythonTask:
    return PythonTask(name="start", function=start, returns=["base", "stride", "items"])


def test_parallel_branches_see_parent_parameters_and_merge_in_branch_order(project: Path) -> None:
    pipeline = Pipeline(steps=[
        _start_task(),
        Parallel(name="par", branches={
            "a": Pipeline(steps=[PythonTask(name="pa", function=add_base, returns=["shared"])]),
            "b": Pipeline(steps=[PythonTask(name="pb", function=times_base, returns=["shared", "only_b"])]),
        }),
    ])
    run_log = run_in_memory(pipeline)
    assert run_log.status == "SUCCESS"
    assert _params(run_log)["shared"] == 20  # b comes after a: b wins
    assert _params(run_log)["only_b"] == 20
    assert run_log.steps["par"].branches == {"par.a": "SUCCESS", "par.b": "SUCCESS"}
    assert {"par.a.pa", "par.b.pb"} <= set(run_log.steps)


def test_map_keeps_json_types_sees_parent_and_reduces_in_item_order(project: Path) -> None:
    pipeline = Pipeline(steps=[
        _start_task(),
        Map(name="m", iterate_on="items", iterate_as="item",
            branch=Pipeline(steps=[PythonTask(name="sq", function=square, returns=["sq"])])),
    ])
    run_log = run_in_memory(pipeline)
    assert run_log.status == "SUCCESS", run_log.steps
    assert _params(run_log)["sq"] == [11, 14, 19]
    assert "item" not in run_log.parameters
    assert {"m.0.sq", "m.1.sq", "m.2.sq"} <= set(run_log.steps)


@pytest.mark.parametrize("reducer", ["lambda *x: max(x)", "tests.runtime.test_composites.total", total])
def test_map_reducers(project: Path, reducer) -> None:
    pipeline = Pipeline(steps=[
        _start_task(),
        Map(name="m", iterate_on="items", iterate_as="item", reducer=reducer,
            branch=Pipeline(steps=[PythonTask(name="sq", function=square, returns=["sq"])])),
    ])
    expected = 19 if isinstance(reducer, str) and reducer.startswith("lambda") else 44
    assert _params(run_in_memory(pipeline))["sq"] == expected


def test_map_over_an_empty_list_gives_empty_results(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_items", "[]")
    monkeypatch.setenv("RUNNABLE_PRM_base", "1")
    pipeline = Pipeline(steps=[Map(name="m", iterate_on="items", iterate_as="item", reducer="lambda *x: max(x)",
                                   branch=Pipeline(steps=[PythonTask(name="sq", function=square, returns=["sq"])]))])
    run_log = run_in_memory(pipeline)
    assert run_log.status == "SUCCESS" and _params(run_log)["sq"] == []


def test_map_of_objects_is_an_object(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_items", "[4, 5]")
    pipeline = Pipeline(steps=[
        Map(name="m", iterate_on="items", iterate_as="item",
            branch=Pipeline(steps=[PythonTask(name="box", function=boxed, returns=[pickled("box")])])),
    ])
    run_log = run_in_memory(pipeline)
    assert run_log.parameters["box"] == {"kind": "object", "value": "objects/m/box.pickle"}
    import pickle

    stored = pickle.loads((project / ".catalog" / run_log.run_id / "objects/m/box.pickle").read_bytes())
    assert stored == [{"item": 4}, {"item": 5}]


@pytest.mark.parametrize(
    ("env", "message"),
    [({}, "iterate_on parameter 'items' is not set"),
     ({"RUNNABLE_PRM_items": '{"a": 1}'}, "must be a list, got dict")],
)
def test_map_bad_iterate_on(project: Path, monkeypatch: pytest.MonkeyPatch, env: dict, message: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    pipeline = Pipeline(steps=[Map(name="m", iterate_on="items", iterate_as="item",
                                   branch=Pipeline(steps=[Stub(name="s")]))])
    run_log = run_in_memory(pipeline)
    assert run_log.status == "FAIL" and message in run_log.steps["m"].message


def test_a_reducer_that_raises_fails_the_map_and_changes_nothing(project: Path) -> None:
    pipeline = Pipeline(steps=[
        _start_task(),
        Map(name="m", iterate_on="items", iterate_as="item", reducer="lambda *x: 1 / 0",
            branch=Pipeline(steps=[PythonTask(name="sq", function=square, returns=["sq"])])),
    ])
    run_log = run_in_memory(pipeline)
    assert run_log.status == "FAIL"
    assert "raised ZeroDivisionError" in run_log.steps["m"].message and "sq" not in run_log.parameters


def test_a_failing_item_fails_the_map_after_the_others(project: Path) -> None:
    pipeline = Pipeline(steps=[
        _start_task(),
        Map(name="m", iterate_on="items", iterate_as="item",
            branch=Pipeline(steps=[PythonTask(name="f", function=fail_on_two, returns=["out"])])),
    ])
    run_log = run_in_memory(pipeline)
    assert run_log.status == "FAIL"
    assert run_log.steps["m"].branches == {"m.0": "SUCCESS", "m.1": "FAIL", "m.2": "SUCCESS"}
    assert "out" not in run_log.parameters


def _conditional(default: Pipeline | None = None) -> Pipeline:
    return Pipeline(steps=[
        PythonTask(name="choose", function=set_choice, returns=["choice"]),
        Conditional(name="cond", parameter="choice", default=default, branches={
            "heads": Pipeline(steps=[ShellTask(name="h", command="export label=heads", returns=["label"])]),
            "7": Pipeline(steps=[ShellTask(name="s", command="export label=seven", returns=["label"])]),
            "True": Pipeline(steps=[ShellTask(name="t", command="export label=truth", returns=["label"])]),
        }),
    ])


@pytest.mark.parametrize(("choice", "label"), [("heads", "heads"), ("7", "seven"), ("true", "truth")])
def test_conditional_matches_str_of_the_value(project: Path, monkeypatch, choice: str, label: str) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_choice", choice)
    run_log = run_in_memory(_conditional())
    assert run_log.status == "SUCCESS" and _params(run_log)["label"] == label


def test_conditional_default_and_misses(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_choice", '"tails"')
    missed = run_in_memory(_conditional())
    assert missed.status == "FAIL" and "no branch matches choice='tails'" in missed.steps["cond"].message
    default = Pipeline(steps=[ShellTask(name="d", command="export label=default", returns=["label"])])
    assert _params(run_in_memory(_conditional(default)))["label"] == "default"
    monkeypatch.setenv("RUNNABLE_PRM_choice", '{"a": 1}')
    as_dict = run_in_memory(_conditional())
    assert as_dict.status == "FAIL" and "must be a string, number or boolean" in as_dict.steps["cond"].message


def test_loop_is_do_while_with_index_in_env(project: Path) -> None:
    pipeline = Pipeline(steps=[
        Loop(name="lp", max_iterations=5, break_on="done", index_as="loop_index",
             branch=Pipeline(steps=[PythonTask(name="body", function=count_up, returns=["counter", "done"])])),
    ])
    run_log = run_in_memory(pipeline)
    assert run_log.status == "SUCCESS"
    assert _params(run_log) == {"counter": 3, "done": True}
    assert run_log.steps["lp"].branches == {"lp.0": "SUCCESS", "lp.1": "SUCCESS", "lp.2": "SUCCESS"}


def test_loop_stops_at_max_iterations_and_checks_break_on(project: Path) -> None:
    capped = Pipeline(steps=[Loop(name="lp", max_iterations=2, break_on="done", index_as="i",
                                  branch=Pipeline(steps=[PythonTask(name="b", function=count_up,
                                                                    returns=["counter", "done"])]))])
    os.environ["loop_index"] = "0"
    try:
        assert _params(run_in_memory(capped))["counter"] == 2
    finally:
        del os.environ["loop_index"]
    bad = Pipeline(steps=[Loop(name="lp", max_iterations=2, break_on="done", index_as="i",
                               branch=Pipeline(steps=[PythonTask(name="b", function=not_bool, returns=["done"])]))])
    run_log = run_in_memory(bad)
    assert run_log.status == "FAIL" and "must be a boolean, got str 'yes'" in run_log.steps["lp"].message


def test_nesting_map_in_parallel_in_map(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_outer", "[1, 2]")
    monkeypatch.setenv("RUNNABLE_PRM_items", "[1, 2]")
    monkeypatch.setenv("RUNNABLE_PRM_base", "100")
    inner = Map(name="inner", iterate_on="items", iterate_as="item",
                branch=Pipeline(steps=[PythonTask(name="sq", function=square, returns=["sq"])]))
    par = Parallel(name="par", branches={"x": Pipeline(steps=[inner]), "y": Pipeline(steps=[Stub(name="noop")])})
    outer = Map(name="outer_map", iterate_on="outer", iterate_as="o", branch=Pipeline(steps=[par]))
    run_log = run_in_memory(Pipeline(steps=[outer]))
    assert run_log.status == "SUCCESS"
    assert _params(run_log)["sq"] == [[101, 104], [101, 104]]
    assert "outer_map.1.par.x.inner.0.sq" in run_log.steps


def test_definition_errors() -> None:
    with pytest.raises(DefinitionError, match="max_iterations must be an integer of at least 1"):
        Loop(name="lp", max_iterations=0, break_on="d", index_as="i", branch=Pipeline(steps=[Stub(name="s")]))
    with pytest.raises(DefinitionError, match="reuses the name of a step of an enclosing pipeline"):
        Pipeline(steps=[Stub(name="same"), Parallel(name="p", branches={"a": Pipeline(steps=[Stub(name="same")])})]
                 ).to_ir()
    with pytest.raises(DefinitionError, match="not a valid lambda"):
        Map(name="m", iterate_on="x", iterate_as="y", reducer="lambda *x: )", branch=Pipeline(steps=[Stub(name="s")]))
    with pytest.raises(DefinitionError, match="must be a lambda .* or a dotted path"):
        Map(name="m", iterate_on="x", iterate_as="y", reducer="max x", branch=Pipeline(steps=[Stub(name="s")]))
    with pytest.raises(DefinitionError, match="must be a Pipeline"):
        Parallel(name="p", branches={"a": Stub(name="s")})  # type: ignore[dict-item]


def test_a_node_class_without_a_handler_is_refused_naming_the_step_and_kind() -> None:
    with pytest.raises(DefinitionError, match="Step 'end': the local executor cannot run 'success' steps"):
        GraphWalker(None)._handler(SuccessNode("end"))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_max_parallel_must_be_a_positive_whole_number(bad: object) -> None:
    branch = Pipeline(steps=[Stub(name="s")])
    with pytest.raises(DefinitionError, match="max_parallel must be a whole number of at least 1"):
        Map(name="m", branch=branch, iterate_on="items", iterate_as="item", max_parallel=bad)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="max_parallel must be a whole number of at least 1"):
        Parallel(name="p", branches={"a": branch}, max_parallel=bad)  # type: ignore[arg-type]
