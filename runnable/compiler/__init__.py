"""Rendering: the target registry (``base``), the lowering pass (``plan``), the container contract
(``container``), one module per target and the checks of what they render (``checks``).

Nothing is imported here eagerly, so a container's ``execute-step`` pays for no renderer.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "render":  # runnable.compiler.render(definition, "argo", config): the public entry point
        from runnable.compiler.base import render

        return render
    raise AttributeError(f"module 'runnable.compiler' has no attribute {name!r}")
