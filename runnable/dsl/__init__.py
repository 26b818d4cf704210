"""The public classes users write. They only build IR; running is delegated (``launcher``).

Loaded lazily, like ``runnable`` itself: importing the launcher hook costs nothing.
"""

from __future__ import annotations

from typing import Any

_MODULES = {
    "Conditional": "composites", "Loop": "composites", "Map": "composites", "Parallel": "composites",
    "NotebookJob": "jobs", "PythonJob": "jobs", "ShellJob": "jobs",
    "Pipeline": "pipeline", "AsyncPipeline": "async_pipeline", "AsyncPythonTask": "steps",
    "Catalog": "returns", "json": "returns", "metric": "returns", "pickled": "returns",
    "Fail": "steps", "NotebookTask": "steps", "PythonTask": "steps", "ShellTask": "steps", "Stub": "steps",
    "Success": "steps",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'runnable.dsl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"runnable.dsl.{module}"), name)
    globals()[name] = value
    return value
