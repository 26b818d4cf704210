"""Composite steps: Parallel, Map, Conditional and Loop, each holding whole pipelines."""

from __future__ import annotations

from typing import Any, Callable

from runnable.dsl.pipeline import Pipeline
from runnable.dsl.references import callable_ref
from runnable.dsl.steps import Step
from runnable.ir.errors import DefinitionError
from runnable.ir.validate import check_reducer


def _pipeline(value: object, where: str) -> Pipeline:
    if not isinstance(value, Pipeline):
        raise DefinitionError(f"{where} must be a Pipeline, got {type(value).__name__}.")
    return value


def _branches(value: object, where: str) -> dict[str, Pipeline]:
    if not isinstance(value, dict) or not value:
        raise DefinitionError(f"{where}: branches must be a non-empty dict of name -> Pipeline.")
    return {str(key): _pipeline(branch, f"{where}: branch {key!r}") for key, branch in value.items()}


class Parallel(Step):
    """Runs every branch, each with a copy of the current parameters.

    Branch results merge back in the order the branches are given: when two branches
    return the same name, the later branch wins. ``fail_fast`` stops the remaining
    branches at the first failure; otherwise every branch finishes before the step fails.
    ``max_parallel`` caps how many branches run at once (where branches run concurrently).
    """

    node_type = "parallel"

    def __init__(self, *, name: str, branches: dict[str, Pipeline], fail_fast: bool = False,
                 max_parallel: int | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.branches = _branches(branches, f"Parallel {name!r}")
        self.fail_fast = bool(fail_fast)
        self.max_parallel = _limit(max_parallel, f"Parallel {name!r}")

    def node_fields(self) -> dict[str, Any]:
        return {"branches": {k: b.graph() for k, b in self.branches.items()}, "fail_fast": self.fail_fast,
                "max_parallel": self.max_parallel}


class Map(Step):
    """Runs ``branch`` once per item of the list parameter ``iterate_on``.

    Each run sees the current parameters plus ``iterate_as`` = the item. Afterwards every
    name the branch returned is reduced over the items, in item order: by default into a
    list; ``reducer`` may be a lambda string (``"lambda *x: max(x)"``), a dotted path, or
    a module-level function. ``max_parallel`` caps how many items run at once.
    """

    node_type = "map"

    def __init__(
        self,
        *,
        name: str,
        branch: Pipeline,
        iterate_on: str,
        iterate_as: str,
        reducer: str | Callable[..., Any] | None = None,
        max_parallel: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        where = f"Map {name!r}"
        self.max_parallel = _limit(max_parallel, where)
        self.branch = _pipeline(branch, f"{where}: branch")
        self.iterate_on = iterate_on
        self.iterate_as = iterate_as
        if reducer is None or reducer == "":
            self.reducer = ""
        elif callable(reducer):
            self.reducer = callable_ref(reducer, f"{where}: reducer")
        elif isinstance(reducer, str):
            check_reducer(reducer, where)
            self.reducer = reducer.strip()
        else:
            raise DefinitionError(f"{where}: reducer must be a string or a function, got {reducer!r}.")

    def node_fields(self) -> dict[str, Any]:
        return {
            "branch": self.branch.graph(),
            "iterate_on": self.iterate_on,
            "iterate_as": self.iterate_as,
            "reducer": self.reducer,
            "max_parallel": self.max_parallel,
        }


class Conditional(Step):
    """Runs the branch whose name equals ``str(value)`` of ``parameter`` (runnable's rule).

    When no branch matches, ``default`` runs if given; otherwise the step fails, as in
    runnable. The value must be a string, number or boolean.
    """

    node_type = "conditional"

    def __init__(
        self,
        *,
        name: str,
        branches: dict[str, Pipeline],
        parameter: str,
        default: Pipeline | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        where = f"Conditional {name!r}"
        self.branches = _branches(branches, where)
        self.parameter = parameter
        self.default = _pipeline(default, f"{where}: default") if default is not None else None

    def node_fields(self) -> dict[str, Any]:
        return {
            "branches": {k: b.graph() for k, b in self.branches.items()},
            "parameter": self.parameter,
            "default": self.default.graph() if self.default else None,
        }


class Loop(Step):
    """Runs ``branch`` at least once, again while parameter ``break_on`` is False.

    At most ``max_iterations`` runs. Parameters flow from one iteration to the next and
    back to the pipeline. The 0-based iteration number is in the environment variable
    named ``index_as``, as in runnable.
    """

    node_type = "loop"

    def __init__(
        self,
        *,
        name: str,
        branch: Pipeline,
        max_iterations: int,
        break_on: str,
        index_as: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        where = f"Loop {name!r}"
        self.branch = _pipeline(branch, f"{where}: branch")
        if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) or max_iterations < 1:
            raise DefinitionError(f"{where}: max_iterations must be an integer of at least 1, got {max_iterations!r}.")
        self.max_iterations = max_iterations
        self.break_on = break_on
        self.index_as = index_as

    def node_fields(self) -> dict[str, Any]:
        return {
            "branch": self.branch.graph(),
            "max_iterations": self.max_iterations,
            "break_on": self.break_on,
            "index_as": self.index_as,
        }


def _limit(max_parallel: int | None, where: str) -> int:
    """``max_parallel`` as the IR holds it: 0 for no limit of its own."""
    if max_parallel is None:
        return 0
    if isinstance(max_parallel, bool) or not isinstance(max_parallel, int) or max_parallel < 1:
        raise DefinitionError(f"{where}: max_parallel must be a whole number of at least 1 (how many branches run "
                              f"at once), or None for no limit; got {max_parallel!r}.")
    return max_parallel
