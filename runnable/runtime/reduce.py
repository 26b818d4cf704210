"""Map fan-in: each name the branch returned is reduced over the items, in item order."""

from __future__ import annotations

import builtins
from typing import Any, Callable

from runnable.ir.errors import DefinitionError, RunnableError
from runnable.ir.model import Graph, MapNode, TaskNode
from runnable.runtime.loading import resolve_callable
from runnable.runtime.parameters import Parameters, to_json_value


class ReducerError(RunnableError):
    """The map's reducer raised or produced something that cannot be stored."""


def declared_returns(graph: Graph) -> list[str]:
    """Names any task of ``graph`` (or of its branches, at any depth) returns, in order."""
    names: dict[str, None] = {}
    for node in graph.nodes.values():
        if isinstance(node, TaskNode):
            names.update(dict.fromkeys(r.name for r in node.task.returns))
        for sub in node.graphs().values():
            names.update(dict.fromkeys(declared_returns(sub)))
    return list(names)


def load_reducer(text: str, where: str) -> Callable[..., Any]:
    """A lambda string is evaluated (it is the user's own code); a path is imported."""
    if text.startswith("lambda"):
        return eval(text, {"__builtins__": builtins})  # noqa: S307 - the pipeline author's code
    ref = text if ":" in text else "{}:{}".format(*text.rsplit(".", 1))
    try:
        return resolve_callable(ref, where)
    except DefinitionError as exc:
        raise ReducerError(str(exc)) from None


def reduce_map_results(ctx: Any, node: MapNode, internal: str,
                       results: list[tuple[str, str, Parameters]]) -> Parameters:
    """Reduced parameters for a map whose items all succeeded.

    With no items every declared return becomes an empty list, and the reducer is not
    called (``max()`` of nothing would only raise). A name that some items did not set
    is reduced over the items that did.
    """
    where = f"Map {node.name!r}"
    reducer = load_reducer(node.reducer, where) if node.reducer else None
    reduced: Parameters = {}
    for name in declared_returns(node.branch):
        if name == node.iterate_as:
            continue
        present = [returned[name] for _, _, returned in results if name in returned]
        if not results:
            reduced[name] = {"kind": "json", "value": []}
            continue
        if not present:
            continue
        values = [ctx.load_object(name, spec) if spec["kind"] == "object" else spec["value"] for spec in present]
        if reducer is None:
            value: Any = values
        else:
            try:
                value = reducer(*values)
            except Exception as exc:
                raise ReducerError(
                    f"{where}: reducer {node.reducer!r} raised {type(exc).__name__}: {exc} while reducing {name!r}."
                ) from None
        kinds = {spec["kind"] for spec in present}
        if "object" in kinds:
            file_name = f"objects/{internal}/{name}.pickle"
            ctx.store_object(file_name, value)
            reduced[name] = {"kind": "object", "value": file_name}
        else:
            kind = "metric" if kinds == {"metric"} else "json"
            reduced[name] = {"kind": kind, "value": to_json_value(value, name, where)}
    return reduced
