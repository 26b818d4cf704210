"""Returned pydantic models and dataclasses are stored as JSON on every task kind; unpicklable objects are named."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from tests.cli.test_retry_env import python, shown
from tests.helpers import run_in_memory, write_module
from tests.runtime.test_notebook_tasks import _notebook

MODELS = """
import dataclasses
from pydantic import BaseModel

class ComplexParams(BaseModel):
    x: int
    foo: str

@dataclasses.dataclass
class Point:
    x: int
    y: list

def make() -> tuple:
    return ComplexParams(x=10, foo="bar"), Point(1, [2, 3])

def use(model: ComplexParams, point: dict) -> str:
    assert isinstance(model, ComplexParams), type(model)
    return f"{model.foo}{model.x}-{point['y']}"

def make_lambda():
    return lambda v: v + 1

def make_closure():
    total = 3
    def add(v):
        return v + total
    return add
"""


def _models(project: Path):
    write_module(project, "models", MODELS)
    return importlib.import_module("models")


def test_python_returns_of_models_and_dataclasses_are_their_json(project: Path) -> None:
    models = _models(project)
    from runnable import Pipeline, PythonTask

    run_log = run_in_memory(Pipeline(steps=[
        PythonTask(name="make", function=models.make, returns=["model", "point"]),
        PythonTask(name="use", function=models.use, returns=["text"]),
    ]))
    assert run_log.status == "SUCCESS", run_log.steps["use"].message
    assert run_log.parameter_values() == {"model": {"x": 10, "foo": "bar"}, "point": {"x": 1, "y": [2, 3]},
                                          "text": "bar10-[2, 3]"}


def test_a_notebook_returning_a_pydantic_model_stores_its_json(project: Path) -> None:
    models = _models(project)
    from runnable import NotebookTask, Pipeline, PythonTask

    _notebook(project / "nb.ipynb", "from models import ComplexParams, Point\n"
                                    "model = ComplexParams(x=10, foo='bar')\npoint = Point(4, [5])")
    run_log = run_in_memory(Pipeline(steps=[
        NotebookTask(name="nb", notebook="nb.ipynb", returns=["model", "point"]),
        PythonTask(name="use", function=models.use, returns=["text"]),
    ]))
    assert run_log.status == "SUCCESS", [s.message for s in run_log.steps.values()]
    assert run_log.parameter_values() == {"model": {"x": 10, "foo": "bar"}, "point": {"x": 4, "y": [5]},
                                          "text": "bar10-[5]"}


def test_an_unpicklable_return_names_the_step_and_the_return(project: Path) -> None:
    models = _models(project)
    from runnable import Pipeline, PythonTask, pickled

    for function in (models.make_lambda, models.make_closure):
        run_log = run_in_memory(Pipeline(steps=[
            PythonTask(name="build", function=function, returns=[pickled("fn")])]))
        assert run_log.status == "FAIL"
        message = run_log.steps["build"].message
        assert message.startswith("Step 'build': return 'fn' (function) cannot be pickled: "), message
        assert "\n" not in message
        assert not list((project / ".catalog").rglob("*.pickle"))


def test_a_notebook_returning_an_unpicklable_object_names_it(project: Path) -> None:
    from runnable import NotebookTask, Pipeline, pickled

    _notebook(project / "fn.ipynb", "fn = lambda v: v")
    run_log = run_in_memory(Pipeline(steps=[NotebookTask(name="nb", notebook="fn.ipynb", returns=[pickled("fn")])]))
    assert run_log.status == "FAIL"
    assert run_log.steps["nb"].message.startswith("Step 'nb': return 'fn' cannot be pickled (")


def test_execute_returns_the_run_log_and_takes_log_level(project: Path) -> None:
    (project / "script.py").write_text(
        "from runnable import Pipeline, PythonTask\n"
        "from examples.common.functions import make_items\n"
        "def main():\n"
        "    p = Pipeline(steps=[PythonTask(name='items', function=make_items, returns=['items'])])\n"
        "    run_log = p.execute(run_id='logged', log_level='INFO')\n"
        "    print(type(run_log).__name__, run_log.run_id, run_log.status, run_log.parameter_values()['items'])\n"
        "main()\n")
    result = python("script.py", project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "RunLog logged SUCCESS [0, 1, 2, 3, 4]"
    assert "items: running" in result.stderr  # INFO shows progress; WARNING (the default) does not
    assert json.dumps(shown(project, "logged")["status"]) == '"SUCCESS"'
