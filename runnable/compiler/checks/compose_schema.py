"""Rendered compose files against the Compose Specification schema (vendored) and our own rules."""

from __future__ import annotations

from typing import Any

from runnable.ir.errors import DefinitionError, RunnableError


def validate(document: dict[str, Any]) -> None:
    """Check against the Compose Specification schema and our own rules before writing."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.absolute_path) or "<root>"
        raise DefinitionError(f"The rendered compose file is invalid at {where}: {first.message}")
    services = document["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            if dependency not in services:
                raise DefinitionError(f"Compose service {name!r} depends on {dependency!r}, which is not rendered.")


_VALIDATOR: Any = None


def _validator() -> Any:
    global _VALIDATOR
    if _VALIDATOR is None:
        import json
        from importlib import resources

        try:
            from jsonschema import Draft202012Validator
        except ImportError:
            raise RunnableError("The compose target validates its output with jsonschema: "
                                "pip install 'runnable[compose]'.") from None

        schema = json.loads(resources.files("runnable").joinpath("schemas/compose-spec.schema.json").read_text())
        _VALIDATOR = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return _VALIDATOR
