"""Rendered compose files against the Compose Specification schema (vendored) and our own rules."""

from __future__ import annotations

import json
import re
from typing import Any

from runnable.ir.errors import DefinitionError, RunnableError


def validate(document: dict[str, Any]) -> None:
    """Check against the Compose Specification schema and our own rules before writing.

    A pipeline's services differ only in their names, their commands' words and whom they wait for,
    which the schema constrains by pattern and type alone: those are checked here for every service,
    and the schema sees one service of each remaining shape (a 20,000-step file has a handful).
    """
    services = document.get("services")
    if isinstance(services, dict):
        document = {**document, "services": _one_per_shape(services)}
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.absolute_path) or "<root>"
        raise DefinitionError(f"The rendered compose file is invalid at {where}: {first.message}")
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            if dependency not in services:
                raise DefinitionError(f"Compose service {name!r} depends on {dependency!r}, which is not rendered.")


_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")  # the schema's pattern for service names and depends_on keys


def _one_per_shape(services: dict[str, Any]) -> dict[str, Any]:
    """The first service of each shape; names and depends_on keys are checked against the schema's pattern."""
    shapes: dict[str, tuple[str, Any]] = {}
    for name, service in services.items():
        if not _NAME.match(name):
            raise DefinitionError(f"The rendered compose file is invalid at services: {name!r} is not a valid "
                                  "service name")
        shape = service
        if isinstance(service, dict):
            shape = dict(service)
            command = service.get("command")
            if isinstance(command, list):
                shape["command"] = ["-" if isinstance(word, str) else word for word in command]
            depends = service.get("depends_on")
            if isinstance(depends, dict):
                for key in depends:
                    if not isinstance(key, str) or not _NAME.match(key):
                        raise DefinitionError(f"The rendered compose file is invalid at services.{name}.depends_on:"
                                              f" {key!r} is not a valid service name")
                shape["depends_on"] = {f"d{index}": value for index, value in enumerate(depends.values())}
        shapes.setdefault(json.dumps(shape, sort_keys=True, default=str), (name, shape))
    return dict(shapes.values())


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
