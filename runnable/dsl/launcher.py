"""The hook through which ``execute()`` reaches the launcher.

The DSL only builds IR and imports nothing above it; ``runnable/__init__`` installs the
launcher (the CLI's wiring of configuration, runtime and engines) when the package loads.
"""

from __future__ import annotations

from typing import Any, Callable

from runnable.ir.errors import RunnableError

Launcher = Callable[..., Any]
_launcher: Launcher | None = None


def install(launcher: Launcher) -> None:
    global _launcher
    _launcher = launcher


def launch(definition_object: Any, **options: Any) -> Any:
    """Run a DSL object with the installed launcher; returns its run log."""
    if _launcher is None:
        raise RunnableError("No launcher is installed: import runnable before calling execute().")
    return _launcher(definition_object, **options)
