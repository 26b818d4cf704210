"""Shell tasks: parameters in as env vars, declared returns out via ``export``.

The user's environment (PATH, HOME, an active venv) is kept. Only the declared returns
are read back, through a trap that writes them NUL-separated to a private file, so
multi-line values survive and nothing else of the environment (secrets!) is dumped.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from typing import Any

from runnable.ir.errors import ParameterError, RunnableError
from runnable.ir.model import TaskSpec
from runnable.runtime.parameters import decode_env_value
from runnable.runtime.tasks import TaskEnv

SHELL = "/bin/sh"
_UNSET = "\x01unset"


class ShellCommandFailed(RunnableError):
    """The shell command exited non-zero."""


def parameter_env(env: TaskEnv) -> dict[str, str]:
    """Parameters as strings: text as is, everything else as JSON."""
    values: dict[str, str] = {}
    for name, spec in env.parameters.items():
        if spec.get("kind") == "object":
            continue
        value = spec.get("value")
        values[name] = value if isinstance(value, str) else json.dumps(value)
    return values


def _trap(names: list[str], returns_file: str) -> str:
    lines = []
    for name in names:
        lines.append(
            f'if [ -n "${{{name}+x}}" ]; then printf "%s\\0%s\\0" {name} "${name}"; '
            f'else printf "%s\\0%s\\0" {name} {shlex.quote(_UNSET)}; fi'
        )
    body = "; ".join(lines) or ":"
    return (
        f"trap '__runnable_rc=$?; if [ \"$__runnable_rc\" -eq 0 ]; then {{ {_escape(body)}; }} "
        f"> {_escape(shlex.quote(returns_file))}; fi; exit $__runnable_rc' EXIT\n"
    )


def _escape(text: str) -> str:
    """Make text safe inside the single-quoted trap argument."""
    return text.replace("'", "'\\''")


def run(task: TaskSpec, env: TaskEnv) -> dict[str, Any]:
    names = [r.name for r in task.returns]
    process_env = dict(os.environ)
    process_env.update(parameter_env(env))
    process_env.update(env.extra_env)
    process_env.update(env.secrets)
    fd, returns_file = tempfile.mkstemp(prefix="runnable-returns-")
    os.close(fd)
    try:
        script = _trap(names, returns_file) + task.command + "\n"
        code = _stream(script, process_env, env)
        if code != 0:
            raise ShellCommandFailed(f"{env.where}: the shell command exited with code {code}.")
        with open(returns_file, "rb") as handle:
            raw = handle.read().decode("utf-8", "replace")
    finally:
        os.unlink(returns_file)
    parts = raw.split("\0")
    found = dict(zip(parts[0::2], parts[1::2]))
    values: dict[str, Any] = {}
    for name in names:
        text = found.get(name, _UNSET)
        if text == _UNSET:
            raise ParameterError(
                f"{env.where}: declared return {name!r} was not set by the command; "
                f"add 'export {name}=...' to it."
            )
        values[name] = decode_env_value(text)
    return values


def _stream(script: str, process_env: dict[str, str], env: TaskEnv) -> int:
    """Run the script, showing its merged output line by line and keeping a copy."""
    process = subprocess.Popen(
        [SHELL, "-c", script],
        env=process_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    chunks: list[str] = []
    try:
        for raw_line in iter(process.stdout.readline, b""):
            line = env.mask(raw_line.decode("utf-8", "replace"))
            sys.stdout.write(line)
            chunks.append(line)
        sys.stdout.flush()
        return process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        process.stdout.close()
        env.output.append("".join(chunks))
