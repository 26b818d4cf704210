from __future__ import annotations

import subprocess
from pathlib import Path

from runnable.runtime.identity import git_identity


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_commit_and_dirty_flag(tmp_path: Path) -> None:
    assert git_identity(str(tmp_path)) is None  # not a repository: no identity, no traceback
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.invalid")
    _git(tmp_path, "config", "user.name", "t")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "init")
    identity = git_identity(str(tmp_path))
    assert identity is not None
    assert identity.identifier == _git(tmp_path, "rev-parse", "HEAD") and identity.dirty is False
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_identity(str(tmp_path)).dirty is True  # type: ignore[union-attr]
