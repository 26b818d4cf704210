"""The code a run used: one ``git status`` per run (runnable makes six git calls per step).

git is started when the run starts and read when it ends, so its time hides behind the
run's own work. It is spawned with ``os.posix_spawnp`` rather than ``subprocess``, whose
import alone costs more than the whole call for a run that has no shell tasks.
"""

from __future__ import annotations

import os

from runnable.stores.records import CodeIdentity

_GIT_STATUS = ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"]


class GitProbe:
    """A running ``git status``; :meth:`result` waits for it and parses its answer."""

    def __init__(self, cwd: str = ".") -> None:
        self.pid = 0
        self.read_fd = -1
        try:
            self._spawn(cwd)
        except (OSError, AttributeError):  # git is not installed, or no posix_spawn on this platform
            self.pid = 0

    def _spawn(self, cwd: str) -> None:
        read_fd, write_fd = os.pipe()
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            self.pid = os.posix_spawnp(
                "git",
                ["git", "-C", cwd, *_GIT_STATUS[1:]],
                dict(os.environ, GIT_OPTIONAL_LOCKS="0"),
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 0),
                    (os.POSIX_SPAWN_DUP2, write_fd, 1),
                    (os.POSIX_SPAWN_DUP2, devnull, 2),
                ],
            )
            self.read_fd = read_fd
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
            os.close(devnull)

    def result(self) -> CodeIdentity | None:
        if not self.pid:
            return None
        chunks = []
        try:
            while True:
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(self.read_fd)
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        return parse_status(b"".join(chunks).decode("utf-8", "replace"))


def parse_status(text: str) -> CodeIdentity | None:
    commit = ""
    dirty = False
    for line in text.splitlines():
        if line.startswith("# branch.oid "):
            commit = line.split(" ", 2)[2]
        elif line and not line.startswith("#"):
            dirty = True
    if not commit or commit == "(initial)":
        return None
    return CodeIdentity(type="git", identifier=commit, dirty=dirty)


def git_identity(cwd: str = ".") -> CodeIdentity | None:
    return GitProbe(cwd).result()
