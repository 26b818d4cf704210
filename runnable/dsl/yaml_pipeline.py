"""runnable's YAML pipeline language, compiled to the same IR as the Python DSL.

    dag:
      start_at: first
      steps:
        first: {type: task, command: pkg.module.function, returns: [x], next: second}
        second: {type: task, command_type: shell, command: echo $x, next: success}
        success: {type: success}
        fail: {type: fail}

Composite steps hold graphs of the same shape: ``branches: {name: {start_at, steps}}``
(parallel, conditional), ``branch: {start_at, steps}`` (map, loop), ``default`` for a
conditional. ``success`` and ``fail`` steps are added to a graph when it omits them.
"""

from __future__ import annotations

from typing import Any

from runnable.ir.errors import DefinitionError, closest
from runnable.ir.model import (
    STREAM_END_TYPE,
    NODE_CLASSES,
    CatalogSpec,
    Definition,
    FailNode,
    Graph,
    Node,
    ReturnSpec,
    SuccessNode,
    TaskSpec,
    make_node,
)
from runnable.ir.validate import validate_definition

_COMMON = ("type", "next", "on_failure", "description")
_TASK = ("command", "command_type", "returns", "catalog", "secrets", "overrides", "max_attempts",
         "backoff_seconds", "backoff_factor", "optional_ploomber_args", "stream_end_type")
_KEYS: dict[str, tuple[str, ...]] = {
    "task": _COMMON + _TASK,
    "stub": _COMMON,
    "success": ("type", "description"),
    "fail": ("type", "description"),
    "parallel": _COMMON + ("branches", "fail_fast", "max_parallel", "overrides"),
    "map": _COMMON + ("branch", "iterate_on", "iterate_as", "reducer", "max_parallel", "overrides"),
    "conditional": _COMMON + ("branches", "parameter", "default", "overrides"),
    "loop": _COMMON + ("branch", "max_iterations", "break_on", "index_as", "overrides"),
}


def definition_from_yaml(text: str, source: str) -> Definition:
    from runnable.ir.serialize import load_yaml

    try:
        data = load_yaml(text, source)
    except ValueError as exc:
        raise DefinitionError(f"{source} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("dag"), dict):
        raise DefinitionError(f"{source}: a YAML pipeline needs a top-level 'dag' mapping with start_at and steps.")
    dag = data["dag"]
    graph = _graph(dag, f"{source}: dag")
    definition = Definition(kind="pipeline", name=str(dag.get("name", "")), description=str(dag.get("description", "")),
                            graph=graph)
    return validate_definition(definition)


def _graph(data: Any, where: str) -> Graph:
    if not isinstance(data, dict) or "start_at" not in data or not isinstance(data.get("steps"), dict):
        raise DefinitionError(f"{where}: a graph needs 'start_at' and a 'steps' mapping.")
    nodes = {str(name): _node(str(name), spec, f"{where}.steps.{name}") for name, spec in data["steps"].items()}
    for node_class in (SuccessNode, FailNode):
        nodes.setdefault(node_class.type, node_class(name=node_class.type))
    return Graph(start_at=str(data["start_at"]), nodes=nodes)


def _node(name: str, spec: Any, where: str) -> Node:
    if not isinstance(spec, dict):
        raise DefinitionError(f"{where}: a step must be a mapping.")
    node_type = spec.get("type", "")
    if node_type not in _KEYS:
        raise DefinitionError(f"{where}: unknown step type {node_type!r}. Valid: {', '.join(_KEYS)}."
                              f"{closest(str(node_type), _KEYS)}")
    for key in spec:
        if key not in _KEYS[node_type]:
            raise DefinitionError(
                f"{where}: a {node_type} step has no key {key!r}. Valid: {', '.join(_KEYS[node_type])}."
                f"{closest(str(key), _KEYS[node_type])}"
            )
    fields: dict[str, Any] = {}
    if node_type == "task":
        fields["task"] = _task(spec, where)
    for key in ("fail_fast", "iterate_on", "iterate_as", "reducer", "parameter", "max_iterations", "break_on",
                "index_as", "max_parallel"):
        if key in spec:
            fields[key] = spec[key]
    if node_type != "task" and "overrides" in spec:
        fields["overrides"] = _overrides(spec["overrides"], where)
    if "branches" in spec:
        if not isinstance(spec["branches"], dict):
            raise DefinitionError(f"{where}.branches must be a mapping of name -> graph.")
        fields["branches"] = {str(k): _graph(v, f"{where}.branches.{k}") for k, v in spec["branches"].items()}
    for key in ("branch", "default"):
        if key in spec:
            fields[key] = _graph(spec[key], f"{where}.{key}")
    next_step = spec.get("next")
    if next_step is None and not NODE_CLASSES[node_type].terminal:
        raise DefinitionError(f"{where}: a {node_type} step needs 'next'.")
    return make_node(node_type, name, next=next_step, on_failure=spec.get("on_failure"), **fields)


def _overrides(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise DefinitionError(f"{where}.overrides must be a mapping of executor -> override name, got {value!r}.")
    return {str(k): v for k, v in value.items()}


def _task(spec: dict[str, Any], where: str) -> TaskSpec:
    kind = spec.get("command_type", "python")
    command = spec.get("command")
    if not isinstance(command, str) or not command.strip():
        raise DefinitionError(f"{where}: a task needs a 'command'.")
    if kind in ("python", "async-python") and ":" not in command:
        if "." not in command:
            raise DefinitionError(f"{where}: python command {command!r} must be 'package.module.function'.")
        command = "{}:{}".format(*command.rsplit(".", 1))
    returns = []
    for item in spec.get("returns", []) or []:
        if isinstance(item, str):
            returns.append(ReturnSpec(item))
        elif isinstance(item, dict) and "name" in item:
            returns.append(ReturnSpec(str(item["name"]), str(item.get("kind", "json"))))
        else:
            raise DefinitionError(f"{where}: each return is a name or {{name, kind}}, got {item!r}.")
    catalog = spec.get("catalog")
    if catalog is not None and not isinstance(catalog, dict):
        raise DefinitionError(f"{where}.catalog must be a mapping with get/put lists.")
    return TaskSpec(
        kind=str(kind),
        command=command,
        returns=returns,
        secrets=list(spec.get("secrets", []) or []),
        catalog=CatalogSpec.from_dict(catalog) if catalog else None,
        overrides=dict(spec.get("overrides", {}) or {}),
        notebook_args=dict(spec.get("optional_ploomber_args", {}) or {}),
        max_attempts=int(spec.get("max_attempts", 1)),
        backoff_seconds=float(spec.get("backoff_seconds", 0.0)),
        backoff_factor=float(spec.get("backoff_factor", 2.0)),
        stream_end_type=str(spec.get("stream_end_type", STREAM_END_TYPE)),
    )
