"""Small helpers for tests: build definitions from tiny modules and run them in memory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from runnable.config import parse_config
from runnable.runtime.lifecycle import run_definition

MEMORY = {"run-log-store": {"type": "buffered"}}


def write_module(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def run_in_memory(obj: Any, config: dict[str, Any] | None = None, **kwargs: Any):
    """Run a DSL object with the in-memory run-log store; returns the run log."""
    return run_definition(obj.to_ir(), parse_config({**MEMORY, **(config or {})}, "test"), **kwargs)


def cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``runnable`` command as a user would, without any RUNNABLE_* from this process."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "runnable.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=full)


def render_manifests(definition, target: str, config=None, **options):
    """(documents, files) of a manifest target, through the public render entry point."""
    from runnable.compiler import render

    rendered = render(definition, target, config, **options)
    return rendered.documents, rendered.files
