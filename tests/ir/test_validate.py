from __future__ import annotations

import pytest

from runnable.ir.errors import DefinitionError
from runnable.ir.model import Definition, FailNode, Graph, Node, ReturnSpec, SuccessNode, TaskNode, TaskSpec
from runnable.ir.validate import validate_definition


def _task(**kwargs) -> TaskSpec:
    return TaskSpec(kind=kwargs.pop("kind", "python"), command=kwargs.pop("command", "m:f"), **kwargs)


def _pipeline(nodes: list[Node], start: str | None = None) -> Definition:
    by_name = {n.name: n for n in nodes}
    by_name.setdefault("success", SuccessNode("success"))
    by_name.setdefault("fail", FailNode("fail"))
    return Definition(kind="pipeline", graph=Graph(start or nodes[0].name, by_name))


def test_a_cycle_is_reported_with_its_path() -> None:
    nodes = [TaskNode("a", next="b", task=_task()), TaskNode("b", next="a", task=_task())]
    with pytest.raises(DefinitionError, match="cycle: a -> b -> a"):
        validate_definition(_pipeline(nodes))


def test_dangling_next_and_unreachable_steps() -> None:
    with pytest.raises(DefinitionError, match="'nowhere', which is not a step"):
        validate_definition(_pipeline([TaskNode("a", next="nowhere", task=_task())]))
    nodes = [TaskNode("a", next="success", task=_task()), TaskNode("orphan", next="success", task=_task())]
    with pytest.raises(DefinitionError, match="'orphan' can never run"):
        validate_definition(_pipeline(nodes))


@pytest.mark.parametrize("name", ["a.b", "50%", "two\nlines", " padded", ""])
def test_bad_step_names(name: str) -> None:
    with pytest.raises(DefinitionError):
        validate_definition(_pipeline([TaskNode(name, next="success", task=_task())]))


def test_return_rules() -> None:
    with pytest.raises(DefinitionError, match="declared twice"):
        validate_definition(Definition("job", job=_task(returns=[ReturnSpec("x"), ReturnSpec("x")])))
    with pytest.raises(DefinitionError, match="not a valid parameter name"):
        validate_definition(Definition("job", job=_task(returns=[ReturnSpec("has space")])))
    with pytest.raises(DefinitionError, match="kind 'blob'"):
        validate_definition(Definition("job", job=_task(returns=[ReturnSpec("x", "blob")])))
    with pytest.raises(DefinitionError, match="shell tasks can only return json"):
        validate_definition(Definition("job", job=_task(kind="shell", command="true", returns=[ReturnSpec("x", "object")])))
