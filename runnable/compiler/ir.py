"""The ``ir`` target: the IR itself, as canonical YAML (for people) or JSON (for machines)."""

from __future__ import annotations

from runnable.compiler.base import Rendered, RenderRequest, Target
from runnable.ir.model import Definition
from runnable.ir.serialize import content_hash, to_json, to_yaml


def render_text(definition: Definition, fmt: str = "yaml") -> str:
    if fmt == "json":
        return to_json(definition)
    header = f"# runnable IR v{definition.ir_version}; content hash sha256:{content_hash(definition)}\n"
    return header + to_yaml(definition)


class IrTarget(Target):
    name = "ir"
    output = "text"
    options = frozenset({"fmt"})

    def render(self, definition: Definition, request: RenderRequest) -> Rendered:
        return Rendered(text=render_text(definition, request.fmt))


TARGET = IrTarget()
