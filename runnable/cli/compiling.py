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
                   image: str = "", kind: str = "", check: bool = False, force: bool = False, out: Say = _out,
                   err: Say = _err, graph: bool = False, parameters_file: str = "") -> int:
    """Render ``target`` (FILE.py, FILE.py:NAME or a YAML pipeline) for one target; returns the exit code."""
    from runnable.cli.discovery import load_definition
    from runnable.compiler.base import RenderRequest, target as find_target

    chosen = find_target(target_name)
    chosen.check_renderable()
    if check and (not output or chosen.output != "manifests"):
        raise DefinitionError("--check compares a rendered folder: use it with a manifest target (k8s, argo) and "
                              "-o DIR.")
    if fmt not in ("yaml", "json"):
        raise DefinitionError(f"--format must be yaml or json, got {fmt!r}.")
    if kind and "kind" not in chosen.options:
        raise DefinitionError(f"--kind chooses an Argo kind; the {target_name} target has none.")
    if chosen.output == "folder" and not output:
        raise DefinitionError(f"--target {target_name} writes several files: give a folder with -o DIR.")
    if graph and (chosen.output == "text" or not output):
        raise DefinitionError("--graph adds the pipeline's graph to the README.md of a rendered folder: use it with "
                              "a folder target (compose, k8s, argo) and -o DIR.")
    definition = load_definition(target).to_ir()
    config = None
    if chosen.output != "text":
        from runnable.config import load_config

        config = load_config(config_file or None)
    parameters: dict[str, Any] = {}
    if parameters_file:
        from runnable.runtime.parameters import initial_parameters

        parameters = {name: spec["value"] for name, spec in initial_parameters(parameters_file).items()}
    source = ""
    if chosen.output == "manifests":
        source = repository_path(target)
    elif chosen.output != "text":
        source = source_of(target)
    request = RenderRequest(config=config, image=image, source=source,
                            kind=kind, output=output, config_file=config_file, fmt=fmt, parameters=parameters)
    rendered = chosen.render(definition, request)
    for notice in rendered.notices:
        err(f"notice: {notice}")
    if graph:
        _add_graph(rendered.files, definition, output, request.source)
    if chosen.output == "text":
        if output:
            write_files(os.path.dirname(output) or ".", {os.path.basename(output): rendered.text})
        else:
            out(rendered.text)
        return 0
    if chosen.output == "manifests":
        return _manifests(rendered, output, check, force, source, out, err)
    write_files(output, rendered.files)
    err(f"wrote {', '.join(sorted(rendered.files))} to {output}")
    return 0


def _add_graph(files: dict[str, str], definition: Any, output: str, source: str) -> None:
    """README.md of the folder, with the Mermaid graph in its own section (the rest of the file is kept)."""
    from runnable.views.graph import named, readme_with_graph

    existing = os.path.join(output, "README.md")
    current = ""
    if os.path.isfile(existing):
        with open(existing, encoding="utf-8") as handle:
            current = handle.read()
    stem = os.path.splitext(os.path.basename(source.partition(":")[0]))[0]
    files["README.md"] = readme_with_graph(current, named(definition, stem), source)


def _manifests(rendered: Any, output: str, check: bool, force: bool, source: str, out: Say, err: Say) -> int:
    from runnable.compiler import gitops

    if check:
        stale = gitops.diff(output, rendered.files)
        if stale:
            out(stale)
            err(f"{output} is not up to date; run the same command without --check.")
            return 1
        err(f"{output} is up to date.")
        return 0
    if not output and rendered.stream_file and not check:  # runnable's output_file: the whole stream in one file
        write_files(os.path.dirname(rendered.stream_file) or ".", {os.path.basename(rendered.stream_file):
                                                                  rendered.text})
        err(f"wrote {rendered.stream_file}")
        return 0
    if not output:
        out(rendered.text)
        return 0
    foreign = gitops.foreign_files(output, source)
    if foreign and not force:
        others = ", ".join(sorted(set(foreign.values())))
        names = ", ".join(list(foreign)[:5]) + (", ..." if len(foreign) > 5 else "")
        raise DefinitionError(f"{output} holds the rendering of {others} ({names}), which this one would replace; "
                              f"compile {source or 'this definition'} into its own folder, or pass --force.")
    removed = gitops.write(output, rendered.files)
    err(f"wrote {len(rendered.files)} files to {output}" + (f"; removed {', '.join(removed)}" if removed else ""))
    return 0


def write_files(folder: str, files: dict[str, str]) -> None:
    """Everything is rendered and checked before the first file is written; each write is atomic."""
    from runnable.stores.atomic import write_atomic

    os.makedirs(folder, exist_ok=True)
    for name, text in files.items():
        write_atomic(os.path.join(folder, name), text.encode(), durable=False)


def repository_path(target: str) -> str:
    """The target as a GitOps header names it: relative to its git repository, wherever the command runs from.

    Outside a git repository it is relative to the working directory, as for :func:`source_of`.
    """
    from runnable.cli.discovery import split_target

    path, attr = split_target(target)
    if not os.path.isfile(path):
        return target
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            relative = os.path.relpath(real, folder).replace(os.sep, "/")
            return relative + (f":{attr}" if attr else "")
        parent = os.path.dirname(folder)
        if parent == folder:
            return source_of(target)
        folder = parent


def source_of(target: str) -> str:
    """The target as the run remembers it: project-relative, so a retry can find it again."""
    from runnable.cli.discovery import split_target
    from runnable.dsl.references import project_path

    path, attr = split_target(target)
    if not os.path.isfile(path):
        return target
    relative = project_path(path)
    return relative + (f":{attr}" if attr else "")
