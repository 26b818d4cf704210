"""Store construction: the run-log store, catalog and secrets source a configuration asks for.

The configuration arrives already checked (types and keys); each section is read as its
``type`` and ``config`` only, so this module needs nothing of the configuration's code.
"""

from __future__ import annotations

from typing import Any

from runnable.ir.checkers import STR, TypeSpec

_S3_KEYS = {"endpoint_url": STR, "aws_access_key_id": STR, "aws_secret_access_key": STR, "bucket": STR,
            "prefix": STR, "region": STR}

#: Section -> type -> its configuration keys: what :func:`build_stores` reads.
STORE_TYPES: dict[str, dict[str, TypeSpec]] = {
    "run-log-store": {
        "file-system": TypeSpec({"log_folder": STR}),
        "chunked-fs": TypeSpec({"log_folder": STR}, aliases_of="file-system"),
        "buffered": TypeSpec({}),
        "memory": TypeSpec({}, aliases_of="buffered"),
        "minio": TypeSpec(_S3_KEYS),
        "chunked-minio": TypeSpec(_S3_KEYS, aliases_of="minio"),
        "s3": TypeSpec(_S3_KEYS),
    },
    "catalog": {
        "file-system": TypeSpec({"catalog_location": STR, "compute_data_folder": STR}),
        "do-nothing": TypeSpec({"compute_data_folder": STR}),
        "minio": TypeSpec({**_S3_KEYS, "compute_data_folder": STR}),
        "s3": TypeSpec({**_S3_KEYS, "compute_data_folder": STR}),
    },
    "secrets": {
        "env-secrets": TypeSpec({}),
        "dotenv": TypeSpec({"location": STR}),
        "secret-files": TypeSpec({"location": STR}),
        "do-nothing": TypeSpec({}),
    },
    "pickler": {
        "pickle": TypeSpec({}),
    },
}


def build_stores(config: Any) -> tuple[Any, Any, Any]:
    """The run-log store, catalog and secrets source a config asks for."""
    from runnable.stores.catalog import DoNothingCatalog, FileSystemCatalog
    from runnable.stores.run_log import FileSystemRunLogStore, MemoryRunLogStore
    from runnable.stores.secrets import DoNothingSecrets, DotenvSecrets, EnvSecrets, SecretFiles

    log_section = config.require_available("run-log-store")
    log_folder = None
    if log_section.type == "buffered":
        store: Any = MemoryRunLogStore()
    elif log_section.type in OBJECT_STORE_DEFAULTS["run-log-store"]:
        from runnable.stores.object_store import ObjectRunLogStore

        store = ObjectRunLogStore(_location("run-log-store", log_section))
    else:
        log_folder = log_section.config.get("log_folder", ".run_log_store")
        store = FileSystemRunLogStore(log_folder)
    catalog_section = config.require_available("catalog")
    if catalog_section.type in OBJECT_STORE_DEFAULTS["catalog"]:
        from runnable.stores.object_store import ObjectCatalog

        catalog: Any = ObjectCatalog(_location("catalog", catalog_section),
                                     catalog_section.config.get("compute_data_folder", "."))
    else:
        catalog_class = DoNothingCatalog if catalog_section.type == "do-nothing" else FileSystemCatalog
        catalog = catalog_class(**catalog_section.config)
    if log_folder:
        catalog.exclude(log_folder)
    secrets_section = config.require_available("secrets")
    secrets = {
        "env-secrets": EnvSecrets,
        "dotenv": DotenvSecrets,
        "secret-files": SecretFiles,
        "do-nothing": DoNothingSecrets,
    }[secrets_section.type](**secrets_section.config)
    return store, catalog, secrets


#: Object-store types and their defaults: runnable 0.50's for ``minio`` (a local MinIO), none for ``s3`` (AWS).
OBJECT_STORE_DEFAULTS: dict[str, dict[str, dict[str, str]]] = {
    "run-log-store": {"minio": {"endpoint_url": "http://localhost:9002", "bucket": "runnable/run-logs"}, "s3": {}},
    "catalog": {"minio": {"endpoint_url": "http://localhost:9002", "bucket": "runnable"}, "s3": {}},
}


def _location(key: str, section: Any) -> Any:
    from runnable.stores.s3 import S3Location

    settings = {**OBJECT_STORE_DEFAULTS[key][section.type], **section.config}
    settings.pop("compute_data_folder", None)
    return S3Location(f"{key} {section.type!r}", settings.pop("bucket", ""), **settings)


def open_store(config: Any) -> Any:
    """The run-log store alone (listing and showing runs)."""
    return build_stores(config)[0]


