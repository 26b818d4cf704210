"""Names for rendered objects: derived from the user's names, stable, and collision-free.

A name is the user's name made safe for the target (lower case, '-' for anything else);
when two different steps would get the same safe name, each gets a short hash of its
full internal name, so adding an unrelated step never renames existing ones.
"""

from __future__ import annotations

import re
import zlib

_UNSAFE = re.compile(r"[^a-z0-9]+")


def slug(text: str, max_length: int = 63) -> str:
    cleaned = _UNSAFE.sub("-", text.lower()).strip("-") or "step"
    return cleaned[:max_length].rstrip("-")


def short_hash(text: str) -> str:
    return f"{zlib.crc32(text.encode()):08x}"[:6]


def unique_names(internal_names: list[str], reserved: set[str], max_length: int = 63) -> dict[str, str]:
    """internal name -> safe name; names that collide (with each other or reserved) get a hash."""
    slugs = {name: slug(name, max_length) for name in internal_names}
    counts: dict[str, int] = {}
    for value in slugs.values():
        counts[value] = counts.get(value, 0) + 1
    result = {}
    for name, value in slugs.items():
        if counts[value] > 1 or value in reserved:
            suffix = short_hash(name)
            value = f"{value[: max_length - len(suffix) - 1].rstrip('-')}-{suffix}"
        result[name] = value
    return result
