"""A block-style YAML writer for plain data (dicts, lists, strings, numbers, booleans, None).

PyYAML's dumper spends most of a large manifest's compile time in its Python
representer; this writer does the same job for plain data about ten times faster and
with rules of its own that keep every value exactly what it was:

- a string is written plain only when it matches a small safe alphabet (no '#', quotes,
  braces or ': '), cannot be read as anything else under YAML 1.1 or 1.2 (``yes``,
  ``on``, ``null``, ``0123``, ``1e3``) and starts with a letter, '_', '/', './', '../'
  or an option's '-'/'--'; otherwise single-quoted;
- multi-line strings become ``|`` blocks (with the right chomping indicator) when that
  is exact, else double-quoted with escapes, as are strings with characters YAML cannot
  hold raw (control characters, U+2028, a BOM...);
- keys keep their given order; lines are never folded (a folded ``{{...}}`` breaks Argo).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

_PLAIN = re.compile(r"(?:[A-Za-z_/]|\.\.?/|--?[A-Za-z])[A-Za-z0-9_./()=|&!<>+:@ -]*")
_AMBIGUOUS = re.compile(
    r"(?i:y|yes|n|no|true|false|on|off|null|~|nan|inf|\.nan|\.inf|[-+]?\.inf)"
)
# What YAML cannot hold raw (or reads back changed): C0/C1 controls but tab and newline, carriage
# returns, NEL/LS/PS line breaks, a BOM, surrogates and the two non-characters.
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
_ESCAPES = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r",
            "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N", "\xa0": "\\_", "\u2028": "\\L", "\u2029": "\\P"}


def dump(data: Any) -> str:
    """The YAML text of ``data``, one document, ending with a newline."""
    out: list[str] = []
    if isinstance(data, dict) and data:
        _mapping(data, 0, out)
    elif isinstance(data, list) and data:
        _sequence(data, 0, out)
    else:
        out.append(_scalar(data, 2) + "\n")
    return "".join(out)


def _mapping(data: dict[Any, Any], indent: int, out: list[str], first_prefix: str | None = None) -> None:
    pad = " " * indent
    for position, (key, value) in enumerate(data.items()):
        line_start = first_prefix if position == 0 and first_prefix is not None else pad
        key_text = _key(key)
        # A simple key may be 1,024 characters at most; a longer one is written as an explicit key.
        head = f"{line_start}{key_text}:" if len(key_text) < 1000 else f"{line_start}? {key_text}\n{pad}:"
        if isinstance(value, dict) and value:
            out.append(head + "\n")
            _mapping(value, indent + 2, out)
        elif isinstance(value, list) and value:
            out.append(head + "\n")
            _sequence(value, indent, out)  # lists under a key are not indented, as kubectl writes them
        else:
            out.append(f"{head} {_scalar(value, indent + 2)}\n")


def _sequence(data: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in data:
        if isinstance(item, dict) and item:
            _mapping(item, indent + 2, out, first_prefix=pad + "- ")
        elif isinstance(item, list) and item:
            out.append(pad + "-\n")
            _sequence(item, indent + 2, out)
        else:
            out.append(f"{pad}- {_scalar(item, indent + 2)}\n")


@functools.lru_cache(maxsize=4096)
def _key(key: Any) -> str:
    text = key if isinstance(key, str) else str(key)
    return _double_quoted(text) if "\n" in text else _line(text)  # a block cannot be a key


def _scalar(value: Any, indent: int) -> str:
    if type(value) is str:
        return _line(value) if "\n" not in value else _string(value, indent)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as YAML")
    return _string(value, indent)


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:  # YAML 1.1 needs a dot: 1e-05 -> 1.0e-05
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


@functools.lru_cache(maxsize=8192)
def _line(value: str) -> str:
    # Manifests repeat the same short strings (keys, template names) thousands of times.
    return _string(value, 0)


def _string(value: str, indent: int) -> str:
    if _PLAIN.fullmatch(value) and not value.endswith((" ", ":")) and ": " not in value \
            and not _AMBIGUOUS.fullmatch(value):
        return value
    if _NOT_PRINTABLE.search(value):
        return _double_quoted(value)
    if "\n" in value:
        return _block(value, indent) or _double_quoted(value)
    return "'" + value.replace("'", "''") + "'"


def _block(value: str, indent: int) -> str | None:
    """A literal block when it reads back exactly, else None."""
    lines = value.split("\n")
    body = lines[:-1] if value.endswith("\n") else lines
    if value.startswith((" ", "\t", "\n")) or any(line != line.rstrip(" \t") for line in body):
        return None
    if value.endswith("\n\n"):
        return None  # keeping several trailing newlines needs '|+', which reads back with surprises
    chomp = "" if value.endswith("\n") else "-"
    pad = " " * indent
    return f"|{chomp}\n" + "\n".join(pad + line if line else "" for line in body)


def _double_quoted(value: str) -> str:
    parts = ['"']
    for char in value:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            parts.append(escaped)
        elif _NOT_PRINTABLE.match(char):
            code = ord(char)
            parts.append(f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)
