"""The one YAML and JSON reader: located refusals of what the standard parsers let through."""

from __future__ import annotations

import pytest

from runnable.ir.reading import FileFormatError, decode_utf8, parse_json, parse_yaml, parse_yaml_documents


def located(call, *args) -> FileFormatError:
    with pytest.raises(FileFormatError) as caught:
        call(*args)
    return caught.value


def test_duplicate_keys_anywhere_are_refused_with_both_places() -> None:
    error = located(parse_yaml, "top:\n  inner:\n    a: 1\n    b: 2\n    a: 3\n", "f.yaml")
    assert (error.line, error.column) == (5, 5)
    assert "duplicate key 'a' (first at line 3, column 5)" in str(error) and str(error).startswith("f.yaml:5:5:")


def test_merge_keys_and_overrides_are_not_duplicates() -> None:
    assert parse_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 9\n", "f") == {
        "base": {"x": 1, "y": 2}, "use": {"x": 9, "y": 2}}


def test_aliases_within_bounds_load_and_share_nothing_surprising() -> None:
    assert parse_yaml("a: &a [1, 2]\nb: [*a, *a]\n", "f") == {"a": [1, 2], "b": [[1, 2], [1, 2]]}


def test_recursive_alias_is_refused() -> None:
    assert "cycle" in str(located(parse_yaml, "a: &a [*a]\n", "f"))


def test_not_utf8_points_at_the_byte() -> None:
    error = located(decode_utf8, "ok: 1\nname: \xe9t\xe9\n".encode("latin-1"), "f.yaml")
    assert (error.line, error.column) == (2, 7) and "0xe9" in str(error)


def test_control_characters_and_syntax_errors_are_located() -> None:
    assert str(located(parse_yaml, "a: 1\nb: \x01\n", "f")).startswith("f:2:4: character U+0001")
    assert str(located(parse_yaml, "a: [1\n", "f")).startswith("f:2:1:")


def test_several_documents_where_one_is_expected() -> None:
    assert "expected a single document" in str(located(parse_yaml, "a: 1\n---\nb: 2\n", "f"))
    assert parse_yaml_documents("a: 1\n---\nb: 2\n", "f") == [(1, {"a": 1}), (3, {"b": 2})]


def test_empty_text_is_none() -> None:
    assert parse_yaml("", "f") is None and parse_yaml_documents("", "f") == []


def test_json_records_are_located_and_refuse_nan() -> None:
    error = located(parse_json, b'{"a": 1,\n "b": }', "run.json")
    assert (error.line, error.column) == (2, 7)
    assert "NaN" in str(located(parse_json, b'{"a": NaN}', "run.json"))
    assert parse_json(b'{"a": [1, 2.5]}', "run.json") == {"a": [1, 2.5]}
