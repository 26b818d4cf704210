"""Rules for built-in Kubernetes kinds: strict schemas plus what no schema states.

``kubernetes-validate``'s strict schemas check Jobs and CronJobs (the ConfigMap that
carries a pipeline's IR is checked against the same schema through our own validator,
which keeps a render fast); the rules here add what the API server rejects later:
names, label syntax, restart policies, images, quantities, payload and object sizes.
"""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any

from runnable.compiler.checks import argo_schema
from runnable.compiler.checks.argo_schema import path_text
from runnable.ir.errors import RunnableError

if TYPE_CHECKING:
    from decimal import Decimal

K8S_VERSION = "1.33.0"  # the Kubernetes API the built-in kinds are checked against
MAX_OBJECT_BYTES = 1536 * 1024  # etcd's request limit, as the API server applies it to one object
MAX_CONFIG_BYTES = 1024 * 1024  # ConfigMap and Secret payloads

_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(_LABEL)
_DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_DNS1035_LABEL = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[eE][+-]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?")

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


def builtin_problems(document: dict[str, Any]) -> list[str] | None:
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
        messages += metadata_problems(dig(document, *keys), ".".join(keys))
    if kind in _POD_SPECS:
        messages += _pod_problems(document, _POD_SPECS[kind])
    if kind in COUNTS:
        path, keys = COUNTS[kind]
        messages += negative_counts(dig(document, *path), keys, ".".join(path))
    if kind == "PersistentVolumeClaim":
        messages += resources_problems(dig(document, "spec", "resources"), "spec.resources")
    if kind in ("ConfigMap", "Secret"):
        messages += _config_problems(document)
    return messages


ARGO_GROUP = "argoproj.io"
ARGO_VERSION = "argoproj.io/v1alpha1"


def api_problem(api_version: str, kind: str, argo_kinds: frozenset[str]) -> str | None:
    """A kind or apiVersion that a known API group does not serve (a typo), or None when the group is unknown.

    Built-in groups are Kubernetes' own; other groups (custom resources) cannot be checked without a cluster.
    """
    from runnable.ir.errors import closest

    group, _, version = api_version.rpartition("/")
    if group == ARGO_GROUP:
        if kind in argo_kinds:
            return None if api_version == ARGO_VERSION else (
                f"apiVersion {api_version!r} does not serve {kind}; Argo Workflows serves it as {ARGO_VERSION}")
        hint = closest(kind, argo_kinds)
        return f"unknown Argo Workflows kind {kind!r}.{hint}" if hint else None  # Argo CD, Events... share the group
    served = builtin_kinds()
    in_group = {k: versions for (g, k), versions in served.items() if g == group}
    if not in_group:
        return None
    if version in in_group.get(kind, ()):
        return None
    if kind in in_group:
        versions = ", ".join(f"{group + '/' if group else ''}{v}" for v in sorted(in_group[kind]))
        return f"apiVersion {api_version!r} does not serve {kind}; Kubernetes {K8S_VERSION} serves it as {versions}"
    return (f"unknown kind {kind!r} in apiVersion {api_version!r} (Kubernetes {K8S_VERSION})."
            f"{closest(kind, in_group)}")


@functools.lru_cache(maxsize=1)
def builtin_kinds() -> dict[tuple[str, str], set[str]]:
    """(group, kind) -> versions that Kubernetes K8S_VERSION serves, read from kubernetes-validate's definitions."""
    from importlib import resources

    utils = _kubernetes_validate().utils
    version = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(K8S_VERSION)][-1]
    path = resources.files("kubernetes_validate").joinpath(
        f"kubernetes-json-schema/v{version}-local-strict/_definitions.json")
    served: dict[tuple[str, str], set[str]] = {}
    schema = json.loads(path.read_text())
    for definition in (schema.get("$defs") or schema.get("definitions") or {}).values():
        for gvk in definition.get("x-kubernetes-group-version-kind", ()):
            kind = gvk.get("kind", "")
            if kind and not kind.endswith("List") and kind not in ("WatchEvent", "DeleteOptions", "Status"):
                served.setdefault((gvk.get("group", ""), kind), set()).add(gvk["version"])
    return served


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


def object_problems(document: dict[str, Any]) -> list[str]:
    """Rules for every checked kind: name, labels and annotations, size."""
    metadata = document.get("metadata")
    messages = _name_problems(document["kind"], metadata) + metadata_problems(metadata, "metadata")
    size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode())
    if size > MAX_OBJECT_BYTES:
        messages.append(f"<root>: the object is {size / 2 ** 20:.2f} MiB as JSON ({size:,} bytes); the API server "
                        f"stores at most {MAX_OBJECT_BYTES / 2 ** 20:g} MiB ({MAX_OBJECT_BYTES:,} bytes) per object")
    return messages


# ---------------------------------------------------------------- names, labels, quantities

def syntax_problem(value: str, syntax: str, longest: int) -> str:
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
        problem = syntax_problem(namespace, "label", 63) if isinstance(namespace, str) else "must be a string"
        if problem:
            messages.append(f"metadata.namespace: {problem} (a namespace name)")
    rule = NAME_RULES.get(kind)
    if rule is None:
        return messages
    syntax, longest = rule
    if isinstance(name, str) and name:
        problem = syntax_problem(name, syntax, longest)
        if problem:
            messages.append(f"metadata.name: {problem} (a {kind} name)")
    if isinstance(prefix, str) and prefix and not name:
        masked = prefix[:-1] + "a" if len(prefix) > 1 and prefix.endswith("-") else prefix  # as the API server does
        problem = syntax_problem(masked, syntax, longest - GENERATED_SUFFIX)
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


def metadata_problems(metadata: Any, where: str) -> list[str]:
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


def resources_problems(resources: Any, where: str) -> list[str]:
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
    spec = dig(document, *keys)
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
    volumes = {volume.get("name") for _, volume in mappings(spec.get("volumes"))}
    for part in ("initContainers", "containers"):
        for position, container in mappings(spec.get(part)):
            place = f"{where}.{part}.{position}"
            messages += mount_problems(container, volumes, place)
            name = container.get("name")
            if isinstance(name, str):
                problem = syntax_problem(name, "label", 63)
                if problem:
                    messages.append(f"{place}.name: {problem} (a container name)")
                elif name in seen:
                    messages.append(f"{place}.name: {name!r} is used by another container of this pod")
                seen.add(name)
            image = container.get("image")
            if not isinstance(image, str) or not image.strip():
                messages.append(f"{place}.image: every container needs an image (got {image!r})")
            messages += resources_problems(container.get("resources"), f"{place}.resources")
    return messages


def mount_problems(container: dict[str, Any], volumes: set[Any], where: str) -> list[str]:
    """Each volumeMount must name a volume of the pod (the API server rejects the pod otherwise)."""
    messages = []
    known = ", ".join(sorted(str(v) for v in volumes if v)) or "none"
    for position, mount in mappings(container.get("volumeMounts")):
        name = mount.get("name")
        if name not in volumes:
            messages.append(f"{where}.volumeMounts.{position}.name: no volume named {name!r} in this pod "
                            f"(volumes: {known})")
    return messages


COUNTS = {"Job": (("spec",), ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds",
                               "ttlSecondsAfterFinished")),
          "CronJob": (("spec", "jobTemplate", "spec"), ("parallelism", "completions", "backoffLimit",
                                                        "activeDeadlineSeconds", "ttlSecondsAfterFinished"))}


def negative_counts(mapping: Any, keys: tuple[str, ...], where: str) -> list[str]:
    """Counts and durations that no schema bounds but the API server refuses below zero."""
    if not isinstance(mapping, dict):
        return []
    return [f"{where}.{key}: must not be negative (got {mapping[key]})" for key in keys
            if isinstance(mapping.get(key), int) and not isinstance(mapping[key], bool) and mapping[key] < 0]


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


# ---------------------------------------------------------------- helpers

def dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def mappings(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []
