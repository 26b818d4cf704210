"""What the Kubernetes Job and Argo targets share: the pod's container, its mounts and the IR ConfigMap.

Every pod runs ``runnable execute-step`` on the IR, which reaches it in a ConfigMap named
after its content (``runnable-<name>-<hash>``): two versions of a pipeline never share
one, and a GitOps folder names exactly the version it runs. The run-log store and the
catalog live on one PersistentVolumeClaim, each under its own sub-path.
"""

from __future__ import annotations

import json
from typing import Any

from runnable.compiler.container import DEFAULT_IMAGE, PROJECT_DIR, command
from runnable.compiler.names import slug
from runnable.ir.errors import ConfigError, DefinitionError
from runnable.ir.model import Definition, node_secrets
from runnable.ir.record import Record, factory
from runnable.ir.serialize import canonical_json, sha256_hex

IR_DIR = "/runnable/ir"
IR_FILE = f"{IR_DIR}/ir.json"
CONFIG_FILE = f"{IR_DIR}/config.json"
RUN_LOG_DIR = "/runnable/run-logs"
CATALOG_DIR = "/runnable/catalog"
IR_VOLUME = "runnable-ir"
STORE_VOLUME = "runnable-store"
WORK_VOLUME, WORK_DIR = "runnable-work", "/runnable/work"
TMP_VOLUME, TMP_DIR = "runnable-tmp", "/tmp"
SECRETS_VOLUME, SECRETS_DIR = "runnable-secrets", "/runnable/secrets"
SECRET_FILE_MODE = 0o440  # owner root, group the pod's fsGroup: the pod's user reads, nobody writes
WORK_SIZE, TMP_SIZE = "10Gi", "1Gi"  # a runaway step fills its own emptyDir, not the node's disk
DEFAULT_PVC = "runnable"
MANAGED_BY = "runnable"
HASH_ANNOTATION = "runnable/ir-hash"
SOURCE_ANNOTATION = "runnable/source"
# Requests and limits are always set: a pod without them is unschedulable under most quotas.
DEFAULT_RESOURCES = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
_GPU = "nvidia.com/gpu"
# Secure by default; each key can be relaxed in config (securityContext / podSecurityContext), and what
# is relaxed shows in the output. The root filesystem is read-only: pods write only to the emptyDirs
# at /tmp (also HOME) and the working directory, and to the run-log store and catalog on the PVC.
CONTAINER_SECURITY: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
}
POD_SECURITY: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": 10001,  # above the host's login users (0-9999): no overlap with a real account
    "runAsGroup": 10001,
    "fsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
OVERRIDE_KEYS = {"image", "imagePullPolicy", "resources", "env", "nodeSelector", "tolerations", "serviceAccountName",
                 "volumeMounts", "activeDeadlineSeconds", "securityContext", "podSecurityContext"}


class PodSettings(Record):
    """Everything a target needs to know about the pods it renders, already checked."""

    image: str = DEFAULT_IMAGE
    image_pull_policy: str = "IfNotPresent"
    namespace: str = ""
    pvc: str = DEFAULT_PVC
    secret_name: str = ""
    service_account: str = ""
    resources: dict[str, Any] = factory(dict)
    env: list[dict[str, Any]] = factory(list)
    node_selector: dict[str, str] = factory(dict)
    tolerations: list[dict[str, Any]] = factory(list)
    volumes: list[dict[str, Any]] = factory(list)
    volume_mounts: list[dict[str, Any]] = factory(list)
    active_deadline_seconds: int | None = None
    labels: dict[str, str] = factory(dict)
    annotations: dict[str, str] = factory(dict)
    project_dir: str = PROJECT_DIR
    instance: str = ""  # app.kubernetes.io/instance; default: the definition's name
    part_of: str = ""  # app.kubernetes.io/part-of; default: the definition's name
    security_context: dict[str, Any] = factory(dict)  # the user's relaxations of CONTAINER_SECURITY
    pod_security_context: dict[str, Any] = factory(dict)  # and of POD_SECURITY

    def overridden(self, override: dict[str, Any], where: str) -> "PodSettings":
        """These settings with a step's override applied (image, resources, env, ...)."""
        known = OVERRIDE_KEYS
        only_keys(override, known, where)
        changed = dict(self.__dict__)
        changed["image"] = _text(override.get("image", self.image), f"{where}.image")
        changed["image_pull_policy"] = _pull_policy(override.get("imagePullPolicy", self.image_pull_policy), where)
        if "resources" in override:
            changed["resources"] = resources(override["resources"], f"{where}.resources")
        changed["env"] = self.env + env_list(override.get("env", []), f"{where}.env")
        changed["node_selector"] = {**self.node_selector, **expect_mapping(override.get("nodeSelector", {}), where)}
        changed["tolerations"] = self.tolerations + expect_list(override.get("tolerations", []), f"{where}.tolerations")
        changed["service_account"] = override.get("serviceAccountName", self.service_account)
        changed["volume_mounts"] = self.volume_mounts + expect_list(override.get("volumeMounts", []), where)
        if "activeDeadlineSeconds" in override:
            changed["active_deadline_seconds"] = _seconds(override["activeDeadlineSeconds"], where)
        if "securityContext" in override:
            changed["security_context"] = {**self.security_context,
                                           **expect_mapping(override["securityContext"], f"{where}.securityContext")}
        if "podSecurityContext" in override:
            changed["pod_security_context"] = {**self.pod_security_context, **expect_mapping(
                override["podSecurityContext"], f"{where}.podSecurityContext")}
        return PodSettings(**changed)

    def container_security(self) -> dict[str, Any]:
        return _merged(CONTAINER_SECURITY, self.security_context)

    def pod_security(self) -> dict[str, Any]:
        return _merged(POD_SECURITY, self.pod_security_context)


# -- reading the configuration ---------------------------------------------------------------


def resources(raw: Any, where: str) -> dict[str, Any]:
    """requests/limits with runnable's ``gpu`` shorthand; whatever is missing gets our defaults."""
    raw = expect_mapping(raw, where)
    only_keys(raw, {"requests", "limits"}, where)
    result: dict[str, Any] = {}
    for part in ("requests", "limits"):
        given = {**DEFAULT_RESOURCES[part], **expect_mapping(raw.get(part) or {}, f"{where}.{part}")}
        if "gpu" in given:
            given[_GPU] = given.pop("gpu")
        result[part] = {key: _quantity(value, f"{where}.{part}.{key}") for key, value in sorted(given.items())}
    if _GPU in result["limits"] and _GPU not in result["requests"]:
        result["requests"][_GPU] = result["limits"][_GPU]
    return result


def env_list(raw: Any, where: str) -> list[dict[str, Any]]:
    """A container env list from a list of {name, value} or a mapping; values become strings."""
    if isinstance(raw, dict):
        raw = [{"name": str(k), "value": v} for k, v in sorted(raw.items())]
    result = []
    for index, item in enumerate(expect_list(raw, where)):
        if isinstance(item, dict) and "environment_variable" in item:
            item = _secret_env(item, f"{where}[{index}]")
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ConfigError(f"{where}[{index}] must be a mapping with a 'name'.")
        name = item["name"]
        if "=" in name or not name.isascii() or not name.isprintable() or name != name.strip():
            raise ConfigError(f"{where}[{index}]: environment variable name {name!r} is not valid in Kubernetes "
                              "(printable ASCII, no '=' and no surrounding spaces).")
        if "valueFrom" in item:
            result.append({"name": item["name"], "valueFrom": item["valueFrom"]})
        else:
            result.append({"name": item["name"], "value": _scalar_text(item.get("value", ""))})
    return result


_SECRET_ENV_KEYS = ("environment_variable", "secret_name", "secret_key")


def _secret_env(item: dict[str, Any], where: str) -> dict[str, Any]:
    """runnable's secret form ``{environment_variable, secret_name, secret_key}``: a variable from a Secret's key."""
    only_keys(item, set(_SECRET_ENV_KEYS), where)
    for key in _SECRET_ENV_KEYS:
        if not isinstance(item.get(key), str) or not item[key]:
            raise ConfigError(f"{where} needs {', '.join(_SECRET_ENV_KEYS)} (non-empty strings); {key} is "
                              f"{item.get(key)!r}.")
    return {"name": item["environment_variable"],
            "valueFrom": {"secretKeyRef": {"name": item["secret_name"], "key": item["secret_key"]}}}


def _quantity(value: Any, where: str) -> str:
    """Quantities are written as strings: Argo's schema types them so (Kubernetes takes both)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{where} must be a quantity such as 500m, 2 or 1Gi, got {value!r}.")
    return str(value)


def _pull_policy(value: Any, where: str) -> str:
    if value not in ("Always", "IfNotPresent", "Never"):
        raise ConfigError(f"{where}.imagePullPolicy must be Always, IfNotPresent or Never, got {value!r}.")
    return str(value)


def _seconds(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: activeDeadlineSeconds must be a whole number of seconds, got {value!r}.")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string, got {value!r}.")
    return value


def _scalar_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (bool, list, dict)) or value is None else str(value)


def expect_mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(value).__name__}.")
    return value


def expect_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list, got {type(value).__name__}.")
    return value


def only_keys(raw: dict[str, Any], known: set[str], where: str) -> None:
    from runnable.ir.errors import closest

    for key in raw:
        if key not in known:
            raise ConfigError(f"{where} has no key {key!r}; valid: {', '.join(sorted(known))}.{closest(str(key), known)}")


def _merged(defaults: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` with the user's changes; a key set to None is removed (the cluster's default)."""
    result = {**defaults, **changes}
    return {key: value for key, value in result.items() if value is not None}


def read_settings(raw: dict[str, Any], where: str, image_flag: str = "") -> PodSettings:
    """PodSettings from the container-level keys of a config (Argo's ``defaults``, a Job's container)."""
    settings = PodSettings()
    override = {k: v for k, v in raw.items() if k in OVERRIDE_KEYS}
    settings = settings.overridden(override, where)
    if "resources" not in override:
        settings.resources = resources({}, where)
    if image_flag:
        settings.image = image_flag
    return settings


# -- what the pod runs -----------------------------------------------------------------------


def runtime_config(config: Any, has_secrets: bool = False) -> dict[str, Any]:
    """The configuration inside the pods: local execution, stores on the mounted volume, secrets as files."""
    catalog: dict[str, Any] = {"type": "file-system", "config": {"catalog_location": CATALOG_DIR}}
    if config is not None:
        section = config["catalog"]
        if section.type == "do-nothing":
            catalog = {"type": "do-nothing", "config": {}}
        if "compute_data_folder" in section.config:
            catalog["config"]["compute_data_folder"] = section.config["compute_data_folder"]
    return {
        "pipeline-executor": {"type": "local", "config": {}},
        "job-executor": {"type": "local", "config": {}},
        "run-log-store": {"type": "file-system", "config": {"log_folder": RUN_LOG_DIR}},
        "catalog": catalog,
        "secrets": ({"type": "secret-files", "config": {"location": SECRETS_DIR}} if has_secrets
                    else {"type": "env-secrets", "config": {}}),
    }


def ir_identity(definition: Definition) -> tuple[str, str]:
    """The IR as the pods read it (compact canonical JSON) and its content hash, computed once."""
    text = canonical_json(definition.to_dict())
    return text, sha256_hex(text)


def ir_config_map(ir_text: str, ir_hash: str, config: Any, base_name: str, settings: PodSettings,
                  has_secrets: bool = False) -> dict[str, Any]:
    """The IR and the pods' configuration, in a ConfigMap named after their content."""
    config_text = json.dumps(runtime_config(config, has_secrets), sort_keys=True, indent=1) + "\n"
    digest = sha256_hex(ir_text + "\0" + config_text)[:10]
    name = f"{base_name[:40].rstrip('-')}-ir-{digest}"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(name, base_name, settings, ir_hash, {"app.kubernetes.io/component": "definition"}),
        "data": {"config.json": config_text, "ir.json": readable_ir(ir_text, len(config_text))},
    }


# The ConfigMap keeps the IR readable (one key per line, so a one-step change is a one-line diff in a
# GitOps repository) while that leaves room under the 1 MiB a ConfigMap holds; a larger IR stays compact.
# The name's digest and the IR hash cover the canonical text either way.
READABLE_IR_BUDGET = 768 * 1024


def readable_ir(ir_text: str, other_bytes: int = 0) -> str:
    """The IR indented one key per line, or the compact canonical text when that would not fit."""
    if len(ir_text) + other_bytes > READABLE_IR_BUDGET:
        return ir_text
    pretty = json.dumps(json.loads(ir_text), sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    return pretty if len(pretty.encode()) + other_bytes <= READABLE_IR_BUDGET else ir_text


def metadata(name: str, app: str, settings: PodSettings, ir_hash: str,
             labels: dict[str, str] | None = None, generate: bool = False) -> dict[str, Any]:
    """An object's metadata: its name, our labels and the IR hash it was rendered from."""
    result: dict[str, Any] = {"generateName" if generate else "name": name}
    if settings.namespace:
        result["namespace"] = settings.namespace
    result["labels"] = dict(sorted({**object_labels(app, settings), **(labels or {}), **settings.labels}.items()))
    result["annotations"] = dict(sorted({HASH_ANNOTATION: f"sha256:{ir_hash}",
                                         **settings.annotations}.items()))
    return result


def object_labels(app: str, settings: PodSettings) -> dict[str, str]:
    """Kubernetes' recommended labels, on every object and pod we render."""
    return {
        "app.kubernetes.io/instance": settings.instance or app,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/part-of": settings.part_of or app,
    }


def read_identity(settings: PodSettings, raw: dict[str, Any]) -> None:
    """The executor config's ``instance`` and ``part_of`` (one pipeline, several environments)."""
    settings.instance = slug(str(raw["instance"]), 63) if raw.get("instance") else ""
    settings.part_of = slug(str(raw["part_of"]), 63) if raw.get("part_of") else ""


def base_name(definition: Definition, source: str = "") -> str:
    """The definition's name for Kubernetes objects: its own name, else its file's."""
    import os

    stem = os.path.splitext(os.path.basename(source.split(":")[0]))[0] if source else ""
    return slug(definition.name or stem or "runnable", 40)


def volumes(config_map_name: str, settings: PodSettings) -> list[dict[str, Any]]:
    own = [
        {"name": IR_VOLUME, "configMap": {"name": config_map_name}},
        {"name": STORE_VOLUME, "persistentVolumeClaim": {"claimName": settings.pvc}},
        {"name": WORK_VOLUME, "emptyDir": {"sizeLimit": WORK_SIZE}},
        {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": TMP_SIZE}},
    ]
    return own + settings.volumes


def volume_mounts(settings: PodSettings) -> list[dict[str, Any]]:
    own = [
        {"name": IR_VOLUME, "mountPath": IR_DIR, "readOnly": True},
        {"name": STORE_VOLUME, "mountPath": RUN_LOG_DIR, "subPath": "run-logs"},
        {"name": STORE_VOLUME, "mountPath": CATALOG_DIR, "subPath": "catalog"},
        {"name": WORK_VOLUME, "mountPath": WORK_DIR},
        {"name": TMP_VOLUME, "mountPath": TMP_DIR},
    ]
    return own + settings.volume_mounts


def secret_volume(names: list[str], settings: PodSettings, where: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The Secret's keys a pod needs as read-only files (volume, mount): the manifest never holds a value,
    and no value sits in the container's environment. None when no secret is needed."""
    if not names:
        return None
    if not settings.secret_name:
        raise DefinitionError(
            f"{where} uses secrets {', '.join(sorted(names))}; name the Kubernetes Secret that holds them with "
            "'secret_from_k8s' in the executor's config."
        )
    items = [{"key": name, "path": name} for name in sorted(set(names))]
    volume = {"name": SECRETS_VOLUME, "secret": {"secretName": settings.secret_name, "items": items,
                                                 "defaultMode": SECRET_FILE_MODE}}
    return volume, {"name": SECRETS_VOLUME, "mountPath": SECRETS_DIR, "readOnly": True}


def definition_secrets(definition: Definition) -> list[str]:
    if definition.kind == "job":
        assert definition.job is not None
        return sorted(definition.job.secrets)
    assert definition.graph is not None
    found: set[str] = set()
    for node in definition.graph.nodes.values():
        found |= node_secrets(node)
    return sorted(found)


def container(name: str, settings: PodSettings, args: list[str], extra_env: list[dict[str, Any]],
              extra_mounts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The one container shape every pod of both targets runs.

    It works in a scratch directory (files tasks write, and catalog files they read, live
    there and move between steps through the catalog); the project's code stays read-only
    where the image has it, on PYTHONPATH and as RUNNABLE_PROJECT_DIR for file references.
    """
    own_env = [
        {"name": "HOME", "value": TMP_DIR},
        {"name": "PYTHONPATH", "value": settings.project_dir},
        {"name": "RUNNABLE_PROJECT_DIR", "value": settings.project_dir},
    ]
    result: dict[str, Any] = {
        "name": name,
        "image": settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": command(IR_FILE, config_file=CONFIG_FILE),
        "args": args,
        "workingDir": WORK_DIR,
        "env": [*own_env, *settings.env, *extra_env],
        "resources": settings.resources,
        "securityContext": settings.container_security(),
        "volumeMounts": volume_mounts(settings) + list(extra_mounts or []),
    }
    return result


def manifests(documents: list[dict[str, Any]], target_name: str, source: str) -> Any:
    """Checked objects of a manifest target, the GitOps files that hold them, and their stream text."""
    from runnable.compiler import gitops
    from runnable.compiler.base import Rendered
    from runnable.compiler.checks import check_rendered
    from runnable.ir.serialize import dump_yaml

    check_rendered(documents, f"the {target_name} rendering of {source or 'the definition'}")
    ir_hash = documents[0]["metadata"]["annotations"][HASH_ANNOTATION].removeprefix("sha256:")
    return Rendered(documents=documents, files=gitops.render_files(documents, source, ir_hash),
                    text="---\n".join(dump_yaml(document) for document in documents))
