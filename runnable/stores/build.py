"""Store construction: the run-log store, catalog and secrets source a configuration asks for.

The configuration arrives already checked (types and keys); each section is read as its
``type`` and ``config`` only, so this module needs nothing of the configuration's code.
"""

from __future__ import annotations

from typing import Any

from runnable.ir.checkers import STR, TypeSpec

_S3_KEYS = {"endpoint_url": STR, "aws_access_key_id": STR, "aws_secret_access_key": STR, "bucket": STR}

#: Section -> type -> its configuration keys: what :func:`build_stores` reads.
STORE_TYPES: dict[str, dict[str, TypeSpec]] = {
    "run-log-store": {
        "file-system": TypeSpec({"log_folder": STR}),
        "chunked-fs": TypeSpec({"log_folder": STR}, aliases_of="file-system"),
        "buffered": TypeSpec({}),
        "memory": TypeSpec({}, aliases_of="buffered"),
        "minio": TypeSpec(_S3_KEYS, available=False),
        "chunked-minio": TypeSpec(_S3_KEYS, available=False),
    },
    "catalog": {
        "file-system": TypeSpec({"catalog_location": STR, "compute_data_folder": STR}),
        "do-nothing": TypeSpec({"compute_data_folder": STR}),
        "minio": TypeSpec({**_S3_KEYS, "compute_data_folder": STR}, available=False),
        "s3": TypeSpec({"bucket": STR, "prefix": STR, "compute_data_folder": STR}, available=False),
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
    if log_section.type == "buffered":
        store: Any = MemoryRunLogStore()
        log_folder = None
    else:
        log_folder = log_section.config.get("log_folder", ".run_log_store")
        store = FileSystemRunLogStore(log_folder)
    catalog_section = config.require_available("catalog")
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


def open_store(config: Any) -> Any:
    """The run-log store alone (listing and showing runs)."""
    return build_stores(config)[0]


