"""Name rules shared by the DSL, the runtime and every renderer."""

from __future__ import annotations

import re

from runnable.ir.errors import DefinitionError

MAX_STEP_NAME = 200
#: The internal name of a job's one step, in run logs and for every target.
JOB_STEP = "job"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORBIDDEN = (".", "%", "/", "\\")


_SUSPECT = re.compile(r"[.%/\\\x00-\x1f\x7f]|^\s|\s$")


def check_step_name(name: object) -> str:
    """Step names become run-log keys and dotted internal paths: keep them printable."""
    if isinstance(name, str) and name and len(name) <= MAX_STEP_NAME and not _SUSPECT.search(name):
        return name  # the common case, in one regex search
    if not isinstance(name, str) or not name.strip():
        raise DefinitionError(f"A step name must be a non-empty string, got {name!r}.")
    bad = [c for c in _FORBIDDEN if c in name]
    if bad:
        raise DefinitionError(
            f"Step name {name!r} contains {' '.join(repr(c) for c in bad)}; "
            "'.', '%', '/' and '\\' are reserved (internal names are dotted paths)."
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise DefinitionError(
            f"Step name {name!r} contains a newline or control character; use a single printable line."
        )
    if name != name.strip():
        raise DefinitionError(f"Step name {name!r} has leading or trailing spaces.")
    if len(name) > MAX_STEP_NAME:
        raise DefinitionError(f"Step name {name[:40]!r}... is longer than {MAX_STEP_NAME} characters.")
    return name


def check_parameter_name(name: object, where: str) -> str:
    """Parameter names reach functions as keywords and shells as env vars: identifiers only."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ParameterNameError(name, where)
    return name


class ParameterNameError(DefinitionError):
    """A parameter or return name that is not a Python/shell identifier."""

    def __init__(self, name: object, where: str) -> None:
        super().__init__(
            f"{where}: {name!r} is not a valid parameter name; use letters, digits and '_' "
            "and do not start with a digit."
        )

#: Modules loaded by file path carry this attribute set to True; functions defined in
#: them are referenced as ``path/to/file.py:qualname`` rather than by module name.
SCRIPT_MARKER = "__runnable_script__"


_PLAIN_STEP_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def quote_step_path(internal_name: str) -> str:
    """An internal step name safe inside any orchestrator's text (no braces, quotes or spaces).

    Characters other than letters, digits, '_', '-' and '.' become %XX (UTF-8); '%' is
    forbidden in step names, so :func:`unquote_step_path` can always undo this.
    """
    if all(c in _PLAIN_STEP_CHARS for c in internal_name):
        return internal_name
    return "".join(c if c in _PLAIN_STEP_CHARS else "".join(f"%{b:02X}" for b in c.encode()) for c in internal_name)


def unquote_step_path(text: str) -> str:
    if "%" not in text:
        return text
    from urllib.parse import unquote

    return unquote(text, errors="strict")
