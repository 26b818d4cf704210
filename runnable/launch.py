"""Wiring between a definition, the configuration and the runtime.

``Pipeline.execute()``/``Job.execute()`` and ``runnable run`` both end here. When the
CLI runs a user's file, it sets :data:`cli_options` so that an ``execute()`` call made
by the user's own ``main()`` uses the command line's options, and the CLI can tell that
the definition already ran (it is never run twice).
"""

from __future__ import annotations

import sys
import time
from contextvars import ContextVar
from runnable.ir.record import Record, factory
from typing import Any

from runnable.config import Config, load_config
from runnable.ir.errors import ConfigError, ExecutionFailedError
from runnable.ir.model import Definition
from runnable.stores.records import RunLog


class LaunchOptions(Record):
    """Options given on the command line; empty strings mean 'not given'."""

    configuration_file: str = ""
    parameters_file: str = ""
    run_id: str = ""
    tag: str = ""
    log_level: str = ""
    capture: bool = False
    executed: list[RunLog] = factory(list)


class DefinitionCaptured(BaseException):
    """Raised by ``execute()`` when the CLI only compiles: stops the user's main() before it runs.

    A BaseException, so a user's ``except Exception`` cannot swallow it.
    """

    def __init__(self, obj: Any) -> None:
        super().__init__()
        self.obj = obj


cli_options: ContextVar[LaunchOptions | None] = ContextVar("runnable_cli_options", default=None)


def execute_definition(
    obj: Any,
    *,
    configuration_file: str = "",
    run_id: str = "",
    tag: str = "",
    parameters_file: str = "",
    log_level: str = "WARNING",
) -> RunLog:
    """Compile a DSL object and run it; raise :class:`ExecutionFailedError` if the run fails."""
    options = cli_options.get()
    if options is not None and options.capture:
        raise DefinitionCaptured(obj)
    if options is not None:
        configuration_file = options.configuration_file or configuration_file
        parameters_file = options.parameters_file or parameters_file
        run_id = options.run_id or run_id
        tag = options.tag or tag
        log_level = options.log_level or log_level
    definition = obj.to_ir()
    config = load_config(configuration_file or None)
    run_log = run_definition(
        definition, config, run_id=run_id, tag=tag, parameters_file=parameters_file, log_level=log_level
    )
    if options is not None:
        options.executed.append(run_log)
    if run_log.status != "SUCCESS":
        raise ExecutionFailedError(f"Run {run_log.run_id} failed; see 'runnable show {run_log.run_id}'.", run_log)
    return run_log


def run_definition(
    definition: Definition,
    config: Config,
    *,
    run_id: str = "",
    tag: str = "",
    parameters_file: str = "",
    log_level: str = "WARNING",
) -> RunLog:
    """Run a compiled definition with the configured executor and stores."""
    import os

    from runnable.ir.serialize import content_hash, to_json
    from runnable.runtime.context import LOG_LEVELS, RunContext
    from runnable.runtime.identity import GitProbe
    from runnable.runtime.local import run_job, run_pipeline
    from runnable.runtime.parameters import initial_parameters
    from runnable.runtime.run_ids import choose_run_id
    from runnable.stores.records import FAIL, PROCESSING, RunLog, now

    started = time.perf_counter()
    executor = config.executor_for(definition.kind)
    config.require_available("job-executor" if definition.kind == "job" else "pipeline-executor")
    if log_level.upper() not in LOG_LEVELS:
        raise ConfigError(f"Unknown log level {log_level!r}; use one of {', '.join(LOG_LEVELS)}.")
    store, catalog, secrets = build_stores(config)
    params = initial_parameters(parameters_file or None)
    run_log = RunLog(
        run_id=choose_run_id(run_id),
        kind=definition.kind,
        status=PROCESSING,
        name=definition.name,
        tag=tag or os.environ.get("RUNNABLE_RUN_TAG", ""),
        ir_hash=content_hash(definition),
        start_time=now(),
        initial_parameters=params,
        parameters=dict(params),
        code_identity=None,
        executor=executor.type,
    )
    store.create_run(run_log, to_json(definition))
    git = GitProbe()
    ctx = RunContext(
        definition=definition,
        run_log=run_log,
        store=store,
        catalog=catalog,
        secrets=secrets,
        parameters=dict(params),
        object_serialisation=executor.config.get("object_serialisation", True),
        verbosity=LOG_LEVELS[log_level.upper()],
    )
    status = FAIL
    try:
        status = run_job(ctx) if definition.kind == "job" else run_pipeline(ctx)
    finally:
        run_log.status = status
        run_log.end_time = now()
        run_log.code_identity = git.result()
        run_log.parameters = ctx.parameters
        store.put_run(run_log)
    result = store.get_run(run_log.run_id)
    seconds = time.perf_counter() - started
    print(
        f"runnable: {definition.kind} run {run_log.run_id} {status} in {seconds:.2f}s "
        f"({len(result.steps)} steps); details: runnable show {run_log.run_id}",
        file=sys.stderr,
        flush=True,
    )
    return result


def build_stores(config: Config) -> tuple[Any, Any, Any]:
    """The run-log store, catalog and secrets source a config asks for."""
    from runnable.stores.catalog import DoNothingCatalog, FileSystemCatalog
    from runnable.stores.run_log import FileSystemRunLogStore, MemoryRunLogStore
    from runnable.stores.secrets import DoNothingSecrets, DotenvSecrets, EnvSecrets

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
        "do-nothing": DoNothingSecrets,
    }[secrets_section.type](**secrets_section.config)
    return store, catalog, secrets


def open_store(config: Config) -> Any:
    return build_stores(config)[0]
