"""Strict offline validation of Argo Workflows objects against the vendored v4.1.2 JSON schema.

The schema is Argo's own (``api/jsonschema/schema.json``), patched as it is compiled in the
two ways Argo's generator forces on us: ``IntOrString`` is typed plain ``string`` upstream (so
``retryStrategy.limit: 3`` would fail), and no object forbids unknown keys (so a typo such
as ``backof:`` or Argo 3's removed ``spec.schedule`` would pass). With the patches an
unknown key anywhere is an error, as the API server's strict field validation makes it.

Importing ``jsonschema`` costs more than a whole compile, so this module implements just
the keywords the schema uses (type, $ref, properties, additionalProperties, items,
required, const, enum; annotations such as format and description are ignored, as
``jsonschema`` ignores format without a format checker). Messages match ``jsonschema``'s.
The JSON is read once per process (about 10 ms); each part of the schema is compiled the
first time a document reaches it, so a typical workflow compiles a small fraction of it.
"""

from __future__ import annotations

from typing import Any

SCHEMA_RESOURCE = "schemas/argo-workflows-v4.1.2.schema.json"
DEFINITION_PREFIX = "io.argoproj.workflow.v1alpha1."
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
KINDS = frozenset({"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow", "WorkflowEventBinding"})
ROOT = "<root>"

# Keywords that constrain values (all implemented below) and keywords that only annotate.
_VALIDATING = frozenset({"type", "$ref", "properties", "additionalProperties", "items", "required", "const", "enum"})
_ANNOTATIONS = frozenset({"description", "title", "format", "default", "examples", "$comment"})

Errors = list  # each error: [message, key, parent key, ..., top key] (path reversed: cheap to build upward)


class _Node:
    """One schema, compiled on first use into fields that cost nothing to look up."""

    __slots__ = ("types", "type_text", "properties", "additional", "items", "required", "has_const", "const",
                 "enum", "ref", "pending")

    def __init__(self, pending: tuple[_Compiler, dict[str, Any]] | None = None) -> None:
        self.types: frozenset[str] | None = None
        self.type_text = ""
        self.properties: dict[str, _Node] | None = None
        self.additional: _Node | bool = True
        self.items: _Node | None = None
        self.required: tuple[str, ...] = ()
        self.has_const = False
        self.const: Any = None
        self.enum: list[Any] | None = None
        self.ref: _Node | None = None
        self.pending = pending  # (compiler, schema) until compiled: most of the schema is never reached


def load_definitions() -> dict[str, Any]:
    """The schema's ``definitions`` as published, read from the package."""
    import json
    import os

    # A plain open: importlib.resources costs more to import than the whole check.
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(package, SCHEMA_RESOURCE), "rb") as file:
        return json.loads(file.read())["definitions"]


class _Compiler:
    """Turns schema dicts into nodes, one node at a time, applying the two patches as it goes.

    Patches: the IntOrString definition means "integer or string"; an object schema with
    ``properties`` and no ``additionalProperties`` allows no other keys (strict).
    """

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = dict(definitions, **{INT_OR_STRING: {"type": ["integer", "string"]}})
        self.named: dict[str, _Node] = {}

    def definition(self, name: str) -> _Node:
        node = self.named.get(name)
        if node is None:
            node = self.named[name] = _Node((self, self.definitions[name]))
            self.fill(node)  # the root at once, so that a schema this code cannot read fails early
        return node

    def reference(self, ref: str) -> _Node:
        if not ref.startswith("#/definitions/"):
            raise ValueError(f"unsupported $ref {ref!r}")
        name = ref[len("#/definitions/"):]
        node = self.named.get(name)
        if node is None:
            node = self.named[name] = _Node((self, self.definitions[name]))  # compiled when first reached
        return node

    def schema(self, schema: Any) -> _Node:
        if schema is True or schema == {}:
            return _Node()
        if not isinstance(schema, dict):
            raise ValueError(f"unsupported schema {schema!r}")
        if "$ref" in schema and not any(key in _VALIDATING for key in schema if key != "$ref"):
            return self.reference(schema["$ref"])
        return _Node((self, schema))

    def fill(self, node: _Node) -> None:
        assert node.pending is not None
        schema = node.pending[1]
        for key in schema:
            if key not in _VALIDATING and key not in _ANNOTATIONS and not key.startswith("x-"):
                raise ValueError(f"unsupported schema keyword {key!r}")  # a newer schema needs more code here
        if "type" in schema:
            types = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
            node.types = frozenset(types)
            node.type_text = ", ".join(repr(t) for t in types)
        if "properties" in schema:
            node.properties = {name: self.schema(sub) for name, sub in schema["properties"].items()}
        additional = schema.get("additionalProperties", "properties" not in schema)  # strict: the second patch
        node.additional = additional if isinstance(additional, bool) else self.schema(additional)
        if "items" in schema:
            node.items = self.schema(schema["items"])
        node.required = tuple(schema.get("required", ()))
        if "const" in schema:
            node.has_const, node.const = True, schema["const"]
        if "enum" in schema:
            node.enum = list(schema["enum"])
        if "$ref" in schema:
            node.ref = self.reference(schema["$ref"])
        node.pending = None  # last: a node is never seen half compiled

    def fill_all(self, node: _Node) -> int:
        """Compile everything reachable from ``node`` now; returns the number of nodes (a check of the schema)."""
        seen: set[int] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if current.pending is not None:
                self.fill(current)
            stack += list((current.properties or {}).values())
            stack += [n for n in (current.items, current.ref, current.additional) if isinstance(n, _Node)]
        return len(seen)


_KIND_OF: dict[type, str] = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
                             float: "number", type(None): "null"}


def _kind(value: Any) -> str:
    kind = _KIND_OF.get(value.__class__)
    if kind is not None:
        return kind
    import numbers

    for cls, name in ((bool, "boolean"), (dict, "object"), (list, "array"), (str, "string"), (int, "integer")):
        if isinstance(value, cls):
            return name
    return "number" if isinstance(value, numbers.Number) else "other"


def _has_type(value: Any, kind: str, types: frozenset[str]) -> bool:
    if kind in types:
        return True
    if kind == "integer":
        return "number" in types
    return kind == "number" and "integer" in types and isinstance(value, float) and value.is_integer()


def _equal(one: Any, two: Any) -> bool:
    """JSON equality: ``True`` is not ``1``, recursively."""
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two))
    return one == two


def _check(node: _Node, value: Any) -> Errors | None:
    """Errors of ``value`` against ``node``, or None; paths are appended by the callers."""
    if node.pending is not None:
        node.pending[0].fill(node)
    errors: Errors | None = None
    kind = _KIND_OF.get(value.__class__) or _kind(value)
    types = node.types
    if types is not None and kind not in types and not _has_type(value, kind, types):
        errors = [[f"{value!r} is not of type {node.type_text}"]]
    if kind == "object":
        properties = node.properties
        additional = node.additional
        extras: list[Any] | None = None
        for key, sub in value.items():
            child = properties.get(key) if properties is not None else None
            if child is None:
                if additional is True:
                    continue
                if additional is False:
                    if extras is None:
                        extras = []
                    extras.append(key)
                    continue
                child = additional
            found = _check(child, sub)
            if found is not None:
                for error in found:
                    error.append(key)
                if errors is None:
                    errors = found
                else:
                    errors.extend(found)
        if extras is not None:
            extras.sort(key=str)
            verb = "was" if len(extras) == 1 else "were"
            joined = ", ".join(repr(extra) for extra in extras)
            errors = (errors or []) + [[f"Additional properties are not allowed ({joined} {verb} unexpected)"]]
        for name in node.required:
            if name not in value:
                errors = (errors or []) + [[f"{name!r} is a required property"]]
    elif kind == "array" and node.items is not None:
        items = node.items
        for index, sub in enumerate(value):
            found = _check(items, sub)
            if found is not None:
                for error in found:
                    error.append(index)
                if errors is None:
                    errors = found
                else:
                    errors.extend(found)
    if node.has_const and not _equal(value, node.const):
        errors = (errors or []) + [[f"{node.const!r} was expected"]]
    if node.enum is not None and not any(_equal(value, each) for each in node.enum):
        errors = (errors or []) + [[f"{value!r} is not one of {node.enum!r}"]]
    if node.ref is not None:
        found = _check(node.ref, value)
        if found is not None:
            errors = (errors or []) + found
    return errors


_COMPILER: _Compiler | None = None
_ROOTS: dict[str, _Node] = {}


def _compiler() -> _Compiler:
    global _COMPILER
    if _COMPILER is None:
        import gc

        collecting = gc.isenabled()
        gc.disable()  # reading allocates many long-lived objects; collecting in between only costs time
        try:
            _COMPILER = _Compiler(load_definitions())
        finally:
            if collecting:
                gc.enable()
    return _COMPILER


def _root(kind: str) -> _Node:
    node = _ROOTS.get(kind)
    if node is None:
        if kind not in KINDS:
            raise ValueError(f"{kind!r} is not an Argo kind; known: {', '.join(sorted(KINDS))}")
        node = _ROOTS[kind] = _compiler().definition(DEFINITION_PREFIX + kind)
    return node


def path_text(path: list[Any] | tuple[Any, ...]) -> str:
    """A dotted path as users read it (``spec.templates.0.name``); the root is ``<root>``."""
    return ".".join(str(part) for part in path) or ROOT


def _sort_key(item: tuple[list[Any], str]) -> tuple[list[tuple[int, Any]], str]:
    path, message = item
    return [(0, part) if isinstance(part, int) else (1, str(part)) for part in path], message


def validate(document: dict[str, Any], kind: str | None = None) -> list[tuple[str, str]]:
    """Every schema violation of an Argo object as (dotted path, message), sorted by path; [] when valid.

    ``kind`` defaults to the document's own ``kind``; a value that is not an Argo kind is a ValueError.
    """
    return _errors(_root(kind or str(document.get("kind"))), document)


def validate_against(name: str, schema: dict[str, Any], document: Any) -> list[tuple[str, str]]:
    """Like :func:`validate`, for a schema of the caller's whose ``$ref``s name definitions of the Argo schema.

    The Argo schema holds Kubernetes' own ObjectMeta, so a small object such as a ConfigMap
    is checked strictly here without the cost of a Kubernetes schema library. ``name``
    identifies ``schema`` in the per-process cache.
    """
    node = _ROOTS.get(f"schema:{name}")
    if node is None:
        node = _ROOTS[f"schema:{name}"] = _compiler().schema(schema)
    return _errors(node, document)


def _errors(node: _Node, document: Any) -> list[tuple[str, str]]:
    found = _check(node, document) or []
    errors = [(error[:0:-1], error[0]) for error in found]
    errors.sort(key=_sort_key)
    return [(path_text(path), message) for path, message in errors]
