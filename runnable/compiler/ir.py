"""The ``ir`` target: the IR itself, as canonical YAML (for people) or JSON (for machines)."""

from __future__ import annotations

from runnable.ir.model import Definition
from runnable.ir.serialize import content_hash, to_json, to_yaml


def render(definition: Definition, fmt: str = "yaml") -> str:
    if fmt == "json":
        return to_json(definition)
    header = f"# runnable IR v{definition.ir_version}; content hash sha256:{content_hash(definition)}\n"
    return header + to_yaml(definition)
