"""``runnable status``, ``logs`` and a cluster run's ``retry``: the run-log store first, then the cluster.

A run in the configured run-log store is read from there (local, container and compose runs; cluster runs
whose store is reachable from here). A run that the store does not hold, or that a cluster executor ran, is
looked up on the cluster through the kubeconfig, so runs submitted earlier without ``--wait`` can be
followed, inspected and retried from the laptop that submitted them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable

from runnable.ir.errors import RunNotFoundError

SAY = Callable[[str], None]
_STORE_PHASES = {"SUCCESS": "Succeeded", "FAIL": "Failed", "PROCESSING": "Running", "CREATED": "Pending"}


@dataclass
class ClusterOptions:
    """Where to look on a cluster (each empty: the kubeconfig's defaults)."""

    namespace: str | None = None
    context: str | None = None
    kubeconfig: str | None = None


def stored_run(run_id: str, config: Any) -> Any:
    """The run as the store has it, or None."""
    from runnable.stores.build import open_store

    try:
        return open_store(config).get_run(run_id)
    except RunNotFoundError:
        return None


def ran_on_cluster(run_log: Any) -> bool:
    from runnable.compiler.base import target_for_executor
    from runnable.ir.errors import DefinitionError

    try:
        return target_for_executor(run_log.executor).submits
    except DefinitionError:
        return False


def _cluster(options: ClusterOptions, run_id: str, stored: bool = False) -> tuple[Any, Any, Any]:
    """(api, the client to close, the run found on the cluster)."""
    from runnable.apply.cluster import Api, ClusterError, connect
    from runnable.apply.runs import find_run

    try:
        client, context_namespace = connect(options.kubeconfig, options.context)
    except ClusterError as exc:
        if stored:
            raise
        raise RunNotFoundError(f"No run with id {run_id!r} in the run-log store, and no cluster to look for it "
                               f"in ({exc})") from None
    api = Api(client)
    try:
        return api, client, find_run(api, options.namespace or context_namespace or "default", run_id)
    except BaseException:
        client.close()
        raise


def status(run_id: str, config: Any, options: ClusterOptions, as_json: bool, say: SAY) -> int:
    """Phase, steps done and the failed step; 0 when found."""
    from runnable.apply.cluster import ClusterError
    from runnable.apply.runs import summarise

    run_log = stored_run(run_id, config)
    if run_log is not None and not ran_on_cluster(run_log):
        data = _store_summary(run_log)
        say(json.dumps(data, indent=2) if as_json else "\n".join(_store_lines(data)))
        return 0
    try:
        _, client, run = _cluster(options, run_id, run_log is not None)
    except (RunNotFoundError, ClusterError):
        if run_log is None:
            raise
        data = _store_summary(run_log)  # a cluster run out of reach or gone: the store still tells it
        say(json.dumps(data, indent=2) if as_json else "\n".join(_store_lines(data)))
        return 0
    client.close()
    summary = summarise(run)
    say(json.dumps(summary.to_dict(), indent=2) if as_json else "\n".join(summary.lines()))
    return 0


def _store_summary(run_log: Any) -> dict[str, Any]:
    steps = list(run_log.steps.values())
    return {
        "run_id": run_log.run_id, "object": f"run-log store ({run_log.executor})", "namespace": "",
        "phase": _STORE_PHASES.get(run_log.status, run_log.status), "message": "",
        "steps_done": sum(1 for s in steps if s.status == "SUCCESS"), "steps_seen": len(steps),
        "failed_steps": [s.internal_name for s in steps if s.status == "FAIL"],
        "steps": [{"name": s.internal_name, "phase": _STORE_PHASES.get(s.status, s.status),
                   "attempts": len(s.attempts), "message": s.message} for s in steps],
    }


def _store_lines(data: dict[str, Any]) -> list[str]:
    lines = [f"run {data['run_id']}  {data['object']}", f"phase    {data['phase']}",
             f"steps    {data['steps_done']} done of {data['steps_seen']} started"]
    if data["failed_steps"]:
        lines.append(f"failed   {', '.join(data['failed_steps'])}")
    for step in data["steps"]:
        extra = f"  ({step['attempts']} attempts)" if step["attempts"] > 1 else ""
        lines.append(f"  {step['phase']:<9} {step['name']}{extra}")
    return lines


def logs(run_id: str, config: Any, options: ClusterOptions, step: str, follow: bool, timeout: float,
         say: SAY) -> int:
    """The run's output: step logs from the catalog, or the pods' logs from the cluster."""
    from runnable.apply.cluster import ClusterError
    from runnable.apply.runs import show_logs

    run_log = stored_run(run_id, config)
    if run_log is not None and not ran_on_cluster(run_log):
        return _stored_logs(run_id, config, step, follow, timeout, say)
    try:
        api, client, run = _cluster(options, run_id, run_log is not None)
    except (RunNotFoundError, ClusterError):
        if run_log is None:
            raise
        return _stored_logs(run_id, config, step, follow, timeout, say)
    try:
        return show_logs(api, run, step=step, follow=follow, timeout=timeout, say=say)
    finally:
        client.close()


def _stored_logs(run_id: str, config: Any, step: str, follow: bool, timeout: float, say: SAY,
                 poll_seconds: float = 0.5) -> int:
    """Each step's saved output in run order; with ``follow``, new steps' output until the run ends."""
    from runnable.ir.errors import RunnableError
    from runnable.stores.build import build_stores

    store, catalog, _ = build_stores(config)
    shown: set[str] = set()
    deadline = time.monotonic() + timeout
    while True:
        run_log = store.get_run(run_id)
        if step and step not in run_log.steps and run_log.status not in ("PROCESSING", "CREATED"):
            names = ", ".join(run_log.steps) or "none"
            raise RunnableError(f"--step {step!r}: run {run_id} has no such step; its steps: {names}.")
        for name, record in run_log.steps.items():
            if (step and name != step) or record.status == "PROCESSING":
                continue
            for number in range(1, len(record.attempts) + 1):
                log_name = f"{name}{'' if number == 1 else f'.attempt{number}'}.execution.log"
                if log_name in shown:
                    continue
                shown.add(log_name)
                text = catalog.get_text(run_id, log_name)
                if text:
                    label = name if number == 1 else f"{name} (attempt {number})"
                    for line in text.rstrip("\n").split("\n"):
                        say(f"[{label}] {line}")
        if not follow or run_log.status not in ("PROCESSING", "CREATED"):
            return 1 if run_log.status == "FAIL" else 0
        if time.monotonic() > deadline:
            raise RunnableError(f"Timed out after {timeout:g}s following run {run_id}; it is still running.")
        time.sleep(poll_seconds)


def retry_on_cluster(run_id: str, config: Any, options: ClusterOptions, wait: bool, timeout: float,
                     say: SAY) -> int | None:
    """Resubmit a cluster run; None when the run is not a cluster run (retry it here instead)."""
    from runnable.apply.cluster import wait_for
    from runnable.apply.runs import resubmit

    run_log = stored_run(run_id, config)
    if run_log is not None and not ran_on_cluster(run_log):
        return None
    try:
        api, client, run = _cluster(options, run_id, run_log is not None)
    except RunNotFoundError:
        if run_log is None:
            raise
        raise RunNotFoundError(f"Run {run_id} ran on a cluster ({run_log.executor}), but no Workflow or Job of it "
                               "was found there any more; apply its rendered folder again with "
                               f"`runnable apply DIR --run-id {run_id}`.") from None
    try:
        target = resubmit(api, run, say=say)
        if not wait:
            say(f"Resubmitted run {run_id} as {target.ref}; follow it with `runnable logs {run_id} --follow`.")
            return 0
        return wait_for(api, [target], timeout=timeout, poll_seconds=2.0, say=say)
    finally:
        client.close()
