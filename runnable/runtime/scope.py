"""Parameter scopes: what a graph (or a branch of a composite step) sees and sets."""

from __future__ import annotations

from typing import Any

from runnable.runtime.parameters import Parameters


class Scope:
    """Parameters visible to one graph run, the names set within it, and env for its tasks.

    A branch gets a child scope: a copy of its parent's parameters, so sibling branches
    never see each other's values; the composite step decides what flows back.
    """

    def __init__(self, values: Parameters, env: dict[str, str] | None = None) -> None:
        self.values = values
        self.returned: Parameters = {}
        self.env = dict(env or {})

    def child(self, extra: Parameters | None = None, env: dict[str, str] | None = None) -> "Scope":
        values = dict(self.values)
        if extra:
            values.update(extra)
        return Scope(values, {**self.env, **(env or {})})

    def update(self, outputs: Parameters) -> None:
        self.values.update(outputs)
        self.returned.update(outputs)

    def value(self, name: str) -> Any:
        return self.values[name]["value"]
