from __future__ import annotations

import json

import pytest

from runnable.ir.errors import DefinitionError
from runnable.ir.model import CatalogSpec, Definition, FailNode, Graph, ReturnSpec, SuccessNode, TaskNode, TaskSpec
from runnable.ir.serialize import (
    content_hash,
    dump_yaml,
    load_yaml,
    loads,
    to_json,
    to_yaml,
)


def _definition(command: str = "pkg.mod:fn") -> Definition:
    task = TaskSpec(
        kind="python",
        command=command,
        returns=[ReturnSpec("x"), ReturnSpec("model", "object")],
        secrets=["TOKEN"],
        catalog=CatalogSpec(get=["in/*"], put=["out/*"], store_copy=False),
        overrides={"argo": "gpu"},
    )
    nodes = {
        "train": TaskNode("train", next="success", task=task),
        "success": SuccessNode("success"),
        "fail": FailNode("fail"),
    }
    return Definition(kind="pipeline", name="demo", graph=Graph("train", nodes))


def test_yaml_and_json_round_trip_to_the_same_definition() -> None:
    definition = _definition()
    assert loads(to_yaml(definition)).to_dict() == definition.to_dict()
    assert loads(to_json(definition)).to_dict() == definition.to_dict()


def test_serialisation_is_byte_identical_across_calls() -> None:
    assert to_yaml(_definition()) == to_yaml(_definition())
    assert to_json(_definition()) == to_json(_definition())
    assert content_hash(_definition()) == content_hash(_definition())


def test_hash_changes_with_content() -> None:
    assert content_hash(_definition("a:b")) != content_hash(_definition("a:c"))


@pytest.mark.parametrize(
    "value",
    ["yes", "on", "no", "0123", "1e3", "{{ x }}", "a: b", "- item", "line1\nline2", "trailing \nspace", "", "~",
     "null", "# not a comment", "'quoted'", '"double"', "tab\there", "ünïcödé ✓", "@at", "`tick`", "%percent"],
)
def test_yaml_values_round_trip_exactly(value: str) -> None:
    data = {"command": value, "list": [value], value or "empty": 1}
    assert load_yaml(dump_yaml(data)) == data


def test_loading_rejects_other_versions_and_garbage() -> None:
    data = _definition().to_dict()
    data["ir_version"] = 99
    with pytest.raises(DefinitionError, match="ir_version 99; this runnable reads versions 1, 2"):
        loads(json.dumps(data))
    with pytest.raises(DefinitionError, match="not a runnable IR"):
        loads("[1, 2]")
    with pytest.raises(DefinitionError, match="could not be parsed"):
        loads("{not json")
