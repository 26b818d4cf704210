from __future__ import annotations

import pytest

from runnable import Pipeline, Stub
from runnable.compiler import render
from runnable.ir.errors import DefinitionError
from runnable.ir.serialize import content_hash, loads


def test_ir_target_renders_yaml_with_hash_header_and_json() -> None:
    definition = Pipeline(steps=[Stub(name="a")]).to_ir()
    text = render(definition, "ir").text
    assert text.startswith(f"# runnable IR v2; content hash sha256:{content_hash(definition)}\n")
    assert loads(text).to_dict() == definition.to_dict()
    assert loads(render(definition, "ir", fmt="json").text).to_dict() == definition.to_dict()


def test_unknown_target_suggests_the_closest() -> None:
    with pytest.raises(DefinitionError, match="Unknown target 'irr'.*Did you mean 'ir'"):
        render(Pipeline(steps=[Stub(name="a")]).to_ir(), "irr")
