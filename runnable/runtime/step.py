"""Run one task: catalog get, the task itself, returns, catalog put, and its record.

Every target runs steps through here, so parameters, catalog files and statuses come
out the same wherever the step was scheduled. A step's parameters reach the run only
after the whole step succeeded: a failed attempt changes nothing.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from runnable.ir.errors import ParameterError, RunnableError
from runnable.ir.model import FailNode, Node, TaskSpec
from runnable.runtime.capture import Masker
from runnable.runtime.context import DEBUG, RunContext
from runnable.runtime.parameters import Parameters, to_json_value
from runnable.runtime import events
from runnable.runtime.scope import Scope
from runnable.runtime.tasks import TaskEnv, runner_for
from runnable.stores.records import FAIL, PROCESSING, SUCCESS, Attempt, StepLog, now

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def run_task_step(ctx: RunContext, name: str, internal_name: str, task: TaskSpec, scope: Scope) -> StepLog:
    """Run ``task`` with up to ``max_attempts`` attempts and record every attempt.

    When a failed run is retried, a step that failed keeps its earlier attempts and gets
    new ones numbered after them (steps that succeeded are skipped by the walker).
    """
    previous = ctx.previous_steps.get(internal_name)
    ctx.say(f"  {internal_name}: running")
    step = StepLog(name=name, internal_name=internal_name, type="task", status=PROCESSING,
                   attempts=list(previous.attempts) if previous else [])
    first = len(step.attempts) + 1
    attempts = 1 if ctx.single_attempt else task.max_attempts
    for number in range(first, first + attempts):
        if number > first and task.backoff_seconds:
            time.sleep(task.backoff_seconds * task.backoff_factor ** (number - first - 1))
        events.emit(events.ATTEMPT_STARTED, ctx.run_id, internal_name, attempt=number)
        attempt, outputs, entries = _attempt(ctx, name, internal_name, task, number, scope)
        events.emit(events.ATTEMPT_FINISHED, ctx.run_id, internal_name, attempt.status, attempt=number)
        step.attempts.append(attempt)
        step.catalog.extend(entries)
        if attempt.status == SUCCESS:
            scope.update(outputs)
            step.status = SUCCESS
            step.message = ""
            break
        step.status = FAIL
        step.message = attempt.message
        if number < first + attempts - 1:
            ctx.say(f"  {internal_name}: attempt {number} failed, retrying")
    ctx.store.put_step(ctx.run_id, step)
    ctx.say(f"  {internal_name}: {step.status}")
    return step


def _attempt(
    ctx: RunContext, name: str, internal_name: str, task: TaskSpec, number: int, scope: Scope
) -> tuple[Attempt, Parameters, list[Any]]:
    attempt = Attempt(number=number, status=PROCESSING, start_time=now())
    where = f"Step {name!r}" if ctx.definition.kind == "pipeline" else "Job"
    entries: list[Any] = []
    outputs: Parameters = {}
    mask = Masker([])
    env: TaskEnv | None = None
    try:
        secrets = {s: ctx.secrets.get(s) for s in task.secrets}
        mask = Masker(list(secrets.values()))
        env = TaskEnv(
            where=where,
            run_id=ctx.run_id,
            step_name=internal_name,
            parameters=scope.values,
            load_object=ctx.load_object,
            secrets=secrets,
            mask=mask,
            catalog=ctx.catalog,
            extra_env={**scope.env, **_run_env(ctx, internal_name, number)},
        )
        if task.catalog and task.catalog.get:
            entries.extend(ctx.catalog.get(ctx.run_id, task.catalog.get))
        values = runner_for(task.kind)(task, env)
        attempt.input_parameters = _inputs(scope, env.used)
        # Check everything the step produced before writing any of it: a bad return or a
        # put glob that matches nothing leaves neither objects nor files behind.
        outputs, objects = _prepare_returns(task, values, where, attempt, internal_name)
        sources = ctx.catalog.match_put(task.catalog.put) if task.catalog and task.catalog.put else []
        for file_name, data in objects.items():
            ctx.store_object_bytes(file_name, data)
        if sources:
            entries.extend(ctx.catalog.put_files(ctx.run_id, sources, task.catalog.store_copy))  # type: ignore[union-attr]
        attempt.output_parameters = outputs
        attempt.status = SUCCESS
    except RunnableError as exc:
        attempt.status = FAIL
        attempt.metrics = {}
        attempt.message = mask(str(exc))
        _report_failure(attempt.message, env)
    except (Exception, KeyboardInterrupt) as exc:
        attempt.status = FAIL
        attempt.metrics = {}
        attempt.message = mask(f"{type(exc).__name__}: {exc}")
        _report_failure(mask(_user_traceback(exc, ctx.verbosity >= DEBUG)), env)
        if isinstance(exc, KeyboardInterrupt):
            raise
    finally:
        attempt.end_time = attempt.end_time or now()
        if env is not None:
            _save_output(ctx, internal_name, number, "".join(env.output))
    return attempt, outputs, entries


def _inputs(scope: Scope, used: list[str] | None) -> Parameters:
    """The parameters the task read: a Python function's arguments, or all for shell/notebook.

    Recording every parameter on every step would make a map over n items write O(n^2).
    """
    names = scope.values if used is None else used
    return {name: scope.values[name] for name in names if name in scope.values}


def _run_env(ctx: RunContext, internal_name: str, number: int) -> dict[str, str]:
    """What runnable exposes to every task about where it runs."""
    return {
        "RUNNABLE_RUN_ID": ctx.run_id,
        "RUNNABLE_RUN_TAG": ctx.run_log.tag,
        "RUNNABLE_STEP_NAME": internal_name,
        "RUNNABLE_STEP_ATTEMPT": str(number),
    }


def _prepare_returns(
    task: TaskSpec, values: dict[str, Any], where: str, attempt: Attempt, internal_name: str
) -> tuple[Parameters, dict[str, bytes]]:
    """Parameter records for the returns, and the pickled objects still to be stored.

    Objects are filed under the step that produced them, so parallel branches and map
    items returning the same name never overwrite each other.
    """
    outputs: Parameters = {}
    objects: dict[str, bytes] = {}
    for spec in task.returns:
        value = values[spec.name]
        if spec.kind == "object":
            file_name = f"objects/{internal_name}/{spec.name}.pickle"
            objects[file_name] = pickled_return(value, spec.name, where)
            outputs[spec.name] = {"kind": "object", "value": file_name}
        else:
            stored = to_json_value(value, spec.name, where)
            outputs[spec.name] = {"kind": spec.kind, "value": stored}
            if spec.kind == "metric":
                attempt.metrics[spec.name] = stored
    return outputs, objects


def pickled_return(value: Any, name: str, where: str) -> bytes:
    """``value`` pickled, or one clear error naming the step and the return (lambdas, closures...)."""
    import pickle

    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # PicklingError, AttributeError ("local object"), TypeError (locks, sockets)
        raise ParameterError(
            f"{where}: return {name!r} ({type(value).__name__}) cannot be pickled: {exc}. Return data pickle can "
            "store: not a lambda, a function defined inside another function, or an open resource."
        ) from None


def _user_traceback(exc: BaseException, full: bool) -> str:
    """The user's frames only: the runtime's own frames are noise to them."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not full:
        frames = traceback.StackSummary.from_list([f for f in frames if not f.filename.startswith(_PACKAGE_DIR)])
    lines = ["Traceback (most recent call last):\n"] + frames.format()
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def _report_failure(text: str, env: TaskEnv | None) -> None:
    line = text if text.endswith("\n") else text + "\n"
    sys.stderr.write(line)
    sys.stderr.flush()
    if env is not None:
        env.output.append(line)


def _save_output(ctx: RunContext, internal_name: str, number: int, text: str) -> None:
    if not text:
        return
    suffix = "" if number == 1 else f".attempt{number}"
    ctx.catalog.put_text(ctx.run_id, f"{internal_name}{suffix}.execution.log", text)


def record_instant(ctx: RunContext, name: str, internal_name: str, node_type: str, status: str,
                   message: str = "", mock: bool = False) -> StepLog:
    """Record a step that ran nothing: one attempt that starts and ends now."""
    stamp = now()
    step = StepLog(name=name, internal_name=internal_name, type=node_type, status=status, message=message, mock=mock,
                   attempts=[Attempt(1, status, stamp, stamp, message)])
    ctx.store.put_step(ctx.run_id, step)
    return step


def record_not_finished(ctx: RunContext, node: Node, internal_name: str) -> StepLog:
    """A step that should have run but left no record: its process died before it could."""
    message = "the step did not finish (its process or container stopped before recording a result)"
    return record_instant(ctx, node.name, internal_name, node.type, FAIL, message)


def record_simple_step(ctx: RunContext, node: Node, internal_name: str) -> StepLog:
    """Stub, success and fail steps: nothing runs, but the run log shows they were reached.

    A reached fail step is recorded as FAIL so the run log reads the way the run ended.
    """
    status = FAIL if isinstance(node, FailNode) else SUCCESS
    return record_instant(ctx, node.name, internal_name, node.type, status)
