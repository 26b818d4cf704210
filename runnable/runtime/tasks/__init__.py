"""One module per task kind, each with ``run(task, env) -> {return name: value}``.

Dispatch is by module name (``runnable.runtime.tasks.<kind>``), so a new task kind in
the IR without a runner fails loudly here instead of being skipped.
"""

from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from runnable.ir.errors import DefinitionError
from runnable.ir.model import TASK_KINDS, TaskSpec
from runnable.ir.record import Record, factory
from runnable.runtime.capture import Masker
from runnable.runtime.parameters import Parameters
from runnable.stores.catalog import FileSystemCatalog


class TaskEnv(Record):
    """What a task runner may use: inputs, secrets, and where its output goes.

    ``parameters`` are the scope's own: runners must not mutate them (Python tasks get
    copies through :func:`runnable.runtime.parameters.bind_arguments`).
    """

    where: str
    run_id: str
    step_name: str
    parameters: Parameters
    load_object: Callable[[str, dict[str, Any]], Any]
    secrets: dict[str, str]
    mask: Masker
    catalog: FileSystemCatalog
    output: list[str] = factory(list)
    extra_env: dict[str, str] = factory(dict)
    used: list[str] | None = None  # parameter names the task read; None means all


Runner = Callable[[TaskSpec, TaskEnv], dict[str, Any]]


_RUNNERS: dict[str, Runner] = {}


def runner_for(kind: str) -> Runner:
    runner = _RUNNERS.get(kind)
    if runner is None:
        if kind not in TASK_KINDS:
            raise DefinitionError(f"No runner for task kind {kind!r}.")
        module = kind.replace("-", "_")  # async-python -> async_python
        runner = _RUNNERS[kind] = importlib.import_module(f"runnable.runtime.tasks.{module}").run
    return runner


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set env vars for the duration of an in-process task, restoring the previous state."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
