"""Configuration files: where they come from, what they may say, and what they mean.

The file has runnable's shape: top-level keys ``pipeline-executor``, ``job-executor``,
``run-log-store``, ``catalog``, ``secrets`` (and ``pickler``), each ``{type, config}``.
Every key and type is checked here, so a typo is reported with the file, the key and
the closest valid spelling instead of surfacing later as a strange failure.
"""

from __future__ import annotations

import os
import string
from typing import Any

from runnable.ir.checkers import TypeSpec
from runnable.ir.errors import ConfigError, NotAvailableError, closest, unknown_choice
from runnable.ir.record import Record, factory

CONFIG_ENV = "RUNNABLE_CONFIGURATION_FILE"
DEFAULT_FILE = "runnable-config.yaml"
VARIABLE_PREFIX = "RUNNABLE_VAR_"

EXECUTOR_SECTIONS = ("pipeline-executor", "job-executor")
SECTIONS = ("pipeline-executor", "job-executor", "run-log-store", "catalog", "secrets", "pickler")


def section_types(key: str) -> dict[str, TypeSpec]:
    """Every allowed type of a section: executors from the target registry, the rest from the stores."""
    if key in EXECUTOR_SECTIONS:
        from runnable.compiler.base import executor_types

        return executor_types(key)
    from runnable.stores.build import STORE_TYPES

    return STORE_TYPES[key]


def type_spec(key: str, kind: str) -> TypeSpec | None:
    """One type's keys, importing no more targets than needed to find it."""
    if key in EXECUTOR_SECTIONS:
        from runnable.compiler.base import executor_spec

        found = executor_spec(key, kind)
        return found[1] if found is not None else None
    return section_types(key).get(kind)


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
        spec = type_spec(key, section.type)
        if spec is not None and not spec.available:
            raise NotAvailableError(
                f"{self.source}: {key} type {section.type!r} is not available yet in this version of runnable. "
                f"Available now: {', '.join(t for t, s in section_types(key).items() if s.available)}."
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
    from runnable.ir.reading import decode_utf8, parse_json, parse_yaml, read_bytes

    try:
        raw = read_bytes(path)
    except FileNotFoundError:
        raise ConfigError(f"Configuration file {str(path)!r} does not exist.") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ConfigError(f"Configuration file {str(path)!r} cannot be read: {exc}.") from None
    try:
        if str(path).endswith(".json"):  # what the runtime hands to containers: no YAML parser needed
            data = parse_json(raw, str(path))
        else:
            data = parse_yaml(decode_utf8(raw, str(path)), str(path))
    except ValueError as exc:
        kind = "JSON" if str(path).endswith(".json") else "YAML"
        raise ConfigError(f"Configuration file {str(path)!r} is not valid {kind}: {exc}") from None
    return parse_config(data, str(path))


def parse_config(data: Any, source: str) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a configuration file must be a mapping of sections, got {type(data).__name__}.")
    sections: dict[str, Section] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("_", "-")
        if key not in SECTIONS:
            raise ConfigError(f"{source}: {unknown_choice('configuration key', str(raw_key), SECTIONS)}")
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
    spec = type_spec(key, kind) if isinstance(kind, str) else None
    if spec is None:
        raise ConfigError(f"{source}: {key}: {unknown_choice('type', str(kind), section_types(key))}")
    config = value.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{source}: {key}.config must be a mapping, got {type(config).__name__}.")
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
