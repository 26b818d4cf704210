"""runnable: describe a job or pipeline once in Python, run it anywhere.

Only the public API is re-exported here, lazily, so ``import runnable`` stays fast.
The project directory (the working directory) is made importable, so that
``from examples.common.functions import hello`` works from ``python examples/x.py``
as it does from ``runnable run``.
"""

from __future__ import annotations

import os as _os
import sys as _sys
from typing import Any

from runnable.dsl import launcher as _launcher

__version__ = "0.1.0"

_PUBLIC = {
    "Catalog": "runnable.dsl.returns",
    "json": "runnable.dsl.returns",
    "metric": "runnable.dsl.returns",
    "pickled": "runnable.dsl.returns",
    "Pipeline": "runnable.dsl.pipeline",
    "AsyncPipeline": "runnable.dsl.async_pipeline",
    "AsyncPythonTask": "runnable.dsl.steps",
    "PythonTask": "runnable.dsl.steps",
    "ShellTask": "runnable.dsl.steps",
    "NotebookTask": "runnable.dsl.steps",
    "Stub": "runnable.dsl.steps",
    "Success": "runnable.dsl.steps",
    "Fail": "runnable.dsl.steps",
    "Parallel": "runnable.dsl.composites",
    "Map": "runnable.dsl.composites",
    "Conditional": "runnable.dsl.composites",
    "Loop": "runnable.dsl.composites",
    "PythonJob": "runnable.dsl.jobs",
    "ShellJob": "runnable.dsl.jobs",
    "NotebookJob": "runnable.dsl.jobs",
    "RunnableError": "runnable.ir.errors",
    "ExecutionFailedError": "runnable.ir.errors",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module_name = _PUBLIC.get(name)
    if module_name is None:
        raise AttributeError(f"module 'runnable' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)


def _make_project_importable() -> None:
    cwd = _os.getcwd()
    if cwd not in _sys.path and "" not in _sys.path:
        _sys.path.insert(1 if _sys.path else 0, cwd)


def _launch(definition_object: Any, **options: Any) -> Any:
    from runnable.cli.launch import execute_definition

    return execute_definition(definition_object, **options)


_make_project_importable()
_launcher.install(_launch)
