"""The life of a run: start it, resume it, retry it, finish it, and run one step of it.

Every place a run happens ends here: ``runnable run``/``execute()`` on this machine
(:func:`run_definition`), ``runnable retry`` (:func:`retry_run`) and every container of
every target (:func:`execute_step`). The configuration arrives as an already-checked
object; this module never reads files of the user's other than the IR.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any, Callable

from runnable.ir.errors import ConfigError, RunnableError
from runnable.ir.model import NODE_CLASSES, ConditionalNode, Definition, Graph, LoopNode, MapNode, ParallelNode
from runnable.stores.build import build_stores
from runnable.runtime import events, tracing
from runnable.stores.records import RunLog, StepLog

if TYPE_CHECKING:
    from runnable.config import Config


def run_definition(
    definition: Definition,
    config: Config,
    *,
    run_id: str = "",
    tag: str = "",
    parameters_file: str = "",
    log_level: str = "WARNING",
    source: str = "",
) -> RunLog:
    """Start a new run of a compiled definition with the configured executor and stores."""
    from runnable.ir.serialize import to_json
    from runnable.runtime.run_ids import choose_run_id

    verbosity = _verbosity(log_level)
    executor = config.require_executor(definition.kind)
    stores = build_stores(config)
    run_log = _new_run_log(definition, config, choose_run_id(run_id), tag, parameters_file, source)
    _check_parallel_store(executor.config, stores[0])
    task_runner = _task_runner(config, definition.kind, stores[0])  # checks Docker and images before anything is written
    stores[0].create_run(run_log, to_json(definition))
    return _execute(definition, config, run_log, stores, {}, verbosity, task_runner)


def retry_run(run_id: str, config: Config, *, log_level: str = "WARNING", tag: str = "",
              check_source: Callable[[RunLog], None] | None = None) -> RunLog:
    """Run a failed run again in place: same id, same parameters, succeeded steps skipped.

    The stored IR is what runs again. ``check_source`` refuses a run whose definition
    no longer compiles to the same IR (the CLI's reads the run's file; a script retried
    through ``RUNNABLE_RETRY_RUN_ID`` compares its own definition): a changed pipeline is
    not mixed with the records of the old one. Everything is checked before anything is written.
    """
    from runnable.ir.serialize import loads
    from runnable.stores.records import SUCCESS

    verbosity = _verbosity(log_level)
    stores = build_stores(config)
    store = stores[0]
    run_log = store.get_run(run_id)
    if run_log.status == SUCCESS:
        raise RunnableError(f"Run {run_id!r} succeeded; there is nothing to retry.")
    definition = loads(store.get_ir(run_id), f"the stored IR of run {run_id!r}")
    if check_source is not None:
        check_source(run_log)
    _check_parallel_store(config.require_executor(definition.kind).config, store)
    task_runner = _task_runner(config, definition.kind, store)
    run_log.tag = tag or run_log.tag
    run_log.retries += 1
    return _resume(definition, config, run_log, stores, verbosity, task_runner)


def _resume(definition: Definition, config: Config, run_log: RunLog, stores: tuple[Any, Any, Any], verbosity: int,
            task_runner: Any = None) -> RunLog:
    """Run an existing run again in place: succeeded steps are skipped, its ending is decided again."""
    previous = _reopen(run_log, stores[0])
    return _execute(definition, config, run_log, stores, previous, verbosity, task_runner)


def _reopen(run_log: RunLog, store: Any) -> dict[str, StepLog]:
    """Mark a run as running again (its ending forgotten); returns the records of its steps."""
    from runnable.stores.records import PROCESSING

    previous = run_log.steps
    for name, step in previous.items():
        kind = NODE_CLASSES.get(step.type)
        if kind is not None and kind.terminal:
            store.remove_step(run_log.run_id, name)
    run_log.steps = {}
    run_log.status = PROCESSING
    run_log.end_time = ""
    run_log.parameters = dict(run_log.initial_parameters)
    store.put_run(run_log)
    return previous


def _run_all(definition: Definition, config: Config, run_log: RunLog, stores: tuple[Any, Any, Any],
             verbosity: int, reopened: bool) -> tuple[int, str]:
    from runnable.stores.records import SUCCESS

    if run_log.status != SUCCESS:
        run_log.retries += 1 if run_log.steps and not reopened else 0  # a pod started again after a crash
        run_log = _resume(definition, config, run_log, stores, verbosity)
    return (0 if run_log.status == SUCCESS else 1), run_log.status


def _new_run_log(definition: Definition, config: Config, run_id: str, tag: str, parameters_file: str,
                 source: str = "") -> RunLog:
    """The header of a new run: its identity, where it came from and its first parameters."""
    from runnable.ir.serialize import content_hash
    from runnable.runtime.parameters import initial_parameters
    from runnable.stores.records import PROCESSING, now

    params = initial_parameters(parameters_file or None)
    return RunLog(
        run_id=run_id,
        kind=definition.kind,
        status=PROCESSING,
        name=definition.name,
        tag=tag or os.environ.get("RUNNABLE_RUN_TAG", ""),
        ir_hash=content_hash(definition),
        start_time=now(),
        initial_parameters=params,
        parameters=dict(params),
        executor=config.executor_for(definition.kind).type,
        source=source,
    )


def _execute(
    definition: Definition, config: Config, run_log: RunLog, stores: tuple[Any, Any, Any],
    previous: dict[str, StepLog], verbosity: int, task_runner: Any = None,
) -> RunLog:
    from runnable.runtime.context import RunContext
    from runnable.runtime.identity import GitProbe
    from runnable.runtime.local import run_job, run_pipeline
    from runnable.stores.records import FAIL, now

    started = time.perf_counter()
    store, catalog, secrets = stores
    executor = config.executor_for(definition.kind)
    git = GitProbe()
    ctx = RunContext(
        definition=definition,
        run_log=run_log,
        store=store,
        catalog=catalog,
        secrets=secrets,
        parameters=dict(run_log.parameters),
        object_serialisation=executor.config.get("object_serialisation", True),
        verbosity=verbosity,
        previous_steps=previous,
        patches=executor.config.get("patches", {}) if executor.type == "mocked" else None,
        mock_job=definition.kind == "job" and executor.config.get("mock") is True,
        parallel_workers=_workers(executor.config),
        task_runner=task_runner,
    )
    status = FAIL
    try:
        with tracing.traced(definition.kind):
            events.emit(events.RUN_STARTED, run_log.run_id, total=_task_count(definition), detail=definition.name)
            try:
                status = run_job(ctx) if definition.kind == "job" else run_pipeline(ctx)
            finally:
                events.emit(events.RUN_FINISHED, run_log.run_id, status=status)
    finally:
        run_log.status = status
        run_log.end_time = now()
        run_log.parameters = ctx.parameters
        run_log.code_identity = git.result()
        store.put_run(run_log)
        store.close()
        if task_runner is not None and hasattr(task_runner, "close"):
            task_runner.close()
    result = store.get_run(run_log.run_id)
    seconds = time.perf_counter() - started
    what = "retry of" if run_log.retries else definition.kind
    print(
        f"runnable: {what} run {run_log.run_id} {status} in {seconds:.2f}s "
        f"({len(result.steps)} steps); {_where_kept(store, run_log.run_id)}",
        file=sys.stderr,
        flush=True,
    )
    return result


def _task_count(definition: Definition) -> int:
    """Task steps in the definition, composites' branches counted once (items and iterations are not known)."""
    from runnable.ir.model import TaskNode

    if definition.job is not None:
        return 1
    graphs, count = [definition.graph], 0
    while graphs:
        graph = graphs.pop()
        for node in graph.nodes.values() if graph is not None else ():
            count += isinstance(node, TaskNode)
            graphs.extend(node.graphs().values())
    return count


def _where_kept(store: Any, run_id: str) -> str:
    if getattr(store, "persistent", True):
        return f"details: runnable show {run_id}"
    return "the run was not stored (the 'buffered' run-log store keeps it in memory only)"


def _task_runner(config: Config, kind: str, store: Any) -> Any:
    """Who runs each task: this process (None), or the executor's target's runner (a container or a
    fresh process per task)."""
    import importlib

    from runnable.compiler.base import target_for_executor

    module = target_for_executor(config.executor_for(kind).type).runner
    return importlib.import_module(module).runner_for(config, kind, store) if module else None


def _verbosity(log_level: str) -> int:
    from runnable.runtime.context import LOG_LEVELS

    if log_level.upper() not in LOG_LEVELS:
        raise ConfigError(f"Unknown log level {log_level!r}; use one of {', '.join(LOG_LEVELS)}.")
    return LOG_LEVELS[log_level.upper()]


def _workers(executor_config: dict[str, Any]) -> int:
    if not executor_config.get("enable_parallel"):
        return 0
    return int(executor_config.get("max_workers") or os.cpu_count() or 2)


def _check_parallel_store(executor_config: dict[str, Any], store: Any) -> None:
    from runnable.stores.run_log import MemoryRunLogStore

    if _workers(executor_config) and isinstance(store, MemoryRunLogStore):
        raise ConfigError(
            "enable_parallel runs branches in worker processes, which cannot share the in-memory "
            "('buffered') run-log store; use run-log-store type 'file-system'."
        )


def execute_step(
    ir_path: str,
    run_id: str,
    config: Config,
    *,
    step: str = "",
    start: bool = False,
    finish: bool = False,
    decide: bool = False,
    run_all: bool = False,
    single_attempt: bool = False,
    parameters_file: str = "",
    tag: str = "",
    log_level: str = "WARNING",
) -> tuple[int, Any]:
    """The one entrypoint of every container: start a run, run one step, decide, finish, or run it all.

    Returns (exit code, payload): the step's status, the composite's decision, or the
    run's final status. The run's state is read from and written to the configured
    stores only, so any number of containers can share one run. ``run_all`` runs the
    whole definition in this process (a Kubernetes Job's single pod); a pod started
    again after a crash resumes the run, skipping the steps that succeeded.
    """
    from runnable.ir.serialize import content_hash, loads
    from runnable.runtime.context import RunContext
    from runnable.runtime.local import GraphWalker, TargetReached
    from runnable.runtime.scope import Scope
    from runnable.stores.records import FAIL, SUCCESS, now

    try:
        with open(ir_path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise RunnableError(f"Cannot read the IR file {ir_path!r}: {exc.strerror}.") from None
    definition = loads(text, ir_path)
    verbosity = _verbosity(log_level)
    stores = build_stores(config)
    store = stores[0]
    if start or run_all:
        reopened = _start_run(definition, store, run_id, text, parameters_file, tag, config)
        if run_all:
            return _run_all(definition, config, store.get_run(run_id), stores, verbosity, reopened)
        return 0, None
    run_log = store.get_run(run_id)
    if run_log.ir_hash != content_hash(definition):
        raise RunnableError(f"{ir_path!r} is not the definition run {run_id!r} was started with (IR hash differs).")
    executor = config.executor_for(definition.kind)
    ctx = RunContext(
        definition=definition, run_log=run_log, store=store, catalog=stores[1], secrets=stores[2],
        parameters=dict(run_log.initial_parameters), verbosity=verbosity, previous_steps=run_log.steps,
        object_serialisation=True, parallel_workers=_workers(executor.config), single_attempt=single_attempt,
    )
    if finish and run_log.status in (SUCCESS, FAIL):
        return (0 if run_log.status == SUCCESS else 1), run_log.status  # finished already: change nothing
    if definition.kind == "job":
        return _execute_job_step(ctx, step, finish)
    graph = definition.graph
    assert graph is not None
    if finish:
        status = GraphWalker(ctx, finish=True).run(graph, "", Scope(ctx.parameters), top=True)
        run_log.status, run_log.end_time, run_log.parameters = status, now(), ctx.parameters
        store.put_run(run_log)
        return (0 if status == SUCCESS else 1), status
    if not step:
        raise RunnableError("execute-step needs --step NAME, --start or --finish.")
    from runnable.ir.names import unquote_step_path

    step = unquote_step_path(step)
    _check_step_path(graph, step)
    walker = GraphWalker(ctx, target=step)
    if decide:
        from runnable.runtime.composites import decision

        walker.on_target = lambda node, internal, scope: decision(walker, node, internal, scope)
    try:
        with tracing.traced("step"):  # a span under the caller's (TRACEPARENT), when tracing is on
            events.emit(events.STEP_STARTED, run_id, step, detail="decide" if decide else "step")
            try:
                walker.run(graph, "", Scope(ctx.parameters), top=True)
            except TargetReached as reached:
                events.emit(events.STEP_FINISHED, run_id, step, reached.status)
                raise
    except TargetReached as reached:
        if decide:
            return 0, reached.status
        return (0 if reached.status == SUCCESS else 1), reached.status
    from runnable.runtime.local import NotOnPathError

    raise NotOnPathError(f"Step {step!r} is not on the path run {run_id!r} took; it does not run.")


def write_decision(payload: dict[str, Any], folder: str) -> None:
    """One file per decision field, for orchestrators that read outputs from files (Argo).

    Strings are written as they are, everything else as JSON (``true``, ``[0, 1]``).
    """
    import json

    os.makedirs(folder, exist_ok=True)
    for key, value in payload.items():
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        with open(os.path.join(folder, key), "w", encoding="utf-8") as handle:
            handle.write(text)


def pick_run_id(run_id: str, default_run_id: str) -> str:
    """The run id given, else the orchestrator's own (an Argo workflow's name)."""
    chosen = run_id or default_run_id
    if not chosen:
        raise RunnableError("execute-step needs --run-id (or --default-run-id).")
    return chosen


def _check_step_path(graph: Graph, step: str) -> None:
    """Refuse a step name the definition does not have, before replaying anything.

    Inside composites the path alternates step names with branch keys, map item
    numbers or loop iteration numbers: ``outer.3.fan.maps.inner.2.square``.
    """
    parts = step.split(".")
    index = 0
    while True:
        name = parts[index] if index < len(parts) else ""
        node = graph.nodes.get(name)
        if node is None:
            raise RunnableError(f"Step {step!r}: the definition has no step {name!r} there.")
        if index == len(parts) - 1:
            return
        key = parts[index + 1]
        if isinstance(node, (MapNode, LoopNode)) and key.isdigit():
            graph = node.branch
        elif isinstance(node, (ParallelNode, ConditionalNode)) and key in node.graphs():
            graph = node.graphs()[key]
        else:
            raise RunnableError(f"Step {step!r}: {node.type} step {name!r} has no branch {key!r}.")
        index += 2


def _start_run(definition: Definition, store: Any, run_id: str, text: str, parameters_file: str, tag: str,
               config: Config) -> bool:
    """Create the run if it does not exist yet; starting twice with the same IR is harmless.

    A run that failed and is started again (a workflow resubmitted with its run id) is
    reopened, as ``runnable retry`` does: its succeeded steps will not run again. Returns
    whether it was reopened.
    """
    from runnable.ir.errors import RunNotFoundError
    from runnable.ir.serialize import content_hash

    try:
        existing = store.get_run(run_id)
    except RunNotFoundError:
        existing = None
    if existing is not None:
        if existing.ir_hash != content_hash(definition):
            raise RunnableError(f"Run {run_id!r} exists with a different definition; choose another run id.")
        if existing.status != "FAIL":
            return False
        existing.retries += 1
        _reopen(existing, store)
        return True
    store.create_run(_new_run_log(definition, config, run_id, tag, parameters_file), text)
    return False


def _execute_job_step(ctx: Any, step: str, finish: bool) -> tuple[int, Any]:
    from runnable.runtime.local import JOB_STEP, run_job
    from runnable.stores.records import FAIL, SUCCESS, now

    if finish:
        recorded = ctx.previous_steps.get(JOB_STEP)
        status = recorded.status if recorded is not None else FAIL
        parameters = dict(ctx.parameters)
        if recorded is not None and recorded.attempts:
            parameters.update(recorded.attempts[-1].output_parameters)
        ctx.run_log.status, ctx.run_log.end_time, ctx.run_log.parameters = status, now(), parameters
        ctx.store.put_run(ctx.run_log)
        return (0 if status == SUCCESS else 1), status
    if step not in ("", JOB_STEP):
        raise RunnableError(f"A job has one step, {JOB_STEP!r}; got {step!r}.")
    status = run_job(ctx)
    return (0 if status == SUCCESS else 1), status
