"""Wiring between a definition, the configuration, the runtime and the engines.

``Pipeline.execute()``/``Job.execute()`` reach :func:`execute_definition` through the hook
that ``runnable/__init__`` wires (the DSL imports nothing above the IR); ``runnable run``
and ``runnable retry`` call it too. When the CLI runs a user's file it sets
:data:`cli_options`, so that an ``execute()`` call made by the user's own ``main()`` uses
the command line's options and the CLI can tell that the definition already ran (it is
never run twice). Executors that hand the run to a cluster are rendered and submitted here.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any

from runnable.config import Config, load_config
from runnable.ir.errors import ExecutionFailedError, RunnableError
from runnable.ir.model import READABLE_VERSIONS, Definition
from runnable.ir.record import Record, factory
from runnable.stores.records import RunLog


class LaunchOptions(Record):
    """Options given on the command line; empty strings mean 'not given'."""

    configuration_file: str = ""
    parameters_file: str = ""
    run_id: str = ""
    tag: str = ""
    log_level: str = ""
    capture: bool = False
    source: str = ""
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
    source = _script_source()
    if options is not None:
        configuration_file = options.configuration_file or configuration_file
        parameters_file = options.parameters_file or parameters_file
        run_id = options.run_id or run_id
        tag = options.tag or tag
        log_level = options.log_level or log_level
        source = options.source
    definition = obj.to_ir()
    config = load_config(configuration_file or None)
    run_log = run_definition(
        definition, config, run_id=run_id, tag=tag, parameters_file=parameters_file, log_level=log_level,
        source=source,
    )
    if options is not None:
        options.executed.append(run_log)
    if run_log.status != "SUCCESS":
        where = (f"see 'runnable show {run_log.run_id}'" if config["run-log-store"].type != "buffered"
                 else "its run log was not stored (run-log-store 'buffered'); the output above says why")
        raise ExecutionFailedError(f"Run {run_log.run_id} failed; {where}.", run_log)
    return run_log


def _script_source() -> str:
    """The script that is running (``python path/to/script.py``), project-relative; else ''."""
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    spec = getattr(main, "__spec__", None)
    if not file or spec is not None:
        return ""
    from runnable.dsl.references import project_path

    relative = project_path(file)
    return "" if relative.startswith("..") else relative


def _submit(definition: Definition, config: Config, executor_type: str, run_id: str, parameters_file: str,
            source: str, tag: str = "") -> RunLog:
    """Render for the target's engine, submit, wait and stream logs; the run itself lives in the engine's stores.

    The returned run log holds the outcome only: the steps are recorded where the engine's pods record them.
    """
    import importlib

    from runnable.compiler.base import RenderRequest, target_for_executor
    from runnable.stores.records import FAIL, SUCCESS, now

    chosen = target_for_executor(executor_type)
    executor_config = config.executor_for(definition.kind).config
    rendered = chosen.render(definition, RenderRequest(config=config, source=source))
    started = now()
    engine = importlib.import_module(chosen.engine)
    run_id, code = engine.submit(rendered.documents, run_id=run_id, parameters_file=parameters_file, tag=tag,
                                 kubeconfig=executor_config.get("config_path") or None,
                                 mock=bool(executor_config.get("mock")),
                                 say=lambda text: print(text, file=sys.stderr, flush=True))
    status = "CREATED" if code is None else SUCCESS if code == 0 else FAIL
    return RunLog(run_id=run_id, kind=definition.kind, status=status, name=definition.name, start_time=started,
                  end_time="" if code is None else now(), executor=executor_type, source=source, tag=tag)


def refuse_changed_definition(run_log: RunLog) -> None:
    from runnable.cli.discovery import load_definition

    try:
        current = load_definition(run_log.source).to_ir()
    except RunnableError as exc:
        raise RunnableError(
            f"Run {run_log.run_id!r} was defined by {run_log.source!r}, which no longer compiles: {exc}"
        ) from None
    if run_log.ir_hash not in _readable_hashes(current):
        raise RunnableError(
            f"{run_log.source!r} has changed since run {run_log.run_id!r} started (its IR hash differs), so the "
            "run cannot be retried in place. Start a new run, or restore the file as it was."
        )


def _readable_hashes(definition: Definition) -> set[str]:
    """The definition's hash as written at each IR version this runnable reads.

    The versions share one serialised shape, so a run started before a version bump
    still matches its unchanged source and can be retried.
    """
    from runnable.ir.serialize import canonical_json, sha256_hex

    data = definition.to_dict()
    return {sha256_hex(canonical_json({**data, "ir_version": version})) for version in READABLE_VERSIONS}


def run_definition(definition: Definition, config: Config, *, run_id: str = "", tag: str = "",
                   parameters_file: str = "", log_level: str = "WARNING", source: str = "") -> RunLog:
    """Run here (local, local-container, ...) or submit to the engine the executor names."""
    from runnable.compiler.base import target_for_executor
    from runnable.runtime import lifecycle

    executor = config.require_executor(definition.kind)
    if target_for_executor(executor.type).submits:
        return _submit(definition, config, executor.type, run_id, parameters_file, source, tag)
    return lifecycle.run_definition(definition, config, run_id=run_id, tag=tag, parameters_file=parameters_file,
                                    log_level=log_level, source=source)


def retry_run(run_id: str, config: Config, *, log_level: str = "WARNING", tag: str = "") -> RunLog:
    """``runnable retry``: the run again in place, refused when its definition file has changed."""
    from runnable.runtime import lifecycle

    return lifecycle.retry_run(run_id, config, log_level=log_level, tag=tag, check_source=refuse_changed_definition)
