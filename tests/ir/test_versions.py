"""Documents written by an earlier IR version load into today's typed nodes, unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runnable.ir.errors import DefinitionError
from runnable.ir.model import (
    IR_VERSION,
    ConditionalNode,
    FailNode,
    Graph,
    LoopNode,
    MapNode,
    ParallelNode,
    StubNode,
    SuccessNode,
    TaskNode,
)
from runnable.ir.serialize import canonical_json, content_hash, loads, sha256_hex, to_json, to_yaml


def _ends() -> dict[str, Any]:
    return {"success": {"type": "success"}, "fail": {"type": "fail"}}


def _branch(step: str) -> dict[str, Any]:
    return {"start_at": step, "nodes": {step: {"type": "stub", "next": "success"}, **_ends()}}


#: A version-1 document as runnable 0.x wrote it, by hand: one step of every kind.
VERSION_1 = {
    "ir_version": 1,
    "kind": "pipeline",
    "name": "old",
    "graph": {
        "start_at": "prepare",
        "nodes": {
            "prepare": {"type": "task", "next": "fan", "on_failure": "fail",
                        "task": {"kind": "python", "command": "pkg.mod:prepare",
                                 "returns": [{"name": "xs", "kind": "json"}], "max_attempts": 2}},
            "fan": {"type": "parallel", "next": "each", "fail_fast": True,
                    "branches": {"left": _branch("left_stub"), "right": _branch("right_stub")}},
            "each": {"type": "map", "next": "choose", "iterate_on": "xs", "iterate_as": "x",
                     "reducer": "lambda *v: max(v)", "branch": _branch("item")},
            "choose": {"type": "conditional", "next": "again", "parameter": "route",
                       "branches": {"a": _branch("route_a")}, "default": _branch("fallback")},
            "again": {"type": "loop", "next": "success", "max_iterations": 3, "break_on": "done",
                      "index_as": "i", "branch": _branch("body")},
            **_ends(),
        },
    },
}


def test_a_version_1_document_loads_to_typed_nodes() -> None:
    definition = loads(json.dumps(VERSION_1))
    assert isinstance(definition.graph, Graph)
    nodes = definition.graph.nodes
    assert [type(node) for node in nodes.values()] == [
        TaskNode, ParallelNode, MapNode, ConditionalNode, LoopNode, SuccessNode, FailNode]
    task, fan, each, choose, again = (nodes[n] for n in ("prepare", "fan", "each", "choose", "again"))
    assert isinstance(task, TaskNode) and task.task.command == "pkg.mod:prepare" and task.task.max_attempts == 2
    assert isinstance(fan, ParallelNode) and list(fan.branches) == ["left", "right"] and fan.fail_fast
    assert isinstance(each, MapNode) and (each.iterate_on, each.iterate_as) == ("xs", "x")
    assert isinstance(each.branch.nodes["item"], StubNode)
    assert isinstance(choose, ConditionalNode) and choose.default is not None and list(choose.branches) == ["a"]
    assert isinstance(again, LoopNode) and (again.max_iterations, again.break_on, again.index_as) == (3, "done", "i")


def test_a_version_1_document_keeps_its_version_and_hash() -> None:
    """A run started from a version-1 document is found again by the same hash and can be resumed."""
    definition = loads(json.dumps(VERSION_1))
    assert definition.ir_version == 1 != IR_VERSION
    assert definition.to_dict() == VERSION_1
    assert content_hash(definition) == sha256_hex(canonical_json(VERSION_1))
    assert loads(to_json(definition)) == definition
    assert loads(to_yaml(definition)) == definition


def test_a_version_1_document_differs_from_today_only_in_its_version() -> None:
    current = loads(json.dumps({**VERSION_1, "ir_version": IR_VERSION}))
    assert current.to_dict() == {**VERSION_1, "ir_version": IR_VERSION}


@pytest.mark.parametrize("version", [0, 3, "1", None])
def test_versions_this_runnable_cannot_read_are_refused(version: Any) -> None:
    with pytest.raises(DefinitionError, match=f"ir_version {version!r}; this runnable reads versions 1, 2"):
        loads(json.dumps({**VERSION_1, "ir_version": version}))
