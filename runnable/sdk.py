"""``runnable.sdk``: where runnable's users import the public classes from, as well as ``runnable``.

Lazy like ``runnable`` itself: a name is imported when it is first used.
"""

from __future__ import annotations

from typing import Any

import runnable as _runnable

# runnable's base classes, for users who check or extend them
_BASES = {
    "BaseTraversal": ("runnable.dsl.steps", "Step"),
    "BaseTask": ("runnable.dsl.steps", "BaseTask"),
    "BaseJob": ("runnable.dsl.jobs", "BaseJob"),
    "TaskReturns": ("runnable.dsl.returns", "TaskReturns"),
}

__all__ = sorted([*_runnable.__all__, *_BASES])


def __getattr__(name: str) -> Any:
    if name in _BASES:
        import importlib

        module, attribute = _BASES[name]
        value = getattr(importlib.import_module(module), attribute)
    else:
        try:
            value = getattr(_runnable, name) if name in _runnable.__all__ else None
        except AttributeError:
            value = None
        if value is None:
            raise AttributeError(f"module 'runnable.sdk' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
