"""Checks of rendered Kubernetes and Argo manifests, run before anything is written and by ``runnable validate``.

Schemas catch wrong types and unknown keys; the rules catch what no schema states but the
API server or the Argo controller rejects later (``kube_rules`` for built-in kinds,
``argo_rules`` for Argo kinds). This module dispatches documents by kind, reads files and
folders for ``runnable validate``, and reports. Without a cluster this is as close as we get.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

from runnable.compiler.checks import argo_schema
from runnable.compiler.checks.argo_rules import argo_problems, workflow_templates
from runnable.compiler.checks.kube_rules import K8S_VERSION, api_problem, builtin_problems, object_problems
from runnable.ir.errors import DefinitionError, RunnableError

if TYPE_CHECKING:
    pass
MAX_LISTED = 10
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class Report(NamedTuple):
    """What ``validate_path`` looked at: files checked, problems and skipped objects, each with where it is."""

    checked: list[str]
    problems: list[tuple[str, str]]
    skipped: list[tuple[str, str]]

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------- entry points

def problems(documents: list[dict[str, Any]]) -> list[str]:
    """Every problem of rendered manifests, each as ``Kind/name: path: message``; unknown kinds are not problems."""
    return [message for _, message in _examine(documents, rendered=True)[0]]


def check_rendered(documents: list[dict[str, Any]], where: str) -> None:
    """Raise DefinitionError naming the problems of ``documents``; renderers call this before writing anything."""
    found = problems(documents)
    if found:
        shown = "\n".join(f"  - {problem}" for problem in found[:MAX_LISTED])
        more = f"\n  and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
        plural = "" if len(found) == 1 else "s"
        raise DefinitionError(f"The manifests rendered for {where} are invalid ({len(found)} problem{plural}):\n"
                              f"{shown}{more}")


def validate_path(path: str) -> Report:
    """Check one file, or every *.yaml/*.yml/*.json file under a folder (hidden folders aside), in sorted order."""
    if not os.path.exists(path):
        raise RunnableError(f"{path!r} does not exist: give a manifest file or a folder of them.")
    files = [path] if os.path.isfile(path) else _manifest_files(path)
    report = Report([], [], [])
    manifests: list[dict[str, Any]] = []
    places: list[str] = []
    for file in files:
        report.checked.append(file)
        for where, document in _documents(file, report):
            if _is_kustomization(file, document):
                report.problems.extend((where, problem) for problem in _kustomization_problems(file, document))
            elif "services" in document and "kind" not in document:
                report.problems.extend((where, problem) for problem in _compose_problems(document))
            else:
                manifests.append(document)
                places.append(where)
    found, skipped = _examine(manifests, rendered=False)
    report.problems.extend((places[index], message) for index, message in found)
    report.skipped.extend((places[index], message) for index, message in skipped)
    return report


# ---------------------------------------------------------------- dispatch by kind

def _examine(documents: list[Any], rendered: bool) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(index, problem) and (index, reason skipped) for every document, in order."""
    found: list[tuple[int, str]] = []
    skipped: list[tuple[int, str]] = []
    shared = workflow_templates(documents)
    for index, document in enumerate(documents):
        for item in _expand(document):
            label = _label(item, index if rendered else None)  # files name their documents by line
            if not isinstance(item, dict):
                found.append((index, f"{label}: is a {_type_name(item)}, not a mapping"))
                continue
            api_version, kind = item.get("apiVersion"), item.get("kind")
            if api_version is None and not rendered and (kind is None or not isinstance(item.get("metadata"), dict)):
                # Other YAML and JSON files (a runnable IR, say) live among manifests; without apiVersion
                # and metadata nothing marks them as Kubernetes objects.
                skipped.append((index, "not a Kubernetes object (no apiVersion"
                                       f"{' or kind' if kind is None else ' or metadata'})"))
                continue
            if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
                found.append((index, f"{label}: <root>: needs a string apiVersion and kind"))
                continue
            if kind in argo_schema.KINDS and api_version.split("/")[0] == "argoproj.io":
                mistake = api_problem(api_version, kind, argo_schema.KINDS)
                if mistake is not None:
                    found.append((index, f"{label}: <root>: {mistake}"))
                    continue
                messages = argo_problems(item, shared)
            else:
                messages = builtin_problems(item)
                if messages is None:
                    mistake = api_problem(api_version, kind, argo_schema.KINDS)  # a typo in a group we know?
                    if mistake is not None:
                        found.append((index, f"{label}: <root>: {mistake}"))
                        continue
                    skipped.append((index, f"{label}: no schema for kind {kind} ({api_version}) in Kubernetes "
                                           f"{K8S_VERSION} or Argo Workflows; not checked"))
                    continue
            messages += object_problems(item)
            found.extend((index, f"{label}: {message}") for message in messages)
    return found, skipped


def _expand(document: Any) -> list[Any]:
    """A ``kind: List`` stands for its items, as kubectl reads it."""
    if isinstance(document, dict) and document.get("kind") == "List" and isinstance(document.get("items"), list):
        return list(document["items"])
    return [document]


def _label(document: Any, index: int | None) -> str:
    if not isinstance(document, dict) or not isinstance(document.get("kind"), str):
        return "document" if index is None else f"document {index + 1}"
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    name = metadata.get("name") or metadata.get("generateName") or "<unnamed>"
    return f"{document['kind']}/{name}"


def _type_name(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value),
                                                                                           type(value).__name__)


# ---------------------------------------------------------------- files

def _manifest_files(folder: str) -> list[str]:
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        found += [os.path.join(root, f) for f in files if f.endswith(MANIFEST_SUFFIXES) or f in KUSTOMIZATION_FILES]
    return sorted(found)


def _documents(file: str, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file:line, mapping) for each document; unreadable text and non-mappings become problems."""
    from runnable.ir.reading import FileFormatError, decode_utf8, parse_json, parse_yaml_documents, read_bytes

    try:
        raw = read_bytes(file)
    except OSError as error:
        report.problems.append((file, f"cannot read the file: {error.strerror}"))
        return
    try:
        if file.endswith(".json"):
            parsed = [(1, parse_json(raw, file))]
        else:
            parsed = parse_yaml_documents(decode_utf8(raw, file), file)
    except FileFormatError as error:
        problem = error.problem if error.problem.startswith("not ") else f"not valid YAML: {error.problem}"
        report.problems.append((f"{error.source}:{error.line}:{error.column}", problem))
        return
    if not parsed:
        report.problems.append((file, "the file holds no document (it is empty)"))
        return
    for line, document in parsed:
        if document is None:
            continue  # an empty document, as between two '---'
        if not isinstance(document, dict):
            report.problems.append((f"{file}:{line}", f"the document is a {_type_name(document)}, not a mapping"))
            continue
        yield f"{file}:{line}", document


def _is_kustomization(file: str, document: dict[str, Any]) -> bool:
    return os.path.basename(file) in KUSTOMIZATION_FILES or (
        document.get("kind") == "Kustomization" and str(document.get("apiVersion", "")).startswith("kustomize."))


def _kustomization_problems(file: str, document: dict[str, Any]) -> list[str]:
    """Local ``resources`` and ``components`` must exist; remote ones are not fetched."""
    folder = os.path.dirname(os.path.abspath(file))
    messages = []
    for part in ("resources", "components"):
        entries = document.get(part)
        if entries is not None and not isinstance(entries, list):
            messages.append(f"Kustomization: {part}: expected a list, got a {_type_name(entries)}")
            continue
        for position, entry in enumerate(entries or ()):
            if not isinstance(entry, str) or not entry:
                messages.append(f"Kustomization: {part}.{position}: {entry!r} is not a path")
            elif "://" in entry or entry.startswith(("github.com/", "git@")):
                continue
            elif not os.path.exists(os.path.join(folder, entry)):
                messages.append(f"Kustomization: {part}.{position}: {entry!r} does not exist next to {file}")
    return messages


def _compose_problems(document: dict[str, Any]) -> list[str]:
    from runnable.compiler.checks.compose_schema import validate

    try:
        validate(document)
    except DefinitionError as error:
        return [f"compose file: {error}"]
    return []
