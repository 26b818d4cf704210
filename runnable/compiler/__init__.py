"""Targets that render IR into files. Built-ins are a plain list, imported lazily by name.

Each target is a module ``runnable.compiler.<name>`` with ``render(definition, fmt) -> str``.
"""

from __future__ import annotations

import importlib

from runnable.ir.errors import DefinitionError, unknown_choice
from runnable.ir.model import Definition

TARGETS = ("ir", "compose")


def render(definition: Definition, target: str, fmt: str = "yaml") -> str:
    if target not in TARGETS:
        raise DefinitionError(unknown_choice("target", target, TARGETS))
    module = importlib.import_module(f"runnable.compiler.{target}")
    return module.render(definition, fmt)  # type: ignore[no-any-return]
