"""The YAML writer: whatever plain data goes in reads back exactly (PyYAML, YAML 1.1 rules)."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from runnable.ir.yaml_writer import dump

TRAPS = ["yes", "No", "on", "OFF", "y", "~", "null", "0123", "1e3", "1_000", "0x1f", ".5", "-.5", "1:20", "a: b",
         "a:", "{{inputs.parameters.step}}", "${HOME}", "- a", "-", "--", "--run-id", "|x", ">x", "'q'", '"d"',
         "a\n", "a\n\n", "\na", " a", "a ", "#c", "x #c", "a#b", "@x", "`x`", "*a", "&a", "!t", "%t", "?", "\u2028",
         "\ufeff", "\x85", "\x00", "a\tb", "a\r\nb", "a\n b\n", "../..", "./ir.json", "image:latest", "héllo ☃",
         "a || b", "x" * 300]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(),
                    st.sampled_from(TRAPS))
DATA = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                    max_leaves=25)


@settings(max_examples=1500, deadline=None)
@given(DATA)
def test_any_plain_data_reads_back_exactly(data: object) -> None:
    assert yaml.safe_load(dump(data)) == data


def test_traps_are_quoted_and_ordinary_values_stay_plain() -> None:
    text = dump({"image": "runnable:latest", "args": ["--step", "yes", "0123", "{{x}}"], "on": True})
    assert text == "image: runnable:latest\nargs:\n- --step\n- 'yes'\n- '0123'\n- '{{x}}'\n'on': true\n"


def test_multi_line_strings_are_blocks_and_long_lines_are_never_folded() -> None:
    long = "{{tasks.a.outputs.parameters.indices}} " * 200
    text = dump({"script": "echo 1\necho 2\n", "depends": long.strip()})
    assert "script: |\n  echo 1\n  echo 2\n" in text
    assert len(text.splitlines()[-1]) > 7000
