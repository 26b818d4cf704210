from __future__ import annotations

from pathlib import Path

import pytest

from runnable.ir.errors import ConfigError
from runnable.stores.secrets import (
    DotenvSecrets,
    EnvSecrets,
    SecretNotFoundError,
    parse_dotenv,
)


def test_dotenv_parsing() -> None:
    text = '# comment\nA=1\nexport B="two words"\nC=\'single\'\nD=value # trailing comment\nE="multi\\nline"\n\n'
    assert parse_dotenv(text, ".env") == {"A": "1", "B": "two words", "C": "single", "D": "value", "E": "multi\nline"}
    with pytest.raises(ConfigError, match=".env:1"):
        parse_dotenv("not a pair", ".env")


def test_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROM_ENV", "e")
    assert EnvSecrets().get("FROM_ENV") == "e"
    with pytest.raises(SecretNotFoundError, match="export it"):
        EnvSecrets().get("MISSING_SECRET_X")
    (tmp_path / ".env").write_text("TOKEN=t\n")
    assert DotenvSecrets(str(tmp_path / ".env")).get("TOKEN") == "t"
    with pytest.raises(SecretNotFoundError, match="is not in"):
        DotenvSecrets(str(tmp_path / ".env")).get("OTHER")
    with pytest.raises(SecretNotFoundError, match="does not exist"):
        DotenvSecrets(str(tmp_path / "missing.env")).get("TOKEN")
