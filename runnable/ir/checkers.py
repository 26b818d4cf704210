"""The vocabulary of configuration schemas: a key's checker and a section type's keys.

Each part of runnable declares the configuration it reads next to the code that reads it
(a target its executor's keys, the stores theirs) with these pieces; ``runnable.config``
only collects the declarations and checks files against them.
"""

from __future__ import annotations

from typing import Any, Callable

from runnable.ir.record import Record

#: A key's checker: (what the value must be, for the error message; the predicate).
Checker = tuple[str, Callable[[Any], bool]]

BOOL: Checker = ("a boolean", lambda v: isinstance(v, bool))
STR: Checker = ("a string", lambda v: isinstance(v, str))
MAP: Checker = ("a mapping", lambda v: isinstance(v, dict))
LIST: Checker = ("a list", lambda v: isinstance(v, list))
WORKERS: Checker = ("a whole number of at least 1",
                    lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1)
ANY: Checker = ("any value", lambda v: True)


def one_of(*choices: str) -> Checker:
    return (", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0],
            lambda v: v in choices)


class TypeSpec(Record):
    """One allowed ``type`` of a configuration section: its config keys and whether it runs yet."""

    keys: dict[str, Checker]
    available: bool = True
    aliases_of: str = ""
