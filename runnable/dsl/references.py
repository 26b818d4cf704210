"""Turn user callables and files into portable references the IR can carry.

A function becomes ``package.module:qualname`` when its module is importable, or
``path/to/script.py:qualname`` (relative to the project directory) when it lives in a
script that was run or loaded by path. Lambdas and closures have no such name: they
are refused here, at compile time, rather than failing later inside a container.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, Callable

from runnable.ir.errors import DefinitionError
from runnable.ir.names import SCRIPT_MARKER


def callable_ref(function: Callable[..., Any], where: str) -> str:
    """Return the reference for ``function`` or say why it cannot be referenced."""
    if not callable(function):
        raise DefinitionError(f"{where}: function must be a callable, got {function!r}.")
    qualname = getattr(function, "__qualname__", None)
    module_name = getattr(function, "__module__", None)
    if not qualname or not module_name:
        raise DefinitionError(f"{where}: {function!r} has no importable name; pass a module-level function.")
    if "<lambda>" in qualname:
        raise DefinitionError(
            f"{where}: a lambda cannot be referenced by name; define it with 'def' at module level."
        )
    if "<locals>" in qualname:
        raise DefinitionError(
            f"{where}: {qualname.replace('.<locals>', '')} is defined inside another function; "
            "move it to module level so every target can import it."
        )
    module = sys.modules.get(module_name)
    if module is None:
        raise DefinitionError(f"{where}: module {module_name!r} of {qualname} is not loaded.")
    if resolve_attribute(module, qualname) is not function:
        raise DefinitionError(
            f"{where}: {module_name}.{qualname} does not name this function "
            "(was it decorated or reassigned?); pass the module-level function itself."
        )
    return f"{module_reference(module)}:{qualname}"


def module_reference(module: Any) -> str:
    """Dotted name for importable modules, project-relative path for scripts."""
    name = module.__name__
    spec = getattr(module, "__spec__", None)
    if name == "__main__" and spec is not None and spec.name and spec.name != "__main__":
        return spec.name  # ``python -m package.module``
    if name == "__main__" or getattr(module, SCRIPT_MARKER, False):
        file = getattr(module, "__file__", None)
        if not file:
            raise DefinitionError(
                "Functions defined in an interactive session cannot be referenced; put them in a module."
            )
        return project_path(file)
    return name


def project_path(path: str | os.PathLike[str]) -> str:
    """A path relative to the project directory (the working directory), with '/' separators."""
    return _relative(os.fspath(path), os.getcwd())


@functools.lru_cache(maxsize=256)
def _relative(path: str, cwd: str) -> str:
    # Cached: every task of a 5,000-step pipeline defined in one file asks for the same path.
    return os.path.relpath(os.path.realpath(path), os.path.realpath(cwd)).replace(os.sep, "/")


def resolve_attribute(module: Any, qualname: str) -> Any:
    target = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def notebook_ref(notebook: object, where: str) -> str:
    """Notebooks are referenced by project-relative path and must exist when compiled."""
    if not isinstance(notebook, (str, os.PathLike)) or not str(notebook).endswith(".ipynb"):
        raise DefinitionError(f"{where}: notebook must be a path ending in .ipynb, got {notebook!r}.")
    if not os.path.isfile(notebook):
        raise DefinitionError(
            f"{where}: notebook {str(notebook)!r} does not exist (paths are relative to {os.getcwd()})."
        )
    return project_path(notebook)
