"""``runnable compile``: wiring between a definition file, the configuration and a target's renderer.

Both the click command and the console script's fast path (which skips importing click,
a third of a large compile's time) call :func:`compile_target`.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from runnable.ir.errors import DefinitionError

Say = Callable[[str], None]


def _out(text: str) -> None:
    sys.stdout.write(text)


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def compile_target(target: str, target_name: str = "ir", output: str = "", fmt: str = "yaml", config_file: str = "",
                   image: str = "", kind: str = "", check: bool = False, out: Say = _out, err: Say = _err) -> int:
    """Render ``target`` (FILE.py, FILE.py:NAME or a YAML pipeline) for one target; returns the exit code."""
    from runnable.compiler import TARGETS
    from runnable.discovery import load_definition
    from runnable.ir.errors import unknown_choice

    if target_name not in TARGETS:
        raise DefinitionError(unknown_choice("target", target_name, TARGETS))
    if check and (not output or target_name not in ("k8s", "argo")):
        raise DefinitionError("--check compares a rendered folder: use it with --target k8s|argo and -o DIR.")
    if fmt not in ("yaml", "json"):
        raise DefinitionError(f"--format must be yaml or json, got {fmt!r}.")
    definition = load_definition(target).to_ir()
    if target_name == "ir":
        from runnable.compiler import render

        text = render(definition, target_name, fmt)
        if output:
            write_files(os.path.dirname(output) or ".", {os.path.basename(output): text})
        else:
            out(text)
        return 0
    from runnable.config import load_config

    config = load_config(config_file or None)
    if target_name in ("k8s", "argo"):
        return _manifests(definition, target_name, config, image, source_of(target), kind, output, check, out, err)
    if not output:
        raise DefinitionError(f"--target {target_name} writes several files: give a folder with -o DIR.")
    from runnable.compiler import compose

    files = compose.render(definition, output, config, image=image, source=source_of(target), config_file=config_file)
    write_files(output, files)
    err(f"wrote {', '.join(sorted(files))} to {output}")
    return 0


def _manifests(definition: Any, target: str, config: Any, image: str, source: str, kind: str, output: str,
               check: bool, out: Say, err: Say) -> int:
    from runnable.compiler import gitops, render_manifests
    from runnable.ir.serialize import dump_yaml

    documents, files = render_manifests(definition, target, config, image=image, source=source, kind=kind)
    if check:
        stale = gitops.diff(output, files)
        if stale:
            out(stale)
            err(f"{output} is not up to date; run the same command without --check.")
            return 1
        err(f"{output} is up to date.")
        return 0
    if not output:
        out("---\n".join(dump_yaml(document) for document in documents))
        return 0
    removed = gitops.write(output, files)
    err(f"wrote {len(files)} files to {output}" + (f"; removed {', '.join(removed)}" if removed else ""))
    return 0


def write_files(folder: str, files: dict[str, str]) -> None:
    """Everything is rendered and checked before the first file is written; each write is atomic."""
    from runnable.stores.atomic import write_atomic

    os.makedirs(folder, exist_ok=True)
    for name, text in files.items():
        write_atomic(os.path.join(folder, name), text.encode(), durable=False)


def source_of(target: str) -> str:
    """The target as the run remembers it: project-relative, so a retry can find it again."""
    from runnable.discovery import split_target
    from runnable.dsl.references import project_path

    path, attr = split_target(target)
    if not os.path.isfile(path):
        return target
    relative = project_path(path)
    return relative + (f":{attr}" if attr else "")
