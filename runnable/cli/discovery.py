"""Find the job or pipeline a user means by ``FILE.py``, ``FILE.py:NAME`` or ``FILE.yaml``.

A Python file may hold one module-level Pipeline/job, several (then NAME picks one), or
a ``main()`` that builds one and perhaps calls ``execute()`` itself. YAML files use
runnable's YAML pipeline language.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from runnable.ir.errors import DefinitionError, RunnableError
from runnable.ir.model import Graph, TaskNode
from runnable.cli.launch import DefinitionCaptured, LaunchOptions, cli_options

YAML_SUFFIXES = (".yaml", ".yml")


class StaticDefinition:
    """A definition that is already IR (from a YAML file): it only needs to be handed over."""

    def __init__(self, definition: Any) -> None:
        self.definition = definition

    def to_ir(self) -> Any:
        return self.definition


def is_definition(obj: Any) -> bool:
    from runnable.dsl.jobs import BaseJob
    from runnable.dsl.pipeline import Pipeline

    return isinstance(obj, (Pipeline, BaseJob, StaticDefinition))


def split_target(spec: str) -> tuple[str, str]:
    path, sep, attr = spec.rpartition(":")
    if sep and path.endswith(".py"):
        return path, attr
    return spec, ""


def load_definition(spec: str) -> Any:
    """The definition object ``spec`` names, without running anything."""
    obj, _ = resolve(spec, LaunchOptions(capture=True))
    return obj


def resolve(spec: str, options: LaunchOptions) -> tuple[Any, list[Any]]:
    """(definition object or None, run logs produced while calling the user's code)."""
    path, attr = split_target(spec)
    if not os.path.isfile(path):
        if os.path.isdir(path):
            raise DefinitionError(f"{path!r} is a folder; give a Python file (.py) or a YAML pipeline (.yaml) "
                                  "that defines the job or pipeline.")
        raise DefinitionError(f"File {path!r} does not exist.")
    if path.endswith(YAML_SUFFIXES):
        return StaticDefinition(_yaml_definition(path)), []
    module = _load_user_module(path)
    entry = _find_entry(module, path, attr)
    if is_definition(entry):
        return entry, []
    if not callable(entry):
        raise DefinitionError(f"{spec!r} is neither a Pipeline/Job nor a function that returns one.")
    token = cli_options.set(options)
    try:
        result = entry()
        if _is_coroutine(result):  # async def main(): awaits AsyncPipeline.execute() or streams it
            import asyncio

            result = asyncio.run(result)
    except DefinitionCaptured as captured:
        return captured.obj, []
    finally:
        cli_options.reset(token)
    if options.executed:
        return (result if is_definition(result) else None), options.executed
    if not is_definition(result):
        raise DefinitionError(
            f"{getattr(entry, '__name__', spec)}() returned {type(result).__name__}, not a Pipeline or Job; "
            "make it return the definition."
        )
    return result, []


def _is_coroutine(value: Any) -> bool:
    return type(value).__name__ == "coroutine" and hasattr(value, "send")


def _load_user_module(path: str) -> Any:
    from runnable.runtime.loading import load_script

    if not path.endswith(".py"):
        raise DefinitionError(f"{path!r} is not a Python file (.py) or a YAML pipeline (.yaml).")
    script_dir = os.path.dirname(os.path.realpath(path))
    if script_dir not in sys.path:
        sys.path.insert(0, script_dir)
    try:
        return load_script(path)
    except RunnableError:
        raise
    except Exception as exc:
        import traceback

        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
        raise DefinitionError(f"Importing {path!r} failed:\n{detail.rstrip()}") from None


def _find_entry(module: Any, path: str, attr: str) -> Any:
    """The definition object, or a function that builds (and maybe runs) one."""
    if attr:
        if not hasattr(module, attr):
            raise DefinitionError(f"{path!r} has no attribute {attr!r}.")
        return getattr(module, attr)
    found = {name: obj for name, obj in vars(module).items() if is_definition(obj)}
    if len(found) == 1:
        return next(iter(found.values()))
    if len(found) > 1:
        names = ", ".join(sorted(found))
        raise DefinitionError(f"{path!r} defines several jobs/pipelines ({names}); choose one with {path}:NAME.")
    main = getattr(module, "main", None)
    if callable(main):
        return main
    raise DefinitionError(f"{path!r} has no module-level Pipeline or Job and no main() that returns one.")


def _yaml_definition(path: str) -> Any:
    from runnable.dsl.yaml_pipeline import definition_from_yaml
    from runnable.runtime.loading import resolve_callable

    from runnable.ir.reading import FileFormatError, decode_utf8, read_bytes

    try:
        text = decode_utf8(read_bytes(path), path)
    except FileFormatError as exc:
        raise DefinitionError(f"{path} is not valid YAML: {exc}") from None
    except OSError as exc:
        raise DefinitionError(f"{path!r} cannot be read: {exc.strerror}.") from None
    definition = definition_from_yaml(text, path)
    for where, ref in _python_refs(definition.graph):
        resolve_callable(ref, f"{path}: {where}")  # fail now, not in the middle of a run
    return definition


def _python_refs(graph: Graph, prefix: str = "") -> list[tuple[str, str]]:
    refs = []
    for name, node in graph.nodes.items():
        if isinstance(node, TaskNode) and node.task.kind == "python":
            refs.append((f"step {prefix + name!r}", node.task.command))
        for key, sub in node.graphs().items():
            refs.extend(_python_refs(sub, f"{prefix}{name}.{key}."))
    return refs
