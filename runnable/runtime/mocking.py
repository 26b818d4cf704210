"""Mocked runs: patches override only the task fields they name (runnable drops the rest)."""

from __future__ import annotations

from typing import Any

from runnable.ir.errors import ConfigError, closest
from runnable.ir.model import ReturnSpec, TaskSpec
from runnable.ir.validate import validate_task

PATCHABLE = ("kind", "command", "returns", "secrets", "catalog", "notebook_args", "max_attempts")
_ALIASES = {"command_type": "kind", "optional_ploomber_args": "notebook_args"}


def apply_patch(task: TaskSpec, patch: Any, step: str) -> TaskSpec:
    """A copy of ``task`` with the patched fields replaced and every other field kept."""
    where = f"mocked patch for step {step!r}"
    if not isinstance(patch, dict):
        raise ConfigError(f"The {where} must be a mapping of task fields, got {type(patch).__name__}.")
    data = task.to_dict()
    for raw_key, value in patch.items():
        key = _ALIASES.get(raw_key, raw_key)
        if key not in PATCHABLE:
            raise ConfigError(
                f"The {where} sets {raw_key!r}, which is not a task field. Valid: {', '.join(PATCHABLE)}."
                f"{closest(str(raw_key), PATCHABLE)}"
            )
        if key == "returns":
            value = [r if isinstance(r, dict) else ReturnSpec(str(r)).to_dict() for r in value]
        if key == "command" and data["kind"] == "python" and ":" not in str(value) and "." in str(value):
            value = "{}:{}".format(*str(value).rsplit(".", 1))  # runnable writes module.function
        data[key] = value
    patched = TaskSpec.from_dict(data)
    validate_task(patched, f"Step {step!r} ({where})")
    return patched
