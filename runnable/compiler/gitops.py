"""Rendered objects as files for a GitOps repository: one file per object, stable names, a kustomization.

Files runnable writes start with a header naming their source, so a new render can
replace exactly the files an older render wrote (a ConfigMap named after an older IR,
say) and ``--check`` can tell a stale folder from an up-to-date one.
"""

from __future__ import annotations

import os
from typing import Any

from runnable.ir.serialize import dump_yaml

HEADER_MARK = "# Rendered by runnable"
KUSTOMIZATION = "kustomization.yaml"


def file_name(document: dict[str, Any]) -> str:
    meta = document["metadata"]
    name = meta.get("name") or meta["generateName"].rstrip("-")
    return f"{document['kind'].lower()}-{name}.yaml"


def render_files(documents: list[dict[str, Any]], source: str, ir_hash: str) -> dict[str, str]:
    """File name -> text, for every object and the kustomization that lists the named ones."""
    files: dict[str, str] = {}
    named: list[str] = []
    created: list[str] = []
    for document in documents:
        name = file_name(document)
        generated = "generateName" in document["metadata"]
        how = "kubectl create -f" if generated else "kubectl apply -f"
        files[name] = _header(source, ir_hash, f"runnable apply <folder>, or {how} {name}") + dump_yaml(document)
        (created if generated else named).append(name)
    kustomization: dict[str, Any] = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                     "resources": named}
    note = ""
    if created:
        note = (f"# Not listed (generateName objects are created, not applied; kustomize needs names): "
                f"{', '.join(created)}\n")
    files[KUSTOMIZATION] = _header(source, ir_hash, "kubectl apply -k <folder>") + note + dump_yaml(kustomization)
    return dict(sorted(files.items()))


def one_line(text: str) -> str:
    """A value for a comment line: control characters (a newline would end the comment) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_HEADER_END = "; do not edit by hand."


def _header(source: str, ir_hash: str, how: str) -> str:
    return (f"{HEADER_MARK} from {one_line(source) or 'a definition'}{_HEADER_END}\n"
            f"# IR sha256:{ir_hash}\n"
            f"# Apply: {how}\n")


def stale_files(folder: str, files: dict[str, str]) -> list[str]:
    """Files an earlier render wrote into ``folder`` that this render does not have."""
    if not os.path.isdir(folder):
        return []
    stale = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name in files or not name.endswith(".yaml") or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            if handle.read(len(HEADER_MARK)) == HEADER_MARK:
                stale.append(name)
    return stale


def rendered_from(path: str) -> str | None:
    """The source named in the header of a file runnable rendered, or None for any other file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline().rstrip("\n")
    except OSError:
        return None
    prefix = f"{HEADER_MARK} from "
    if not first.startswith(prefix) or not first.endswith(_HEADER_END):
        return None
    return first[len(prefix):-len(_HEADER_END)]


def foreign_files(folder: str, source: str) -> dict[str, str]:
    """Rendered files of ``folder`` whose header names another source than ``source``: name -> that source."""
    if not os.path.isdir(folder):
        return {}
    mine = one_line(source) or "a definition"
    found = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".yaml") and os.path.isfile(path):
            other = rendered_from(path)
            if other is not None and other != mine:
                found[name] = other
    return found


def diff(folder: str, files: dict[str, str]) -> str:
    """A unified diff from what ``folder`` holds to what it should hold; '' when up to date."""
    import difflib

    chunks: list[str] = []
    for name, text in files.items():
        path = os.path.join(folder, name)
        old = _read(path)
        if old != text:
            chunks.extend(difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True),
                                               f"a/{name}", f"b/{name}"))
    for name in stale_files(folder, files):
        old = _read(os.path.join(folder, name))
        chunks.extend(difflib.unified_diff(old.splitlines(keepends=True), [], f"a/{name}", "/dev/null"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""


def write(folder: str, files: dict[str, str]) -> list[str]:
    """Write every file atomically, then remove the stale ones; returns the removed names."""
    from runnable.stores.atomic import write_atomic

    os.makedirs(folder, exist_ok=True)
    stale = stale_files(folder, files)
    for name, text in files.items():
        write_atomic(os.path.join(folder, name), text.encode(), durable=False)
    for name in stale:
        os.remove(os.path.join(folder, name))
    return stale
