"""Wiring between a definition, the configuration, the runtime and the engines.

``Pipeline.execute()``/``Job.execute()`` reach :func:`execute_definition` through the hook
that ``runnable/__init__`` wires (the DSL imports nothing above the IR); ``runnable run``
and ``runnable retry`` call it too. When the CLI runs a user's file it sets
:data:`cli_options`, so that an ``execute()`` call made by the user's own ``main()`` uses
the command line's options and the CLI can tell that the definition already ran (it is
never run twice). Executors that hand the run to a cluster are rendered and submitted here.
"""

from __future__ import annotations

import os
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
    progress: str = ""  # live, plain, off; '' chooses by the terminal
    executed: list[RunLog] = factory(list)


class DefinitionCaptured(BaseException):
    """Raised by ``execute()`` when the CLI only compiles: stops the user's main() before it runs.

    A BaseException, so a user's ``except Exception`` cannot swallow it.
    """

    def __init__(self, obj: Any) -> None:
        super().__init__()
        self.obj = obj


RETRY_RUN_ID_ENV = "RUNNABLE_RETRY_RUN_ID"

cli_options: ContextVar[LaunchOptions | None] = ContextVar("runnable_cli_options", default=None)


def execute_definition(
    obj: Any,
    *,
    configuration_file: str = "",
    run_id: str = "",
    tag: str = "",
    parameters_file: str = "",
    log_level: str = "WARNING",
    stream: Any = None,
    loop: Any = None,
) -> RunLog:
    """Compile a DSL object and run it; raise :class:`ExecutionFailedError` if the run fails.

    ``stream`` (a thread-safe callable) receives the run's events as they happen, and async
    tasks run on ``loop``, the caller's event loop (``AsyncPipeline.execute_streaming``).
    """
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
    from runnable.cli.progress import showing_progress

    definition = obj.to_ir()
    config = load_config(configuration_file or None)
    from runnable.runtime.streaming import RUN_FINISHED, Sink, streaming

    sink = Sink(stream, loop) if stream is not None else None
    retry_id = os.environ.get(RETRY_RUN_ID_ENV, "")
    with streaming(sink), showing_progress(options.progress if options is not None else ""):
        if retry_id:
            run_log = retry_from_environment(retry_id, definition, config, parameters_file=parameters_file, tag=tag,
                                             log_level=log_level, from_cli=options is not None)
        else:
            run_log = run_definition(
                definition, config, run_id=run_id, tag=tag, parameters_file=parameters_file, log_level=log_level,
                source=source,
            )
    if sink is not None:
        sink.put({"type": RUN_FINISHED, "run_id": run_log.run_id, "status": run_log.status})
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
    parameters: dict[str, object] = {}
    if parameters_file:
        from runnable.runtime.parameters import initial_parameters

        parameters = {name: spec["value"] for name, spec in initial_parameters(parameters_file).items()}
    rendered = chosen.render(definition, RenderRequest(config=config, source=source, parameters=parameters))
    for notice in rendered.notices:
        print(f"notice: {notice}", file=sys.stderr)
    started = now()
    engine = importlib.import_module(chosen.engine)
    run_id, code = engine.submit(rendered.documents, run_id=run_id, parameters_file=parameters_file, tag=tag,
                                 kubeconfig=executor_config.get("config_path") or None,
                                 mock=bool(executor_config.get("mock")),
                                 say=lambda text: print(text, file=sys.stderr, flush=True))
    status = "CREATED" if code is None else SUCCESS if code == 0 else FAIL
    return RunLog(run_id=run_id, kind=definition.kind, status=status, name=definition.name, start_time=started,
                  end_time="" if code is None else now(), executor=executor_type, source=source, tag=tag)


def retry_from_environment(run_id: str, definition: Definition, config: Config, *, parameters_file: str = "",
                           tag: str = "", log_level: str = "WARNING", from_cli: bool = False) -> RunLog:
    """``RUNNABLE_RETRY_RUN_ID=ID python script.py``: the script retries run ID in place, as ``runnable retry`` does.

    The run keeps its own parameters (new ones are ignored, with a notice). A run that does not
    exist, that succeeded, or whose pipeline differs from the script's is refused before anything
    is run or written: from a plain ``python script.py`` that is one line and exit 2, as the
    command line does it.
    """
    from runnable.compiler.base import target_for_executor
    from runnable.runtime import lifecycle

    try:
        executor = config.require_executor(definition.kind)
        if target_for_executor(executor.type).submits:
            raise RunnableError(
                f"{RETRY_RUN_ID_ENV} retries runs that ran on this machine; the {executor.type!r} executor runs on a "
                f"cluster: use 'runnable retry {run_id}' there."
            )
        ignored = _ignored_parameters(parameters_file)
        if ignored:
            print(f"runnable: retrying run {run_id} with its original parameters; ignored: {', '.join(ignored)}.",
                  file=sys.stderr, flush=True)
        return lifecycle.retry_run(run_id, config, log_level=log_level, tag=tag,
                                   check_source=lambda run_log: refuse_other_definition(run_log, definition))
    except RunnableError as exc:
        if from_cli or isinstance(exc, ExecutionFailedError):
            raise
        print(f"Error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None


def _ignored_parameters(parameters_file: str) -> list[str]:
    """What would have set a new run's parameters: a retry keeps the run's own instead."""
    from runnable.runtime.parameters import PARAMETER_ENV_PREFIX, PARAMETERS_FILE_ENV

    ignored = [f"parameters file {path!r}" for path in dict.fromkeys(
        filter(None, [parameters_file, os.environ.get(PARAMETERS_FILE_ENV, "")]))]
    ignored += sorted(key for key in os.environ if key.startswith(PARAMETER_ENV_PREFIX))
    return ignored


def refuse_other_definition(run_log: RunLog, definition: Definition) -> None:
    """Refuse to retry a run with a pipeline that is not the one it started with."""
    if run_log.ir_hash not in _readable_hashes(definition):
        raise RunnableError(
            f"The pipeline has changed since run {run_log.run_id!r} started (its IR hash differs), so the run "
            "cannot be retried in place. Start a new run (unset " + RETRY_RUN_ID_ENV + "), or restore the "
            "pipeline as it was."
        )


def refuse_changed_definition(run_log: RunLog) -> None:
    """Refuse a run whose definition file here compiles to another IR.

    On a machine without that file (another working directory sharing only the object
    stores' configuration) there is nothing to compare: the stored IR runs as it was.
    """
    from runnable.cli.discovery import load_definition, split_target

    if not run_log.source or not os.path.isfile(split_target(run_log.source)[0]):
        return
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
