"""Targets that render IR into files. Built-ins are a plain list, imported lazily by name.

``ir`` renders text (``render(definition, fmt) -> str``); ``compose`` renders a folder;
``k8s`` and ``argo`` render Kubernetes objects (``render(definition, config, image,
source, ...) -> list[dict]``), which :func:`render_manifests` checks and lays out as files.
"""

from __future__ import annotations

import importlib
from typing import Any

from runnable.ir.errors import DefinitionError, unknown_choice
from runnable.ir.model import Definition

TARGETS = ("ir", "compose", "k8s", "argo")
MANIFEST_TARGETS = ("k8s", "argo")


def render(definition: Definition, target: str, fmt: str = "yaml") -> str:
    if target not in TARGETS:
        raise DefinitionError(unknown_choice("target", target, TARGETS))
    module = importlib.import_module(f"runnable.compiler.{target}")
    return module.render(definition, fmt)  # type: ignore[no-any-return]


def render_manifests(definition: Definition, target: str, config: Any = None, image: str = "", source: str = "",
                     kind: str = "") -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The checked objects of a Kubernetes target and the files that hold them (nothing is written)."""
    from runnable.compiler import gitops
    from runnable.compiler.checks import check_rendered

    if target not in MANIFEST_TARGETS:
        raise DefinitionError(unknown_choice("target", target, MANIFEST_TARGETS))
    module = importlib.import_module(f"runnable.compiler.{target}")
    options = {"kind": kind} if target == "argo" else {}
    if kind and target != "argo":
        raise DefinitionError("--kind chooses an Argo kind; it applies to --target argo only.")
    documents = module.render(definition, config, image=image, source=source, **options)
    check_rendered(documents, f"the {target} rendering of {source or 'the definition'}")
    ir_hash = documents[0]["metadata"]["annotations"]["runnable/ir-hash"].removeprefix("sha256:")
    return documents, gitops.render_files(documents, source, ir_hash)
