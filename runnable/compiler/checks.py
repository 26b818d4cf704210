"""Checks of rendered Kubernetes and Argo manifests, run before anything is written and by ``runnable validate``.

Schemas catch wrong types and unknown keys: ``kubernetes-validate`` (strict) for built-in
kinds, the vendored Argo schema (``argo_schema``) for Argo kinds. The rules here catch what
no schema states but the API server or the Argo controller rejects later, at submit or at
run time: names, restart policies, images, quantities, references between templates and
tasks, dependency cycles and object sizes. Without a cluster this is as close as we get.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

from runnable.compiler import argo_schema
from runnable.compiler.argo_schema import path_text
from runnable.ir.errors import DefinitionError, RunnableError, closest

if TYPE_CHECKING:
    from decimal import Decimal

K8S_VERSION = "1.33.0"  # the Kubernetes API the built-in kinds are checked against
MAX_OBJECT_BYTES = 1536 * 1024  # etcd's request limit, as the API server applies it to one object
MAX_CONFIG_BYTES = 1024 * 1024  # ConfigMap and Secret payloads
MAX_LISTED = 10
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(_LABEL)
_DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_DNS1035_LABEL = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[eE][+-]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?")
_DEPENDS_TOKEN = re.compile(r"&&|\|\||[!()]|[^\s&|!()]+")
_DEPENDS_OPERAND = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*)(?:\.([A-Za-z]+))?")
TASK_RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")

_SYNTAX = {
    "label": (_DNS1123_LABEL, "a DNS-1123 label: lower-case letters, digits and '-', starting and ending "
                              "with a letter or digit"),
    "subdomain": (_DNS1123_SUBDOMAIN, "a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', "
                                      "starting and ending with a letter or digit"),
    "dns1035": (_DNS1035_LABEL, "a DNS-1035 label: lower-case letters, digits and '-', starting with a letter "
                                "and ending with a letter or digit"),
}
# kind -> (name syntax, longest name): only kinds whose rule we know; RBAC names, say, may hold ':'.
NAME_RULES: dict[str, tuple[str, int]] = {
    "Job": ("subdomain", 63),  # the name becomes the value of the job-name label on its pods
    "CronJob": ("subdomain", 52),  # its Jobs are named <name>-<11 characters>
    "ConfigMap": ("subdomain", 253), "Secret": ("subdomain", 253), "PersistentVolumeClaim": ("subdomain", 253),
    "Pod": ("subdomain", 253), "ServiceAccount": ("subdomain", 253), "Deployment": ("subdomain", 253),
    "StatefulSet": ("subdomain", 253), "DaemonSet": ("subdomain", 253), "Namespace": ("label", 63),
    "Service": ("dns1035", 63),
    "Workflow": ("subdomain", 63),  # the name becomes a label value on every pod of the run
    "CronWorkflow": ("subdomain", 52),  # Argo names each run <name>-<timestamp>
    "WorkflowTemplate": ("subdomain", 253), "ClusterWorkflowTemplate": ("subdomain", 253),
    "WorkflowEventBinding": ("subdomain", 253),
}
GENERATED_SUFFIX = 5  # characters the API server appends to a generateName prefix

_POD_SPECS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",), "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"), "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"), "ReplicaSet": ("spec", "template", "spec"),
}
_EXTRA_METADATA: dict[str, tuple[tuple[str, ...], ...]] = {
    "Job": (("spec", "template", "metadata"),),
    "CronJob": (("spec", "jobTemplate", "metadata"), ("spec", "jobTemplate", "spec", "template", "metadata")),
    "Deployment": (("spec", "template", "metadata"),), "StatefulSet": (("spec", "template", "metadata"),),
    "DaemonSet": (("spec", "template", "metadata"),), "ReplicaSet": (("spec", "template", "metadata"),),
}
# Kubernetes 1.33's strict ConfigMap schema (as kubernetes-validate ships it), with ObjectMeta taken from the
# Argo schema, which vendors Kubernetes' own: checking the ConfigMap that carries a pipeline's IR this way
# keeps a render free of the 0.2 s that importing kubernetes-validate (and jsonschema) costs.
_NULLABLE_STRING = {"type": ["string", "null"]}
CONFIG_MAP_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "apiVersion": {"type": ["string", "null"], "enum": ["v1"]},
        "kind": {"type": ["string", "null"], "enum": ["ConfigMap"]},
        "metadata": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
        "data": {"type": ["object", "null"], "additionalProperties": _NULLABLE_STRING},
        "binaryData": {"type": ["object", "null"], "additionalProperties": _NULLABLE_STRING},
        "immutable": {"type": ["boolean", "null"]},
    },
}
_BINARY_SUFFIX = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
_DECIMAL_SUFFIX = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


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
    shared = _workflow_templates(documents)
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
                messages = _argo_problems(item, shared)
            else:
                messages = _builtin_problems(item)
                if messages is None:
                    skipped.append((index, f"{label}: no schema for kind {kind} ({api_version}) in Kubernetes "
                                           f"{K8S_VERSION} or Argo Workflows; not checked"))
                    continue
            messages += _object_problems(item)
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


def _builtin_problems(document: dict[str, Any]) -> list[str] | None:
    """Strict schema problems plus our rules; None when no schema knows the kind."""
    kind = document["kind"]
    if kind == "ConfigMap" and document["apiVersion"] == "v1":
        messages = [f"{path}: {message}" for path, message in
                    argo_schema.validate_against("ConfigMap", CONFIG_MAP_SCHEMA, document)]
    else:
        kubernetes_validate = _kubernetes_validate()
        messages = []
        try:
            kubernetes_validate.validate(document, K8S_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            return None
        except kubernetes_validate.ValidationError as error:  # only the first error of a document is reported
            messages.append(f"{path_text(list(error.absolute_path))}: {error.message}")
    for keys in _EXTRA_METADATA.get(kind, ()):
        messages += _metadata_problems(_get(document, *keys), ".".join(keys))
    if kind in _POD_SPECS:
        messages += _pod_problems(document, _POD_SPECS[kind])
    if kind == "PersistentVolumeClaim":
        messages += _resources_problems(_get(document, "spec", "resources"), "spec.resources")
    if kind in ("ConfigMap", "Secret"):
        messages += _config_problems(document)
    return messages


def _kubernetes_validate() -> Any:
    """The library, with its schema files read once per process rather than on every document.

    ``validate`` re-reads a 1.4 MB definitions file per call (about 20 ms); caching the
    reader makes a document cost about 3 ms. The schemas are never modified, so sharing is safe.
    """
    try:
        import kubernetes_validate
        import kubernetes_validate.utils as utils
    except ImportError:
        raise RunnableError("Kubernetes manifests are checked with kubernetes-validate: "
                            "pip install kubernetes-validate") from None
    reader = getattr(utils, "schema_contents", None)
    if reader is not None and not hasattr(reader, "cache_info"):
        import functools

        utils.schema_contents = functools.lru_cache(maxsize=None)(reader)
    return kubernetes_validate


def _object_problems(document: dict[str, Any]) -> list[str]:
    """Rules for every checked kind: name, labels and annotations, size."""
    metadata = document.get("metadata")
    messages = _name_problems(document["kind"], metadata) + _metadata_problems(metadata, "metadata")
    size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode())
    if size > MAX_OBJECT_BYTES:
        messages.append(f"<root>: the object is {size / 2 ** 20:.2f} MiB as JSON ({size:,} bytes); the API server "
                        f"stores at most {MAX_OBJECT_BYTES / 2 ** 20:g} MiB ({MAX_OBJECT_BYTES:,} bytes) per object")
    return messages


# ---------------------------------------------------------------- names, labels, quantities

def _syntax_problem(value: str, syntax: str, longest: int) -> str:
    pattern, description = _SYNTAX[syntax]
    if not pattern.fullmatch(value):
        return f"{value!r} is not {description}"
    if len(value) > longest:
        return f"{value!r} is {len(value)} characters long; at most {longest} are allowed"
    return ""


def _name_problems(kind: str, metadata: Any) -> list[str]:
    if not isinstance(metadata, dict):
        return []
    name, prefix = metadata.get("name"), metadata.get("generateName")
    if not name and not prefix:
        return ["metadata: needs a name (or a generateName)"]
    messages = []
    namespace = metadata.get("namespace")
    if namespace is not None:
        problem = _syntax_problem(namespace, "label", 63) if isinstance(namespace, str) else "must be a string"
        if problem:
            messages.append(f"metadata.namespace: {problem} (a namespace name)")
    rule = NAME_RULES.get(kind)
    if rule is None:
        return messages
    syntax, longest = rule
    if isinstance(name, str) and name:
        problem = _syntax_problem(name, syntax, longest)
        if problem:
            messages.append(f"metadata.name: {problem} (a {kind} name)")
    if isinstance(prefix, str) and prefix and not name:
        masked = prefix[:-1] + "a" if len(prefix) > 1 and prefix.endswith("-") else prefix  # as the API server does
        problem = _syntax_problem(masked, syntax, longest - GENERATED_SUFFIX)
        if problem:
            problem = problem.replace(repr(masked), repr(prefix))
            messages.append(f"metadata.generateName: {problem} (a prefix of a {kind} name, which gets "
                            f"{GENERATED_SUFFIX} more characters)")
    return messages


def _qualified_key_problem(key: Any) -> str:
    if not isinstance(key, str):
        return f"{key!r} is not a string"
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return f"{key!r} has a prefix that is not a DNS-1123 subdomain of at most 253 characters"
    if not _QUALIFIED_NAME.fullmatch(name) or len(name) > 63:
        return (f"{key!r} is not a valid key: at most 63 letters, digits, '-', '_' or '.', starting and ending "
                "with a letter or digit, after an optional DNS-1123 subdomain prefix and '/'")
    return ""


def _metadata_problems(metadata: Any, where: str) -> list[str]:
    if not isinstance(metadata, dict):
        return []
    messages = []
    labels = metadata.get("labels")
    for key, value in (labels.items() if isinstance(labels, dict) else ()):
        problem = _qualified_key_problem(key)
        if problem:
            messages.append(f"{where}.labels: {problem}")
        if isinstance(value, str) and value and (len(value) > 63 or not _QUALIFIED_NAME.fullmatch(value)):
            messages.append(f"{where}.labels.{key}: {value!r} is not a valid label value: at most 63 letters, "
                            "digits, '-', '_' or '.', starting and ending with a letter or digit")
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        for key in annotations:
            problem = _qualified_key_problem(key)
            if problem:
                messages.append(f"{where}.annotations: {problem}")
        size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())
        if size > 256 * 1024:
            messages.append(f"{where}.annotations: {size:,} bytes in all; at most 262,144 are allowed")
    return messages


def parse_quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity ('500m', '1Gi', '1e3', 2) as a number; None when it is not one."""
    from decimal import Decimal, InvalidOperation  # imported on use: most renders have no quantities

    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    if not isinstance(value, str):
        return Decimal(str(value)) if value == value and abs(value) != float("inf") else None
    match = _QUANTITY.fullmatch(value)
    if match is None:
        return None
    number, suffix = Decimal(match.group(1)), match.group(2) or ""
    try:
        if suffix in _BINARY_SUFFIX:
            return number * _BINARY_SUFFIX[suffix]
        if suffix in _DECIMAL_SUFFIX:
            return number.scaleb(_DECIMAL_SUFFIX[suffix])
        return number.scaleb(int(suffix[1:]))
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _resources_problems(resources: Any, where: str) -> list[str]:
    if not isinstance(resources, dict):
        return []
    messages = []
    amounts: dict[str, dict[str, Decimal]] = {}
    for part in ("requests", "limits"):
        section = resources.get(part)
        for name, value in (section.items() if isinstance(section, dict) else ()):
            amount = parse_quantity(value)
            if amount is None:
                messages.append(f"{where}.{part}.{name}: {value!r} is not a Kubernetes quantity "
                                "(a number with an optional suffix such as m, k, M, G, Ki, Mi, Gi: '500m', '1Gi')")
            elif amount < 0:
                messages.append(f"{where}.{part}.{name}: {value!r} is negative")
            else:
                amounts.setdefault(part, {})[name] = amount
    for name, request in amounts.get("requests", {}).items():
        limit = amounts.get("limits", {}).get(name)
        if limit is not None and request > limit:
            messages.append(f"{where}.requests.{name}: the request {resources['requests'][name]!r} is more than "
                            f"the limit {resources['limits'][name]!r}")
    return messages


# ---------------------------------------------------------------- built-in kinds

def _pod_problems(document: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    spec = _get(document, *keys)
    if not isinstance(spec, dict):
        return []
    where = ".".join(keys)
    messages = []
    if document["kind"] in ("Job", "CronJob") and spec.get("restartPolicy") not in ("Never", "OnFailure"):
        policy = spec.get("restartPolicy")
        got = f"{policy!r}" if policy is not None else "none, which means Always"
        messages.append(f"{where}.restartPolicy: a {document['kind']}'s pods need restartPolicy Never or OnFailure "
                        f"(got {got})")
    seen: set[str] = set()
    for part in ("initContainers", "containers"):
        for position, container in _dicts(spec.get(part)):
            place = f"{where}.{part}.{position}"
            name = container.get("name")
            if isinstance(name, str):
                problem = _syntax_problem(name, "label", 63)
                if problem:
                    messages.append(f"{place}.name: {problem} (a container name)")
                elif name in seen:
                    messages.append(f"{place}.name: {name!r} is used by another container of this pod")
                seen.add(name)
            image = container.get("image")
            if not isinstance(image, str) or not image.strip():
                messages.append(f"{place}.image: every container needs an image (got {image!r})")
            messages += _resources_problems(container.get("resources"), f"{place}.resources")
    return messages


def _config_problems(document: dict[str, Any]) -> list[str]:
    """ConfigMap and Secret payloads: key syntax, binary encodings, total size."""
    secret = document["kind"] == "Secret"
    parts = ("data", "stringData") if secret else ("data", "binaryData")
    messages = []
    total = 0
    keys: dict[str, str] = {}
    for part in parts:
        section = document.get(part)
        for key, value in (section.items() if isinstance(section, dict) else ()):
            if not isinstance(key, str) or len(key) > 253 or not _CONFIG_KEY.fullmatch(key) or key in (".", "..") \
                    or key.startswith(".."):
                messages.append(f"{part}: {key!r} is not a valid key: at most 253 letters, digits, '-', '_' or '.', "
                                "and not '.', '..' or starting with '..'")
                continue
            if key in keys and not secret:
                messages.append(f"{part}.{key}: the key is also in {keys[key]}")
            keys.setdefault(key, part)
            if not isinstance(value, str):
                continue
            binary = part == "binaryData" or (secret and part == "data")
            if binary:
                import base64

                try:
                    size = len(base64.b64decode(value, validate=True))
                except ValueError:
                    messages.append(f"{part}.{key}: the value is not base64")
                    continue
            else:
                size = len(value.encode())
            total += len(key) + size
    if total > MAX_CONFIG_BYTES:
        messages.append(f"{'/'.join(parts)}: {total:,} bytes in all; a {document['kind']} holds at most "
                        f"{MAX_CONFIG_BYTES:,} (1 MiB)")
    return messages


# ---------------------------------------------------------------- Argo kinds

def _workflow_templates(documents: list[Any]) -> dict[str, set[str]]:
    """WorkflowTemplate name -> its template names, for templateRefs between the documents."""
    found: dict[str, set[str]] = {}
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "WorkflowTemplate":
            name = _get(document, "metadata", "name")
            if isinstance(name, str):
                found[name] = {t["name"] for _, t in _dicts(_get(document, "spec", "templates"))
                               if isinstance(t.get("name"), str)}
    return found


def _argo_problems(document: dict[str, Any], shared: dict[str, set[str]]) -> list[str]:
    messages = [f"{path}: {message}" for path, message in argo_schema.validate(document)]
    kind = document["kind"]
    if kind == "WorkflowEventBinding":
        return messages
    if kind == "CronWorkflow":
        spec = document.get("spec")
        if isinstance(spec, dict):
            if "schedule" in spec:
                messages.append("spec.schedule: Argo 4 removed spec.schedule; use a list: schedules: [...]")
            elif isinstance(spec.get("schedules"), list) and not spec["schedules"]:
                messages.append("spec.schedules: a CronWorkflow needs at least one schedule")
        spec_path = "spec.workflowSpec"
    else:
        spec_path = "spec"
    spec = _get(document, *spec_path.split("."))
    if isinstance(spec, dict):
        messages += _WorkflowSpecCheck(spec, spec_path, kind, shared).run()
    for position, template in _dicts(spec.get("templates") if isinstance(spec, dict) else None):
        where = f"{spec_path}.templates.{position}"
        messages += _metadata_problems(template.get("metadata"), f"{where}.metadata")
        for place, container in _template_containers(template, where):
            messages += _resources_problems(container.get("resources"), f"{place}.resources")
    if isinstance(spec, dict):
        for part in ("podMetadata", "workflowMetadata"):
            messages += _metadata_problems(spec.get(part), f"{spec_path}.{part}")
    if kind == "CronWorkflow":
        messages += _metadata_problems(_get(document, "spec", "workflowMetadata"), "spec.workflowMetadata")
    return messages


def _template_containers(template: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for part in ("container", "script"):
        if isinstance(template.get(part), dict):
            yield f"{where}.{part}", template[part]
    for part in ("initContainers", "sidecars"):
        for position, container in _dicts(template.get(part)):
            yield f"{where}.{part}.{position}", container
    for position, container in _dicts(_get(template, "containerSet", "containers")):
        yield f"{where}.containerSet.containers.{position}", container


class _WorkflowSpecCheck:
    """What Argo's own validation rejects at submit time and no schema says: names, references, cycles."""

    def __init__(self, spec: dict[str, Any], where: str, kind: str, shared: dict[str, set[str]]) -> None:
        self.spec, self.where, self.kind, self.shared = spec, where, kind, shared
        self.messages: list[str] = []
        self.templates: dict[str, int] = {}
        # With a workflowTemplateRef the templates live in another object: references cannot be checked here.
        self.external = "workflowTemplateRef" in spec

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{where}: {message}")

    def run(self) -> list[str]:
        where = self.where
        templates = _dicts(self.spec.get("templates"))
        for position, template in templates:
            name = template.get("name")
            place = f"{where}.templates.{position}.name"
            if not isinstance(name, str) or not name:
                self.add(place, "every template needs a name")
                continue
            problem = _name_problem(name)
            if problem:
                self.add(place, f"{problem} (a template name)")
            if name in self.templates:
                self.add(place, f"{name!r} is also the name of template {self.templates[name]}")
            else:
                self.templates[name] = position
        entrypoint = self.spec.get("entrypoint")
        if entrypoint is None:
            if self.kind in ("Workflow", "CronWorkflow") and not self.external:
                self.add(f"{where}.entrypoint", "missing: name the template the run starts with")
        else:
            self.reference(f"{where}.entrypoint", entrypoint)
        if "onExit" in self.spec:
            self.reference(f"{where}.onExit", self.spec["onExit"])
        self.hooks(self.spec.get("hooks"), f"{where}.hooks")
        for position, template in templates:
            self.template(template, f"{where}.templates.{position}")
        return self.messages

    def reference(self, where: str, name: Any) -> None:
        """``name`` must be one of this spec's templates."""
        if self.external or (isinstance(name, str) and "{{" in name):
            return
        if not isinstance(name, str) or name not in self.templates:
            self.add(where, f"no template named {name!r}.{closest(str(name), self.templates)}")

    def template_ref(self, where: str, ref: Any) -> None:
        """A templateRef into a WorkflowTemplate among the same documents must name one of its templates."""
        if not isinstance(ref, dict) or ref.get("clusterScope") or not isinstance(ref.get("name"), str) \
                or ref["name"] not in self.shared:
            return
        names = self.shared[ref["name"]]
        if not isinstance(ref.get("template"), str) or ref["template"] not in names:
            self.add(f"{where}.template", f"WorkflowTemplate {ref['name']!r} has no template named "
                                          f"{ref.get('template')!r}.{closest(str(ref.get('template')), names)}")

    def hooks(self, hooks: Any, where: str) -> None:
        for key, hook in (hooks.items() if isinstance(hooks, dict) else ()):
            if isinstance(hook, dict):
                if "template" in hook:
                    self.reference(f"{where}.{key}.template", hook["template"])
                self.template_ref(f"{where}.{key}.templateRef", hook.get("templateRef"))

    def template(self, template: dict[str, Any], where: str) -> None:
        dag = template.get("dag")
        if isinstance(dag, dict):
            self.dag(dag, f"{where}.dag")
        steps = template.get("steps")
        if isinstance(steps, list):
            self.steps(steps, f"{where}.steps")

    def invocation(self, item: dict[str, Any], where: str) -> None:
        """A DAG task or a step: exactly one of template, templateRef, inline; each must resolve."""
        template = item.get("template")
        if type(template) is str and template in self.templates and "templateRef" not in item \
                and "inline" not in item:
            pass  # the usual case, checked without building any path text
        else:
            given = [key for key in ("template", "templateRef", "inline") if item.get(key) is not None]
            if len(given) != 1:
                self.add(where, f"needs exactly one of template, templateRef or inline "
                                f"(has {', '.join(given) or 'none'})")
            if template is not None:
                self.reference(f"{where}.template", template)
            if "templateRef" in item:
                self.template_ref(f"{where}.templateRef", item["templateRef"])
            if isinstance(item.get("inline"), dict):
                self.template(item["inline"], f"{where}.inline")
        if "onExit" in item:
            self.reference(f"{where}.onExit", item["onExit"])
        if "hooks" in item:
            self.hooks(item["hooks"], f"{where}.hooks")

    def named(self, items: list[tuple[int, dict[str, Any]]], where: str, what: str) -> dict[str, int]:
        """Names of tasks or steps: present, valid and unique; name -> position of its first use."""
        names: dict[str, int] = {}
        for position, item in items:
            name = item.get("name")
            place = f"{where}.{position}.name"
            if not isinstance(name, str) or not name:
                self.add(place, f"every {what} needs a name")
                continue
            problem = _name_problem(name)
            if problem:
                self.add(place, f"{problem} (a {what} name)")
            if name in names:
                self.add(place, f"{name!r} is also the name of {what} {names[name]}")
            else:
                names[name] = position
        return names

    def steps(self, groups: list[Any], where: str) -> None:
        flat = [(f"{g}.{s}", step) for g, group in enumerate(groups) if isinstance(group, list)
                for s, step in _dicts(group)]
        names: dict[str, str] = {}
        for place, step in flat:
            name = step.get("name")
            if not isinstance(name, str) or not name:
                self.add(f"{where}.{place}.name", "every step needs a name")
                continue
            problem = _name_problem(name)
            if problem:
                self.add(f"{where}.{place}.name", f"{problem} (a step name)")
            if name in names:
                self.add(f"{where}.{place}.name", f"{name!r} is also the name of step {names[name]}")
            names.setdefault(name, place)
            self.invocation(step, f"{where}.{place}")

    def dag(self, dag: dict[str, Any], where: str) -> None:
        tasks = _dicts(dag.get("tasks"))
        names = self.named(tasks, f"{where}.tasks", "task")
        graph: dict[str, list[str]] = {}
        for position, task in tasks:
            place = f"{where}.tasks.{position}"
            self.invocation(task, place)
            needs = self.dependencies(task, place, names)
            name = task.get("name")
            if type(name) is str:
                graph[name] = graph[name] + needs if name in graph else needs
        target = dag.get("target")
        if isinstance(target, str) and "{{" not in target:
            for name in target.split():
                if name not in names:
                    self.add(f"{where}.target", f"{name!r} is not a task of this DAG.{closest(name, names)}")
        cycle = _cycle(graph)
        if cycle:
            self.add(f"{where}.tasks", f"dependency cycle: {' -> '.join(cycle)}")

    def dependencies(self, task: dict[str, Any], where: str, names: dict[str, int]) -> list[str]:
        """Tasks this task waits for; a name that is not a task of the same DAG is a problem."""
        dependencies, depends = task.get("dependencies"), task.get("depends")
        if depends is None and dependencies is None:
            return []
        if type(depends) is str and dependencies is None:  # the usual cases: "task" and "task.Succeeded"
            if depends in names:
                return [depends]
            name, dot, result = depends.partition(".")
            if dot and name in names and result in TASK_RESULTS:
                return [name]
        needs: list[str] = []
        if dependencies is not None and depends is not None:
            self.add(where, "use depends or dependencies, not both")
        if isinstance(dependencies, list):
            for position, name in enumerate(dependencies):
                if isinstance(name, str) and name in names:
                    needs.append(name)
                else:
                    self.add(f"{where}.dependencies.{position}",
                             f"{name!r} is not a task of this DAG.{closest(str(name), names)}")
        if isinstance(depends, str):
            for token in _DEPENDS_TOKEN.findall(depends):
                if token in ("&&", "||", "!", "(", ")"):
                    continue
                match = _DEPENDS_OPERAND.fullmatch(token)
                if match is None:
                    self.add(f"{where}.depends", f"cannot read {token!r}: expected a task name, optionally with "
                                                 f".{'/.'.join(TASK_RESULTS)}")
                    continue
                name, result = match.groups()
                if name not in names:
                    self.add(f"{where}.depends", f"{name!r} is not a task of this DAG.{closest(name, names)}")
                else:
                    needs.append(name)
                if result is not None and result not in TASK_RESULTS:
                    self.add(f"{where}.depends", f"{token!r}: {result!r} is not a task result "
                                                 f"({', '.join(TASK_RESULTS)})")
        return needs


def _name_problem(name: str) -> str:
    """Template, task and step names: DNS-1123 labels, since pod names and node ids are made of them."""
    return _syntax_problem(name, "label", 63)


def _cycle(graph: dict[str, list[str]]) -> list[str]:
    """One dependency cycle (first node repeated at the end), or [] when there is none."""
    waiting = {name: len(needs) for name, needs in graph.items()}
    dependents: dict[str, list[str]] = {}
    for name, needs in graph.items():
        for need in needs:
            dependents.setdefault(need, []).append(name)
    ready = [name for name, count in waiting.items() if not count]
    while ready:  # Kahn's order: whatever never becomes ready is on a cycle or waits for one
        for dependent in dependents.get(ready.pop(), ()):
            waiting[dependent] -= 1
            if not waiting[dependent]:
                ready.append(dependent)
    stuck = [name for name, count in waiting.items() if count]
    if not stuck:
        return []
    # Every stuck task waits for another stuck task: walk those waits until a task repeats.
    stuck_set = set(stuck)
    path: list[str] = []
    on_path: dict[str, int] = {}
    name = stuck[0]
    while name not in on_path:
        on_path[name] = len(path)
        path.append(name)
        name = next(need for need in graph[name] if need in stuck_set)
    return path[on_path[name]:] + [name]


# ---------------------------------------------------------------- files

def _manifest_files(folder: str) -> list[str]:
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        found += [os.path.join(root, f) for f in files if f.endswith(MANIFEST_SUFFIXES) or f in KUSTOMIZATION_FILES]
    return sorted(found)


def _documents(file: str, report: Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file:line, mapping) for each document; unreadable text and non-mappings become problems."""
    try:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        report.problems.append((file, f"cannot read the file: {error}"))
        return
    if file.endswith(".json"):
        try:
            parsed = [(1, json.loads(text))]
        except json.JSONDecodeError as error:
            report.problems.append((f"{file}:{error.lineno}", f"not valid JSON: {error.msg}"))
            return
    else:
        parsed = _yaml_documents(file, text, report)
    for line, document in parsed:
        if document is None:
            continue  # an empty document, as between two '---'
        if not isinstance(document, dict):
            report.problems.append((f"{file}:{line}", f"the document is a {_type_name(document)}, not a mapping"))
            continue
        yield f"{file}:{line}", document


def _yaml_documents(file: str, text: str, report: Report) -> list[tuple[int, Any]]:
    """(first line, data) of each document up to the first syntax error, which becomes a problem."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    parsed: list[tuple[int, Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            parsed.append((node.start_mark.line + 1, loader.construct_document(node)))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else file
        problem = getattr(error, "problem", None) or str(error)
        report.problems.append((where, f"not valid YAML: {problem}"))
    finally:
        loader.dispose()
    return parsed


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
    from runnable.compiler.compose import validate

    try:
        validate(document)
    except DefinitionError as error:
        return [f"compose file: {error}"]
    return []


# ---------------------------------------------------------------- helpers

def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []
