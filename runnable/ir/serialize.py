"""Canonical text forms of the IR and its content hash.

Canonical JSON (sorted keys, no spaces) is what the hash covers; YAML is the
human-ordered form users read and commit. Both are byte-stable: same IR, same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from runnable.ir.errors import DefinitionError
from runnable.ir.model import READABLE_VERSIONS, Definition
from runnable.ir.validate import validate_definition


def canonical_json(data: Any) -> str:
    """One JSON text per value: sorted keys, compact separators, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(definition: Definition) -> str:
    """sha256 of the canonical JSON: identifies a definition across runs and targets."""
    return sha256_hex(canonical_json(definition.to_dict()))


def sha256_hex(text: str) -> str:
    return _sha256(text.encode()).hexdigest()


def _sha256(data: bytes) -> Any:
    # CPython's built-in sha256 module avoids loading OpenSSL through hashlib, which
    # costs more than everything else a small run does; the result is the same digest.
    try:
        from _sha2 import sha256  # Python >= 3.12
    except ImportError:
        try:
            from _sha256 import sha256  # Python <= 3.11
        except ImportError:
            from hashlib import sha256
    return sha256(data)


def to_json(definition: Definition) -> str:
    return json.dumps(definition.to_dict(), indent=2, ensure_ascii=False) + "\n"


def to_yaml(definition: Definition) -> str:
    return dump_yaml(definition.to_dict())


def from_dict(data: Any, source: str = "IR") -> Definition:
    """Build and validate a definition from parsed IR data, with errors that name ``source``."""
    if not isinstance(data, dict) or "kind" not in data:
        raise DefinitionError(f"{source} is not a runnable IR document (no 'kind').")
    version = data.get("ir_version")
    if version not in READABLE_VERSIONS:
        readable = ", ".join(str(v) for v in READABLE_VERSIONS)
        raise DefinitionError(
            f"{source} has ir_version {version!r}; this runnable reads versions {readable}. "
            "Compile the definition again with this version."
        )
    try:
        definition = Definition.from_dict(data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise DefinitionError(f"{source} is malformed: {exc!r}.") from None
    return validate_definition(definition)


def loads(text: str, source: str = "IR") -> Definition:
    """Parse IR from JSON or YAML text."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            from runnable.ir.reading import parse_json

            data = parse_json(text, source)
        else:
            data = load_yaml(text, source)
    except ValueError as exc:
        raise DefinitionError(f"{source} could not be parsed: {exc}") from None
    return from_dict(data, source)


def load_yaml(text: str, source: str = "<text>") -> Any:
    """The one document of a YAML text; ValueError (a located FileFormatError) when it is not valid."""
    from runnable.ir.reading import parse_yaml

    return parse_yaml(text, source)


def load_yaml_documents(text: str, source: str = "<text>") -> list[Any]:
    """Every document of a multi-document YAML text."""
    from runnable.ir.reading import parse_yaml_documents

    return [data for _, data in parse_yaml_documents(text, source)]


def dump_yaml(data: Any) -> str:
    """Block-style YAML that keeps the given key order and quotes YAML 1.1 traps.

    Multi-line strings are written as ``|`` blocks so commands stay readable.
    """
    from runnable.ir.yaml_writer import dump

    return dump(data)
