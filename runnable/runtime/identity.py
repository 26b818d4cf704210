"""The code a run used: one git call per run (runnable makes six per step)."""

from __future__ import annotations

import subprocess

from runnable.stores.records import CodeIdentity


def git_identity(cwd: str = ".") -> CodeIdentity | None:
    """Commit and dirty flag from one ``git status``; None outside a repository or without git."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    commit = ""
    dirty = False
    for line in out.stdout.splitlines():
        if line.startswith("# branch.oid "):
            commit = line.split(" ", 2)[2]
        elif line and not line.startswith("#"):
            dirty = True
    if not commit or commit == "(initial)":
        return None
    return CodeIdentity(type="git", identifier=commit, dirty=dirty)
