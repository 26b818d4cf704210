"""Configuration files: where they come from, what they may say, and what they mean.

The file has runnable's shape: top-level keys ``pipeline-executor``, ``job-executor``,
``run-log-store``, ``catalog``, ``secrets`` (and ``pickler``), each ``{type, config}``.
Every key and type is checked here, so a typo is reported with the file, the key and
the closest valid spelling instead of surfacing later as a strange failure.
"""

from __future__ import annotations

import os
import string
from typing import Any, Callable

from runnable.ir.errors import ConfigError, NotAvailableError, closest, unknown_choice
from runnable.ir.record import Record, factory

CONFIG_ENV = "RUNNABLE_CONFIGURATION_FILE"
DEFAULT_FILE = "runnable-config.yaml"
VARIABLE_PREFIX = "RUNNABLE_VAR_"

# Value checkers keep the schema declarative: key -> (type name, predicate).
_BOOL = ("a boolean", lambda v: isinstance(v, bool))
_STR = ("a string", lambda v: isinstance(v, str))
_MAP = ("a mapping", lambda v: isinstance(v, dict))
_LIST = ("a list", lambda v: isinstance(v, list))
_WORKERS = ("a whole number of at least 1", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1)
_ANY = ("any value", lambda v: True)

Checker = tuple[str, Callable[[Any], bool]]

_CONTAINER_KEYS: dict[str, Checker] = {
    "docker_image": _STR,
    "auto_remove_container": _BOOL,
    "environment": _MAP,
    "enable_parallel": _BOOL,
    "mount_project": _BOOL,
    "network": _STR,
    "overrides": _MAP,
    "mock": _BOOL,
    "max_workers": _WORKERS,
    "security": ("a mapping of read_only, tmpfs, cap_drop, security_opt",
                 lambda v: isinstance(v, dict) and set(v) <= {"read_only", "tmpfs", "cap_drop", "security_opt"}),
}
_K8S_JOB_KEYS: dict[str, Checker] = {
    "pvc_claim_name": _STR,
    "config_path": _ANY,
    "namespace": _STR,
    "mock": _BOOL,
    "schedule": _STR,
    "jobSpec": _MAP,
    "secret_from_k8s": _STR,
    "timezone": _STR,
    "project_dir": _STR,
    "instance": _STR,
    "part_of": _STR,
}
_MINI_K8S_JOB_KEYS: dict[str, Checker] = {
    **_K8S_JOB_KEYS,
    "mini_k8s_run_log_location": _STR,
    "mini_k8s_catalog_location": _STR,
}
_ARGO_KEYS: dict[str, Checker] = {
    "pvc_for_runnable": _STR,
    "custom_volumes": _LIST,
    "expose_parameters_as_inputs": _BOOL,
    "configmap_cache_name": _STR,
    "secret_from_k8s": _STR,
    "output_file": _STR,
    "log_level": _STR,
    "cron_schedule": _MAP,
    "defaults": _MAP,
    "overrides": _MAP,
    "argoWorkflow": _MAP,
    "project_dir": _STR,
    "instance": _STR,
    "part_of": _STR,
    "kind": ("Workflow, WorkflowTemplate or CronWorkflow",
             lambda v: v in ("Workflow", "WorkflowTemplate", "CronWorkflow")),
}


class TypeSpec(Record):
    """One allowed ``type`` of a section: its config keys and whether it runs yet."""

    keys: dict[str, Checker]
    available: bool = True
    aliases_of: str = ""


SCHEMA: dict[str, dict[str, TypeSpec]] = {
    "pipeline-executor": {
        "local": TypeSpec({"enable_parallel": _BOOL, "object_serialisation": _BOOL, "overrides": _MAP,
                           "max_workers": _WORKERS}),
        "local-container": TypeSpec(_CONTAINER_KEYS),
        "emulator": TypeSpec({}, available=False),
        "mocked": TypeSpec({"patches": _MAP}),
        "argo": TypeSpec(_ARGO_KEYS),
        "k8s-job": TypeSpec(_K8S_JOB_KEYS),
    },
    "job-executor": {
        "local": TypeSpec({"mock": _BOOL}),
        "local-container": TypeSpec(_CONTAINER_KEYS),
        "emulator": TypeSpec({}, available=False),
        "k8s-job": TypeSpec(_K8S_JOB_KEYS),
        "mini-k8s-job": TypeSpec(_MINI_K8S_JOB_KEYS, available=False),
    },
    "run-log-store": {
        "file-system": TypeSpec({"log_folder": _STR}),
        "chunked-fs": TypeSpec({"log_folder": _STR}, aliases_of="file-system"),
        "buffered": TypeSpec({}),
        "memory": TypeSpec({}, aliases_of="buffered"),
        "minio": TypeSpec({"endpoint_url": _STR, "aws_access_key_id": _STR, "aws_secret_access_key": _STR,
                           "bucket": _STR}, available=False),
        "chunked-minio": TypeSpec({"endpoint_url": _STR, "aws_access_key_id": _STR,
                                   "aws_secret_access_key": _STR, "bucket": _STR}, available=False),
    },
    "catalog": {
        "file-system": TypeSpec({"catalog_location": _STR, "compute_data_folder": _STR}),
        "do-nothing": TypeSpec({"compute_data_folder": _STR}),
        "minio": TypeSpec({"endpoint_url": _STR, "aws_access_key_id": _STR, "aws_secret_access_key": _STR,
                           "bucket": _STR, "compute_data_folder": _STR}, available=False),
        "s3": TypeSpec({"bucket": _STR, "prefix": _STR, "compute_data_folder": _STR}, available=False),
    },
    "secrets": {
        "env-secrets": TypeSpec({}),
        "dotenv": TypeSpec({"location": _STR}),
        "do-nothing": TypeSpec({}),
    },
    "pickler": {
        "pickle": TypeSpec({}),
    },
}

DEFAULTS: dict[str, str] = {
    "pipeline-executor": "local",
    "job-executor": "local",
    "run-log-store": "file-system",
    "catalog": "file-system",
    "secrets": "env-secrets",
    "pickler": "pickle",
}


class Section(Record):
    type: str
    config: dict[str, Any] = factory(dict)


class Config(Record):
    """A checked configuration; ``source`` names the file it came from (or 'defaults')."""

    sections: dict[str, Section]
    source: str = "defaults"

    def __getitem__(self, key: str) -> Section:
        return self.sections[key]

    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration, in the file format (variables already substituted)."""
        return {key: {"type": section.type, "config": section.config} for key, section in self.sections.items()}

    def executor_for(self, kind: str) -> Section:
        return self.sections[self._executor_key(kind)]

    def require_executor(self, kind: str) -> Section:
        """The executor section for a job or pipeline, refusing types that are not available yet."""
        return self.require_available(self._executor_key(kind))

    @staticmethod
    def _executor_key(kind: str) -> str:
        return "job-executor" if kind == "job" else "pipeline-executor"

    def require_available(self, key: str) -> Section:
        section = self.sections[key]
        spec = SCHEMA[key][section.type]
        if not spec.available:
            raise NotAvailableError(
                f"{self.source}: {key} type {section.type!r} is not available yet in this version of runnable. "
                f"Available now: {', '.join(t for t, s in SCHEMA[key].items() if s.available)}."
            )
        return section


def resolve_config_path(configuration_file: str | os.PathLike[str] | None = None) -> str | None:
    """runnable's order: $RUNNABLE_CONFIGURATION_FILE, the argument, ./runnable-config.yaml, defaults."""
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return from_env
    if configuration_file:
        return os.fspath(configuration_file)
    if os.path.isfile(DEFAULT_FILE):
        return DEFAULT_FILE
    return None


def load_config(configuration_file: str | os.PathLike[str] | None = None) -> Config:
    path = resolve_config_path(configuration_file)
    if path is None:
        return parse_config({}, "defaults")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ConfigError(f"Configuration file {str(path)!r} does not exist.") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Configuration file {str(path)!r} cannot be read: {exc}.") from None
    try:
        if str(path).endswith(".json"):  # what the runtime hands to containers: no YAML parser needed
            import json

            data = json.loads(text)
        else:
            from runnable.ir.serialize import load_yaml

            data = load_yaml(text)
    except ValueError as exc:
        raise ConfigError(f"Configuration file {str(path)!r} is not valid YAML: {exc}") from None
    return parse_config(data, str(path))


def parse_config(data: Any, source: str) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a configuration file must be a mapping of sections, got {type(data).__name__}.")
    sections: dict[str, Section] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("_", "-")
        if key not in SCHEMA:
            raise ConfigError(f"{source}: {unknown_choice('configuration key', str(raw_key), SCHEMA)}")
        sections[key] = _parse_section(key, value, source)
    for key, default_type in DEFAULTS.items():
        sections.setdefault(key, Section(default_type, {}))
    return Config(sections=sections, source=source)


def _parse_section(key: str, value: Any, source: str) -> Section:
    if value is None:
        return Section(DEFAULTS[key], {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {key} must be a mapping like {{type: ..., config: {{...}}}}.")
    extra = set(value) - {"type", "config"}
    if extra:
        word = sorted(extra)[0]
        raise ConfigError(
            f"{source}: {key} has unknown key {word!r}; a section holds only 'type' and 'config'."
            f"{closest(str(word), ['type', 'config'])}"
        )
    kind = value.get("type", DEFAULTS[key])
    types = SCHEMA[key]
    if kind not in types:
        raise ConfigError(f"{source}: {key}: {unknown_choice('type', str(kind), types)}")
    config = value.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{source}: {key}.config must be a mapping, got {type(config).__name__}.")
    spec = types[kind]
    for name, item in config.items():
        if name not in spec.keys:
            valid = ", ".join(sorted(spec.keys)) or "none"
            raise ConfigError(
                f"{source}: {key} type {kind!r} has no config key {name!r}. Valid keys: {valid}."
                f"{closest(str(name), spec.keys)}"
            )
        expected, check = spec.keys[name]
        if not check(item):
            raise ConfigError(f"{source}: {key}.config.{name} must be {expected}, got {item!r}.")
    resolved = spec.aliases_of or kind
    return Section(resolved, substitute_variables(config))


def substitute_variables(value: Any) -> Any:
    """Replace ``$name``/``${name}`` in string values with $RUNNABLE_VAR_name, as runnable does."""
    if isinstance(value, str):
        if "$" not in value:
            return value
        variables = {k[len(VARIABLE_PREFIX):]: v for k, v in os.environ.items() if k.startswith(VARIABLE_PREFIX)}
        return string.Template(value).safe_substitute(variables)
    if isinstance(value, dict):
        return {k: substitute_variables(v) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_variables(v) for v in value]
    return value
