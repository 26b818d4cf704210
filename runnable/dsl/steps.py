"""Pipeline steps as users write them: tasks, Stub, Success and Fail.

These classes only hold what the user said; :mod:`runnable.dsl.pipeline` turns a list
of them into IR nodes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Union

from runnable.dsl.references import callable_ref, notebook_ref
from runnable.dsl.returns import (
    Catalog,
    checked_catalog,
    checked_command,
    checked_secrets,
    to_return_specs,
)
from runnable.ir.errors import DefinitionError
from runnable.ir.model import STREAM_END_TYPE, ReturnSpec, TaskSpec
from runnable.ir.names import check_step_name

if TYPE_CHECKING:
    from runnable.dsl.async_pipeline import AsyncPipeline
    from runnable.dsl.pipeline import Pipeline


class Step:
    """Fields every pipeline step shares, and ``a >> b`` linking."""

    node_type = "stub"

    def __init__(
        self,
        *,
        name: str,
        terminate_with_success: bool = False,
        terminate_with_failure: bool = False,
        on_failure: "Pipeline | None" = None,
    ) -> None:
        self.name = check_step_name(name)
        if terminate_with_success and terminate_with_failure:
            raise DefinitionError(
                f"Step {name!r}: terminate_with_success and terminate_with_failure cannot both be set."
            )
        self.terminate_with_success = bool(terminate_with_success)
        self.terminate_with_failure = bool(terminate_with_failure)
        if on_failure is not None:
            from runnable.dsl.pipeline import Pipeline

            if not isinstance(on_failure, Pipeline):
                raise DefinitionError(f"Step {name!r}: on_failure must be a Pipeline, got {on_failure!r}.")
        self.on_failure = on_failure
        self.next_step: Step | None = None

    def __rshift__(self, other: "Step") -> "Step":
        if not isinstance(other, Step):
            return NotImplemented
        self.next_step = other
        return other

    def __lshift__(self, other: "Step") -> "Step":
        if not isinstance(other, Step):
            return NotImplemented
        other.next_step = self
        return other

    def task_spec(self) -> TaskSpec | None:
        return None

    def node_fields(self) -> dict[str, Any]:
        """The IR node fields this step sets besides name, type, next and on_failure."""
        spec = self.task_spec()
        return {"task": spec} if spec is not None else {}

    def as_pipeline(self) -> "Pipeline":
        from runnable.dsl.pipeline import Pipeline

        return Pipeline(steps=[self])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Stub(Step):
    """A step that does nothing and succeeds; extra keyword arguments are ignored."""

    def __init__(
        self,
        *,
        name: str,
        terminate_with_success: bool = False,
        terminate_with_failure: bool = False,
        on_failure: "Pipeline | None" = None,
        **ignored: Any,
    ) -> None:
        super().__init__(
            name=name,
            terminate_with_success=terminate_with_success,
            terminate_with_failure=terminate_with_failure,
            on_failure=on_failure,
        )
        self.ignored = ignored


class BaseTask(Step):
    """A step that runs user code, with returns, secrets, catalog and overrides."""

    node_type = "task"
    task_kind = ""

    def __init__(
        self,
        *,
        name: str,
        returns: list[Union[str, ReturnSpec]] | None = None,
        secrets: list[str] | None = None,
        catalog: Catalog | None = None,
        overrides: dict[str, str] | None = None,
        max_attempts: int = 1,
        backoff_seconds: float = 0.0,
        backoff_factor: float = 2.0,
        terminate_with_success: bool = False,
        terminate_with_failure: bool = False,
        on_failure: "Pipeline | None" = None,
    ) -> None:
        super().__init__(
            name=name,
            terminate_with_success=terminate_with_success,
            terminate_with_failure=terminate_with_failure,
            on_failure=on_failure,
        )
        where = f"Step {name!r}"
        self.returns = to_return_specs(returns, where)
        self.secrets = checked_secrets(secrets, where)
        self.catalog = checked_catalog(catalog, where)
        if overrides is not None and not isinstance(overrides, dict):
            raise DefinitionError(f"{where}: overrides must be a dict of executor -> key, got {overrides!r}.")
        self.overrides = dict(overrides or {})
        if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
            raise DefinitionError(f"{where}: max_attempts must be an integer of at least 1, got {max_attempts!r}.")
        self.max_attempts = max_attempts
        self.backoff_seconds = float(backoff_seconds)
        self.backoff_factor = float(backoff_factor)

    def command(self) -> str:
        raise NotImplementedError

    def task_spec(self) -> TaskSpec:
        return TaskSpec(
            kind=self.task_kind,
            command=self.command(),
            returns=list(self.returns),
            secrets=list(self.secrets),
            catalog=self.catalog.to_spec() if self.catalog else None,
            overrides=dict(self.overrides),
            notebook_args=self.notebook_args(),
            max_attempts=self.max_attempts,
            backoff_seconds=self.backoff_seconds,
            backoff_factor=self.backoff_factor,
        )

    def notebook_args(self) -> dict[str, Any]:
        return {}


class PythonTask(BaseTask):
    """Calls a module-level Python function with parameters bound by name."""

    task_kind = "python"

    def __init__(self, *, function: Callable[..., Any], name: str, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.function = function
        self._ref = callable_ref(function, f"Step {name!r}")

    def command(self) -> str:
        return self._ref


class AsyncPythonTask(PythonTask):
    """Awaits an ``async def``, or runs an async generator whose items stream out.

    A generator hands its returns over in the event whose ``type`` is ``stream_end_type``:
    ``yield {"type": "done", "answer": 42}`` returns ``answer``.
    """

    task_kind = "async-python"

    def __init__(self, *, function: Callable[..., Any], name: str, stream_end_type: str = STREAM_END_TYPE,
                 **kwargs: Any) -> None:
        import inspect

        if not (inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)):
            raise DefinitionError(
                f"Step {name!r}: AsyncPythonTask needs an 'async def' function or async generator, got "
                f"{getattr(function, '__qualname__', function)!r}; use PythonTask for a plain function."
            )
        if not isinstance(stream_end_type, str) or not stream_end_type:
            raise DefinitionError(f"Step {name!r}: stream_end_type must be a non-empty string.")
        super().__init__(function=function, name=name, **kwargs)
        self.stream_end_type = stream_end_type

    def task_spec(self) -> TaskSpec:
        spec = super().task_spec()
        spec.stream_end_type = self.stream_end_type
        return spec

    def as_async_pipeline(self) -> "AsyncPipeline":
        from runnable.dsl.async_pipeline import AsyncPipeline

        return AsyncPipeline(steps=[self])


class ShellTask(BaseTask):
    """Runs a shell command; parameters arrive as env vars, returns leave via ``export``."""

    task_kind = "shell"

    def __init__(self, *, command: str, name: str, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._command = checked_command(command, f"Step {name!r}")

    def command(self) -> str:
        return self._command


class NotebookTask(BaseTask):
    """Executes a Jupyter notebook with parameters injected and returns read back."""

    task_kind = "notebook"

    def __init__(
        self,
        *,
        notebook: str,
        name: str,
        optional_ploomber_args: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.notebook = notebook
        self._ref = notebook_ref(notebook, f"Step {name!r}")
        self.optional_ploomber_args = dict(optional_ploomber_args or {})

    def command(self) -> str:
        return self._ref

    def notebook_args(self) -> dict[str, Any]:
        return dict(self.optional_ploomber_args)


class Success(Step):
    """The terminal step of a successful run; added automatically."""

    node_type = "success"

    def __init__(self, *, name: str = "success") -> None:
        super().__init__(name=name)


class Fail(Step):
    """The terminal step of a failed run; added automatically."""

    node_type = "fail"

    def __init__(self, *, name: str = "fail") -> None:
        super().__init__(name=name)
