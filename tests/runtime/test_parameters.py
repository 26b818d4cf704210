"""Parameters of every kind: initial file, env overrides, casts, returns, objects, metrics."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from runnable import Pipeline, PythonJob, PythonTask, metric, pickled
from runnable.ir.errors import ExecutionFailedError, ParameterError
from runnable.runtime.parameters import cast_to, initial_parameters
from tests.helpers import run_in_memory


class Point(BaseModel):
    x: int
    y: int


class Box:
    def __init__(self, items: list[int]) -> None:
        self.items = items


def typed(count: int, ratio: float, name: str, flag: bool, point: Point, values: list[int]) -> tuple:
    assert isinstance(point, Point)
    return count + 1, ratio * 2, name.upper(), not flag, Point(x=point.x + 1, y=point.y), sum(values)


def make_box() -> tuple[Box, float]:
    return Box([1, 2]), 0.5


def use_box(box: Box, accuracy: float) -> int:
    box.items.append(3)
    return len(box.items)


def with_kwargs(count: int, **rest: Any) -> list[str]:
    return sorted(rest)


def with_namespace(params: argparse.Namespace) -> int:
    return params.count * 10


def needs_missing(absent: int) -> None:
    return None


def returns_two() -> tuple[int, int]:
    return 1, 2


def returns_set() -> set[int]:
    return {1, 2}


def mutate(values: list[int]) -> None:
    values.append(99)


def read_values(values: list[int]) -> list[int]:
    return values


@pytest.fixture
def params_file(project: Path) -> Path:
    path = project / "params.yaml"
    path.write_text("count: 1\nratio: 1.5\nname: abc\nflag: false\npoint: {x: 1, y: 2}\nvalues: [1, 2, 3]\n")
    return path


def test_initial_parameters_and_env_overrides(params_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_count", "5")
    monkeypatch.setenv("RUNNABLE_PRM_name", "not json")
    monkeypatch.setenv("RUNNABLE_PRM_extra", '{"a": [1]}')
    monkeypatch.setenv("RUNNABLE_PRM_RATIO", "2.5")  # falls back to the lowercase name the file defines
    params = initial_parameters(str(params_file))
    assert params["count"] == {"kind": "json", "value": 5}
    assert params["name"]["value"] == "not json"
    assert params["extra"]["value"] == {"a": [1]}
    assert params["ratio"]["value"] == 2.5


def test_casts_pydantic_and_json_returns(params_file: Path) -> None:
    task = PythonTask(function=typed, name="t", returns=["count", "ratio", "name", "flag", "point", "total"])
    run_log = run_in_memory(Pipeline(steps=[task]), parameters_file=str(params_file))
    assert run_log.status == "SUCCESS"
    values = run_log.parameter_values()
    assert values["count"] == 2 and values["ratio"] == 3.0 and values["name"] == "ABC"
    assert values["flag"] is True and values["point"] == {"x": 2, "y": 2} and values["total"] == 6
    attempt = run_log.steps["t"].attempts[0]
    assert attempt.input_parameters["count"]["value"] == 1
    assert attempt.output_parameters["count"]["value"] == 2


def test_objects_and_metrics(project: Path) -> None:
    pipeline = Pipeline(
        steps=[
            PythonTask(function=make_box, name="make", returns=[pickled("box"), metric("accuracy")]),
            PythonTask(function=use_box, name="use", returns=["size"]),
        ]
    )
    run_log = run_in_memory(pipeline)
    assert run_log.parameters["box"] == {"kind": "object", "value": "objects/make/box.pickle"}
    assert run_log.parameters["accuracy"] == {"kind": "metric", "value": 0.5}
    assert run_log.steps["make"].attempts[0].metrics == {"accuracy": 0.5}
    assert run_log.parameter_values()["size"] == 3
    assert (project / ".catalog" / run_log.run_id / "objects" / "make" / "box.pickle").is_file()


def test_kwargs_and_namespace(params_file: Path) -> None:
    pipeline = Pipeline(
        steps=[
            PythonTask(function=with_kwargs, name="kw", returns=["rest"]),
            PythonTask(function=with_namespace, name="ns", returns=["scaled"]),
        ]
    )
    values = run_in_memory(pipeline, parameters_file=str(params_file)).parameter_values()
    assert values["rest"] == ["flag", "name", "point", "ratio", "values"]
    assert values["scaled"] == 10


def test_functions_cannot_change_parameters_by_mutation(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_values", "[1]")
    pipeline = Pipeline(
        steps=[PythonTask(function=mutate, name="m"), PythonTask(function=read_values, name="r", returns=["seen"])]
    )
    assert run_in_memory(pipeline).parameter_values()["seen"] == [1]


@pytest.mark.parametrize(
    ("function", "returns", "message"),
    [
        (needs_missing, [], "requires parameter 'absent'"),
        (returns_two, ["a", "b", "c"], "declares 3 values .* returned 2"),
        (returns_set, ["s"], "not JSON-serialisable"),
    ],
)
def test_bad_parameters_fail_the_step_with_a_clear_message(
    project: Path, capsys: pytest.CaptureFixture[str], function: Any, returns: list[str], message: str
) -> None:
    with pytest.raises(ExecutionFailedError) as info:
        PythonJob(function=function, returns=returns).execute(configuration_file=_memory_config(project))
    step = info.value.run_log.steps["job"]
    assert step.status == "FAIL"
    assert re.search(message, step.message)
    assert info.value.run_log.parameters == {}
    assert message.split(" ")[0] in capsys.readouterr().err


def _memory_config(project: Path) -> str:
    path = project / "memory.yaml"
    path.write_text("run-log-store:\n  type: buffered\n")
    return str(path)


def test_cast_errors_are_parameter_errors() -> None:
    with pytest.raises(ParameterError, match="cannot be converted to int"):
        cast_to(int, "abc", "n", "Step 'x'")
    with pytest.raises(ParameterError, match="does not fit Point"):
        cast_to(Point, {"x": "nope"}, "p", "Step 'x'")
    assert cast_to(bool, "true", "b", "w") is True
    assert cast_to(list[int], ["1", "2"], "l", "w") == [1, 2]


def test_parameters_file_errors(project: Path) -> None:
    (project / "bad.yaml").write_text("- a list\n")
    with pytest.raises(ParameterError, match="must be a mapping"):
        initial_parameters("bad.yaml")
    with pytest.raises(ParameterError, match="does not exist"):
        initial_parameters("missing.yaml")
    (project / "broken.yaml").write_text("a: [unclosed\n")
    with pytest.raises(ParameterError, match="not valid YAML"):
        initial_parameters("broken.yaml")


class Scaler:
    def __init__(self, factor: int) -> None:
        self.factor = factor

    def scale(self, count: int, extra: int = 0) -> int:
        return count * self.factor + extra


SCALE_BY_3 = Scaler(3).scale


def keyword_only(count: int, *, offset: int = 10, label: str) -> str:
    return f"{label}:{count + offset}"


def decorated(function):
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    return wrapper


@decorated
def wrapped(count: int) -> int:
    return count + 100


def test_signatures_of_every_callable_shape(params_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runnable.runtime.parameters import bind_arguments

    params = {"count": {"kind": "json", "value": "2"}, "label": {"kind": "json", "value": "n"}}
    assert bind_arguments(SCALE_BY_3, params, None, "w") == ({"count": 2}, ["count"])
    assert bind_arguments(keyword_only, params, None, "w") == ({"count": 2, "label": "n"}, ["count", "label"])
    assert bind_arguments(wrapped, params, None, "w") == ({"count": 2}, ["count"])
    with pytest.raises(ParameterError, match="requires parameter 'label'"):
        bind_arguments(keyword_only, {"count": {"kind": "json", "value": 1}}, None, "w")
