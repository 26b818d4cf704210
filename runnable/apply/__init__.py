"""Talking to engines: ``docker compose`` and the Kubernetes API (apply, wait, logs), and image builds.

Each target names its engine module in the registry; :func:`engine_for` picks the one that
recognises a rendered path, in registry order.
"""

from __future__ import annotations

import importlib
from typing import Any

from runnable.ir.errors import RunnableError


def engine_for(path: str) -> Any:
    """The engine module that can apply ``path`` (a compose folder, a folder or file of manifests)."""
    from runnable.compiler.base import targets

    seen: set[str] = set()
    for target in targets():
        if not target.engine or target.engine in seen:
            continue
        seen.add(target.engine)
        engine = importlib.import_module(target.engine)
        if engine.recognises(path):
            return engine
    raise RunnableError(f"{path!r} is neither a rendered folder nor a file: give a folder rendered by "
                        "'runnable compile -o DIR', or a manifest file.")
