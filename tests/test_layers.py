"""The packages import one way and no target imports another: import-linter's contracts in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_broken_layer_is_caught(tmp_path: Path) -> None:
    """The contract has teeth: a DSL module that imports the runtime breaks it."""
    config = (REPO / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(config)
    package = tmp_path / "runnable"
    for source in (REPO / "runnable").rglob("*.py"):
        target = package / source.relative_to(REPO / "runnable")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    (package / "dsl" / "sneaky.py").write_text("from runnable.runtime import lifecycle\n")
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "runnable.dsl is not allowed to import runnable.runtime" in result.stdout
