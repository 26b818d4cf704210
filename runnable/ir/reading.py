"""Decode and parse the files people and processes hand us, with errors that say where.

Every YAML file runnable reads (pipelines, configuration, parameters, manifests for
``validate``) goes through :func:`parse_yaml` or :func:`parse_yaml_documents`, and every
JSON record or IR through :func:`parse_json`. They refuse what the standard parsers
let through silently: bytes that are not UTF-8, a key given twice in one mapping (the
first definition would be dropped), aliases that expand without bound (a few hundred
bytes of "alias bomb" otherwise become gigabytes in whoever walks the data) and, in
records, NaN and infinities (not JSON). Each refusal is a :class:`FileFormatError`
whose message starts with ``FILE:LINE:COLUMN:``.

ruamel.yaml is imported here, on the first file read, so ``import runnable`` stays fast.
"""

from __future__ import annotations

import json
from typing import Any

# Values that aliases may add beyond the nodes actually written in the file. A real file
# stays far below; a 9-level "billion laughs" would add 387 million.
MAX_ALIAS_VALUES = 1_000_000
MERGE_TAG = "tag:yaml.org,2002:merge"


class FileFormatError(ValueError):
    """A file that cannot be decoded or parsed; the message starts with ``FILE:LINE:COLUMN:``."""

    def __init__(self, source: str, line: int, column: int, problem: str) -> None:
        super().__init__(f"{source}:{line}:{column}: {problem}")
        self.source, self.line, self.column, self.problem = source, line, column, problem


def decode_utf8(data: bytes, source: str) -> str:
    """The text of ``data``, or an error that points at the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise FileFormatError(source, line, column,
                              f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8") from None


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def read_yaml_file(path: str) -> Any:
    """The one document of the YAML file at ``path``: OSError when unreadable, FileFormatError when invalid."""
    return parse_yaml(decode_utf8(read_bytes(path), path), path)


def parse_yaml(text: str, source: str) -> Any:
    """The one document of a YAML text (None when empty)."""
    documents = _parse(text, source, single=True)
    return documents[0][1] if documents else None


def parse_yaml_documents(text: str, source: str) -> list[tuple[int, Any]]:
    """(first line, data) of every document of a multi-document YAML text."""
    return _parse(text, source, single=False)


def _parse(text: str, source: str, single: bool) -> list[tuple[int, Any]]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = False
    documents: list[tuple[int, Any]] = []
    parser = None
    try:
        constructor, parser = yaml.get_constructor_parser(text)
        composer = yaml.composer
        if single:
            node = composer.get_single_node()
            nodes = [] if node is None else [node]
        else:
            nodes = []
            while composer.check_node():
                nodes.append(composer.get_node())
        for node in nodes:
            _check_node(node, source)
            documents.append((node.start_mark.line + 1, constructor.construct_document(node)))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and exc.problem.startswith("but "):
            problem = f"{exc.context}, {exc.problem}"
        if mark is None:
            raise FileFormatError(source, 1, 1, problem) from None
        raise FileFormatError(source, mark.line + 1, mark.column + 1, problem) from None
    except ReaderError as exc:
        before = text[:exc.position]
        raise FileFormatError(source, before.count("\n") + 1, exc.position - before.rfind("\n"),
                              f"character U+{_code(exc.character):04X} is not allowed in YAML") from None
    except YAMLError as exc:
        raise FileFormatError(source, 1, 1, str(exc).strip().splitlines()[0]) from None
    except RecursionError:
        raise FileFormatError(source, 1, 1, "nested too deeply to read") from None
    finally:
        if parser is not None:
            parser.dispose()
    return documents


def _code(character: Any) -> int:
    return ord(character) if isinstance(character, str) else int(character)


def _check_node(root: Any, source: str) -> None:
    """Refuse duplicate keys and alias expansion beyond MAX_ALIAS_VALUES, in one pass over the nodes."""
    sizes: dict[int, int] = {}  # expanded value count of each node seen, by identity
    open_nodes: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]  # an alias: counted again in its parent, never walked again
        if key in open_nodes:
            _fail(node, "an alias refers to the collection that contains it (a cycle)")
        open_nodes.add(key)
        value = node.value
        total = 1
        if node.id == "mapping":
            seen: dict[tuple[str, str], Any] = {}
            for key_node, value_node in value:
                if key_node.id == "scalar" and key_node.tag != MERGE_TAG:
                    spelled = (key_node.tag, key_node.value)
                    first = seen.setdefault(spelled, key_node)
                    if first is not key_node:
                        mark = first.start_mark
                        _fail(key_node, f"duplicate key {key_node.value!r} (first at line {mark.line + 1}, "
                                        f"column {mark.column + 1}); each key may appear once in a mapping")
                total += size(key_node) + size(value_node)
        elif node.id == "sequence":
            for item in value:
                total += size(item)
        open_nodes.discard(key)
        sizes[key] = total
        if total - len(sizes) > MAX_ALIAS_VALUES:
            _fail(node, f"aliases here expand to more than {MAX_ALIAS_VALUES:,} values (an alias bomb?); "
                        "refusing to read further")
        return total

    def _fail(node: Any, problem: str) -> None:
        mark = node.start_mark
        raise FileFormatError(source, mark.line + 1, mark.column + 1, problem)

    size(root)


def parse_json(data: bytes | str, source: str) -> Any:
    """A JSON document (a run record, a compiled IR), or a located error; NaN and infinities are refused."""
    text = data if isinstance(data, str) else decode_utf8(data, source)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise FileFormatError(source, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}") from None
    except _NonFinite as exc:
        raise FileFormatError(source, 1, 1, f"not valid JSON: {exc} is not a JSON number") from None


class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonFinite(name)


def dumps_finite(value: Any) -> str:
    """JSON text of ``value``; ValueError names the first NaN or infinity, which JSON cannot hold."""
    return json.dumps(value, allow_nan=False)
