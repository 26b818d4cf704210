from __future__ import annotations

import pytest

from runnable import Loop, Pipeline, PythonTask, ShellTask
from runnable.dsl.yaml_pipeline import definition_from_yaml
from runnable.ir.errors import DefinitionError


def countdown() -> None:
    return None


def test_yaml_and_python_compile_to_the_same_graph() -> None:
    text = """
dag:
  start_at: lp
  steps:
    lp:
      type: loop
      max_iterations: 3
      break_on: done
      index_as: i
      next: success
      branch:
        start_at: tick
        steps:
          tick: {type: task, command: tests.dsl.test_yaml_pipeline.countdown, returns: [done], next: show}
          show: {type: task, command_type: shell, command: echo hi, next: success}
"""
    python = Pipeline(steps=[Loop(name="lp", max_iterations=3, break_on="done", index_as="i", branch=Pipeline(steps=[
        PythonTask(name="tick", function=countdown, returns=["done"]), ShellTask(name="show", command="echo hi")]))])
    assert definition_from_yaml(text, "p.yaml").to_dict() == python.to_ir().to_dict()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps: {}", "needs a top-level 'dag'"),
        ("dag: {start_at: a, steps: {a: {type: tsak, next: success}}}", "unknown step type 'tsak'.*Did you mean 'task'"),
        ("dag: {start_at: a, steps: {a: {type: task, command: x.y, nxt: success}}}", "no key 'nxt'.*Did you mean 'next'"),
        ("dag: {start_at: a, steps: {a: {type: task, command: nodots, next: success}}}", "must be 'package.module"),
        ("dag: {start_at: a, steps: {a: {type: stub}}}", "needs 'next'"),
        ("dag: {start_at: a, steps: {a: {type: stub, next: b}, b: {type: stub, next: a}}}", "cycle"),
        ("dag: [unclosed", "not valid YAML"),
    ],
)
def test_yaml_errors(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        definition_from_yaml(text, "p.yaml")
