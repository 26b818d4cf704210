"""Find the Python objects an IR reference names, without re-running definition code twice."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from types import ModuleType
from typing import Any, Callable

from runnable.ir.errors import DefinitionError
from runnable.ir.names import SCRIPT_MARKER


def project_file(path: str) -> str:
    """A project-relative file: from the working directory, else from $RUNNABLE_PROJECT_DIR.

    Pods of the Kubernetes targets work in a scratch directory while the code stays
    read-only where the image has it.
    """
    if os.path.isabs(path) or os.path.exists(path):
        return path
    root = os.environ.get("RUNNABLE_PROJECT_DIR")
    if root and os.path.exists(os.path.join(root, path)):
        return os.path.join(root, path)
    return path


def load_script(path: str | os.PathLike[str]) -> ModuleType:
    """Import a file by path once; later calls (and references into it) reuse that module.

    It is loaded under a private name, so its ``if __name__ == "__main__":`` block does
    not run, and marked so that functions defined in it are referenced by path.
    """
    resolved = os.path.realpath(project_file(os.fspath(path)))
    existing = _loaded_from(resolved)
    if existing is not None:
        return existing
    if not os.path.isfile(resolved):
        raise DefinitionError(f"File {str(path)!r} does not exist.")
    name = "__runnable_script__." + re.sub(r"\W", "_", resolved.replace(os.sep, "/"))
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise DefinitionError(f"File {str(path)!r} is not a Python module.")
    module = importlib.util.module_from_spec(spec)
    setattr(module, SCRIPT_MARKER, True)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _loaded_from(resolved: str) -> ModuleType | None:
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and file.endswith(os.path.basename(resolved)) and os.path.realpath(file) == resolved:
            return module
    return None


def resolve_callable(ref: str, where: str) -> Callable[..., Any]:
    """``module:qualname`` or ``path/to/file.py:qualname`` to the callable it names."""
    module_part, _, qualname = ref.rpartition(":")
    if not module_part or not qualname:
        raise DefinitionError(f"{where}: {ref!r} is not a 'module:function' reference.")
    try:
        if module_part.endswith(".py"):
            module = load_script(module_part)
        else:
            module = sys.modules.get(module_part) or importlib.import_module(module_part)
    except ImportError as exc:
        raise DefinitionError(
            f"{where}: cannot import {module_part!r} ({exc}); run from the project directory "
            "so that the module is importable."
        ) from None
    target: Any = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise DefinitionError(f"{where}: {module_part!r} has no attribute {qualname!r}.")
    if not callable(target):
        raise DefinitionError(f"{where}: {ref!r} is not callable.")
    return target
