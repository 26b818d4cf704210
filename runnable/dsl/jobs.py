"""Jobs: one task, no graph. ``execute()`` takes ``job_id`` as runnable's does."""

from __future__ import annotations

from typing import Any, Callable, Union

from runnable.dsl.references import callable_ref, notebook_ref
from runnable.dsl.returns import (
    Catalog,
    checked_catalog,
    checked_command,
    checked_secrets,
    to_return_specs,
)
from runnable.ir.errors import DefinitionError
from runnable.ir.model import Definition, ReturnSpec, TaskSpec
from runnable.ir.validate import validate_definition


class BaseJob:
    """Shared fields of PythonJob, ShellJob and NotebookJob."""

    task_kind = ""

    def __init__(
        self,
        *,
        returns: list[Union[str, ReturnSpec]] | None = None,
        secrets: list[str] | None = None,
        catalog: Catalog | None = None,
        name: str = "",
        overrides: dict[str, str] | None = None,
    ) -> None:
        where = f"{type(self).__name__}"
        if overrides is not None and not isinstance(overrides, dict):
            raise DefinitionError(f"{where}: overrides must be a dict of executor -> key, got {overrides!r}.")
        self.overrides = dict(overrides or {})
        self.returns = to_return_specs(returns, where)
        self.secrets = checked_secrets(secrets, where)
        if checked_catalog(catalog, where) is not None and catalog is not None and catalog.get:
            raise DefinitionError(
                f"{where}: Catalog(get=...) is not supported for jobs; a job has no earlier steps to get from."
            )
        self.catalog = catalog
        self.name = name

    def command(self) -> str:
        raise NotImplementedError

    def notebook_args(self) -> dict[str, Any]:
        return {}

    def to_ir(self) -> Definition:
        task = TaskSpec(
            kind=self.task_kind,
            command=self.command(),
            returns=list(self.returns),
            secrets=list(self.secrets),
            catalog=self.catalog.to_spec() if self.catalog else None,
            notebook_args=self.notebook_args(),
            overrides=dict(self.overrides),
        )
        return validate_definition(Definition(kind="job", name=self.name, job=task))

    def return_catalog_settings(self) -> list[str]:
        return list(self.catalog.put) if self.catalog else []

    def return_bool_catalog_store_copy(self) -> bool:
        return self.catalog.store_copy if self.catalog else True

    def execute(
        self,
        configuration_file: str = "",
        job_id: str = "",
        tag: str = "",
        parameters_file: str = "",
        log_level: str = "WARNING",
    ) -> Any:
        """Run the job with the configured job executor and return its run log."""
        from runnable.dsl.launcher import launch

        return launch(
            self,
            configuration_file=configuration_file,
            run_id=job_id,
            tag=tag,
            parameters_file=parameters_file,
            log_level=log_level,
        )


class PythonJob(BaseJob):
    task_kind = "python"

    def __init__(self, *, function: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.function = function
        self._ref = callable_ref(function, "PythonJob")

    def command(self) -> str:
        return self._ref


class ShellJob(BaseJob):
    task_kind = "shell"

    def __init__(self, *, command: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._command = checked_command(command, "ShellJob")

    def command(self) -> str:
        return self._command


class NotebookJob(BaseJob):
    task_kind = "notebook"

    def __init__(
        self, *, notebook: str, optional_ploomber_args: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.notebook = notebook
        self._ref = notebook_ref(notebook, "NotebookJob")
        self.optional_ploomber_args = dict(optional_ploomber_args or {})

    def command(self) -> str:
        return self._ref

    def notebook_args(self) -> dict[str, Any]:
        return dict(self.optional_ploomber_args)
