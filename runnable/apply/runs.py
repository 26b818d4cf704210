"""Cluster runs seen from a laptop: find one by its run id, tell its state, show its logs, submit it again.

A run submitted earlier (``runnable apply`` without ``--wait``, ``execute()``, a CronJob) is found by the
run-id label put on the Workflow or Job at submit time, else by Argo's default (the run id is the Workflow's
name) or a Job's (``<job name>-<job uid>``). Steps are read from the Workflow's node status: each pod of the
shared ``step`` template carries the step's internal name as its ``step`` input, so no run log needs to be
reachable. The newest object wins when a run was submitted more than once (a retry).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote

from runnable.apply.cluster import (
    FAILED, POD_SELECTOR, SUCCEEDED, Api, ClusterError, Target, Watched, job_phase, stream_logs, wait_for,
    workflow_phase,
)
from runnable.apply.manifests import JOB_RUN_ID, LABEL_VALUE, RUN_ID_LABEL, job_containers, label_run
from runnable.ir.errors import RunnableError, RunNotFoundError

NODE_ID_ANNOTATION = "workflows.argoproj.io/node-id"
_SERVER_LABELS = ("controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name")
_DONE = (SUCCEEDED, FAILED)


class ClusterRunNotFoundError(RunNotFoundError):
    """No Workflow or Job of that run id in the namespace."""


@dataclass
class StepState:
    """One step of a cluster run as Argo's node status tells it."""

    name: str
    phase: str
    attempts: int = 1
    message: str = ""


@dataclass
class ClusterRun:
    """The newest Workflow or Job that ran one run id."""

    run_id: str
    target: Target
    obj: dict[str, Any]

    @property
    def phase(self) -> str:
        return (job_phase if self.target.kind == "Job" else workflow_phase)(self.obj)[0]

    @property
    def message(self) -> str:
        return (job_phase if self.target.kind == "Job" else workflow_phase)(self.obj)[1]

    @property
    def finished(self) -> bool:
        return self.phase in _DONE


@dataclass
class Summary:
    """What ``runnable status`` prints for a cluster run."""

    run: ClusterRun
    steps: list[StepState] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        failed = [s.name for s in self.steps if s.phase in (FAILED, "Error")]
        return {
            "run_id": self.run.run_id, "object": self.run.target.ref, "namespace": self.run.target.namespace,
            "phase": self.run.phase, "message": self.run.message,
            "steps_done": sum(1 for s in self.steps if s.phase == SUCCEEDED), "steps_seen": len(self.steps),
            "failed_steps": failed,
            "steps": [{"name": s.name, "phase": s.phase, "attempts": s.attempts, "message": s.message}
                      for s in self.steps],
        }

    def lines(self) -> list[str]:
        data = self.to_dict()
        lines = [f"run {data['run_id']}  {data['object']} in namespace {data['namespace']}",
                 f"phase    {data['phase']}" + (f"  ({data['message']})" if data["message"] else "")]
        if self.run.target.kind == "Job":
            lines.append("steps    the Job runs the whole pipeline in one pod; `runnable show` with the run's "
                         "object store lists its steps")
            return lines
        lines.append(f"steps    {data['steps_done']} done of {data['steps_seen']} started")
        if data["failed_steps"]:
            lines.append(f"failed   {', '.join(data['failed_steps'])}")
        for step in self.steps:
            extra = f"  ({step.attempts} attempts)" if step.attempts > 1 else ""
            lines.append(f"  {step.phase:<9} {step.name}{extra}")
        return lines


# ------------------------------------------------------------------------------------------- finding


def find_run(api: Api, namespace: str, run_id: str) -> ClusterRun:
    """The newest Workflow or Job of ``run_id`` in ``namespace``; :class:`ClusterRunNotFoundError` when none."""
    candidates: list[tuple[tuple[str, int], Target, dict[str, Any]]] = []
    for kind in ("Workflow", "Job"):
        for obj in _list(api, kind, namespace, f"{RUN_ID_LABEL}={run_id}" if LABEL_VALUE.match(run_id) else ""):
            if _run_id_of(obj) == run_id:
                candidates.append((_created(obj), Target(kind, obj["metadata"]["name"], namespace), obj))
    if not candidates:
        workflow = _get(api, Target("Workflow", run_id, namespace))
        if workflow is not None and _run_id_of(workflow) == run_id:
            candidates.append((_created(workflow), Target("Workflow", run_id, namespace), workflow))
    if not candidates:
        for job in _list(api, "Job", namespace, "app.kubernetes.io/managed-by=runnable"):
            if _run_id_of(job) == run_id:
                candidates.append((_created(job), Target("Job", job["metadata"]["name"], namespace), job))
    if not candidates:
        raise ClusterRunNotFoundError(f"No Argo Workflow or Kubernetes Job of run {run_id!r} in namespace {namespace} "
                               f"on {api.host}. Check the run id (`runnable runs` lists local ones) and the "
                               "namespace (-n).")
    _, target, obj = max(candidates, key=lambda c: (c[0], c[1].name))
    return ClusterRun(run_id, target, _get(api, target) or obj)  # read on its own: the freshest status


def _run_id_of(obj: dict[str, Any]) -> str:
    """The run id an object runs: its label, its Workflow argument, else Argo's or the Job's default."""
    metadata = obj.get("metadata") or {}
    labelled = (metadata.get("labels") or {}).get(RUN_ID_LABEL)
    if labelled:
        return str(labelled)
    if obj.get("kind") == "Workflow":
        for parameter in ((obj.get("spec") or {}).get("arguments") or {}).get("parameters") or []:
            if parameter.get("name") == "run_id" and parameter.get("value"):
                return str(parameter["value"])
        return str(metadata.get("name") or "")
    for container in job_containers(obj):
        args = container.get("args") or []
        if "--run-id" in args and args.index("--run-id") + 1 < len(args):
            given = args[args.index("--run-id") + 1]
            if given != JOB_RUN_ID:
                return str(given)
    return f"{metadata.get('name')}-{metadata.get('uid')}"


def _created(obj: dict[str, Any]) -> tuple[str, int]:
    """When it was created; objects of one second are told apart by their resourceVersion (etcd's revision)."""
    metadata = obj.get("metadata") or {}
    version = str(metadata.get("resourceVersion") or "")
    return str(metadata.get("creationTimestamp") or ""), int(version) if version.isdigit() else 0


def _list(api: Api, kind: str, namespace: str, selector: str) -> list[dict[str, Any]]:
    probe = Target(kind, "*", namespace)
    query = [("labelSelector", selector)] if selector else []
    try:
        listing = api.call("GET", probe.collection(), probe, "list", query=query) or {}
    except ClusterError as exc:
        if exc.status == 404:  # Argo not installed: no Workflows to find
            return []
        raise
    items = listing.get("items") or []
    for item in items:  # lists leave kind out of their items
        item.setdefault("kind", kind)
    return items


def _get(api: Api, target: Target) -> dict[str, Any] | None:
    try:
        found = api.call("GET", target.path(), target, "get")
    except ClusterError as exc:
        if exc.status == 404:
            return None
        raise
    return found if isinstance(found, dict) else None


# -------------------------------------------------------------------------------------------- status


def summarise(run: ClusterRun) -> Summary:
    """The run's phase and, for Workflows, each step's phase and attempts from the node status."""
    if run.target.kind != "Workflow":
        return Summary(run)
    steps: dict[str, StepState] = {}
    nodes = sorted(((run.obj.get("status") or {}).get("nodes") or {}).values(),
                   key=lambda n: (str(n.get("startedAt") or ""), str(n.get("id") or "")))
    for node in nodes:
        name = _step_of(node)
        if node.get("type") != "Pod" or not name:
            continue
        phase = str(node.get("phase") or "Pending")
        known = steps.get(name)
        if known is None:
            steps[name] = StepState(name, phase, 1, str(node.get("message") or ""))
        else:
            known.attempts += 1
            known.phase, known.message = phase, str(node.get("message") or "")
    return Summary(run, list(steps.values()))


def _step_of(node: dict[str, Any]) -> str:
    """The runnable step a node ran: the ``step`` input of the shared step template."""
    for parameter in ((node.get("inputs") or {}).get("parameters") or []):
        if parameter.get("name") == "step" and parameter.get("value"):
            return unquote(str(parameter["value"]))
    return ""


# ---------------------------------------------------------------------------------------------- logs


def show_logs(api: Api, run: ClusterRun, *, step: str = "", follow: bool = False, timeout: float = 3600.0,
              poll_seconds: float = 2.0, say: Callable[[str], None] = print) -> int:
    """Print the run's pod logs (one step's with ``step``); with ``follow``, until it ends. 0 unless it failed."""
    chosen: Callable[[dict[str, Any]], bool] | None = None
    if step:
        if run.target.kind == "Job":
            raise RunnableError(f"--step: a Kubernetes Job runs the whole pipeline in one pod, so its log holds "
                                f"every step; run `runnable logs {run.run_id}` without --step, or read the step's "
                                "log from the run's catalog.")
        chosen = _pods_of_step(api, run, step)
    if follow:
        return wait_for(api, [run.target], timeout=timeout, poll_seconds=poll_seconds, say=say, pods=chosen)
    item = Watched(run.target, pods=chosen)
    stream_logs(api, item, say, final=True)
    return 1 if run.phase == FAILED else 0


def _pods_of_step(api: Api, run: ClusterRun, step: str) -> Callable[[dict[str, Any]], bool]:
    """A filter on pods: those whose Argo node ran ``step`` (read again on each call while following)."""
    state = {"obj": run.obj}

    def nodes() -> set[str]:
        status = (state["obj"].get("status") or {}).get("nodes") or {}
        return {node_id for node_id, node in status.items() if _step_of(node) == step}

    known = {name for name in (_step_of(n) for n in ((run.obj.get("status") or {}).get("nodes") or {}).values())
             if name}
    if run.finished and step not in known:
        raise RunnableError(f"--step {step!r}: no pod of run {run.run_id} ran that step"
                            + (f"; its steps: {', '.join(sorted(known))}." if known else "."))

    def chosen(pod: dict[str, Any]) -> bool:
        node_id = ((pod.get("metadata") or {}).get("annotations") or {}).get(NODE_ID_ANNOTATION, "")
        wanted = nodes()
        if node_id not in wanted and not run.finished:
            state["obj"] = _get(api, run.target) or state["obj"]  # a new pod: its node may be new too
            wanted = nodes()
        return node_id in wanted

    return chosen


# --------------------------------------------------------------------------------------------- retry


def resubmit(api: Api, run: ClusterRun, *, say: Callable[[str], None] = print) -> Target:
    """Submit a failed run again under its run id: its succeeded steps are skipped inside the pods."""
    if not run.finished:
        raise RunnableError(f"Run {run.run_id} is still {run.phase} ({run.target.ref} in namespace "
                            f"{run.target.namespace}); wait for it to end (`runnable logs {run.run_id} --follow`) "
                            "before retrying it.")
    if run.phase == SUCCEEDED:
        raise RunnableError(f"Run {run.run_id} succeeded ({run.target.ref}); there is nothing to retry.")
    again = _workflow_again(run) if run.target.kind == "Workflow" else _job_again(run)
    label_run([again], run.run_id)
    return api.send(again, run.target.namespace, False, say)


def _fresh_metadata(obj: dict[str, Any], generate: str) -> dict[str, Any]:
    metadata = obj.get("metadata") or {}
    labels = {k: v for k, v in (metadata.get("labels") or {}).items()
              if k not in _SERVER_LABELS and not k.startswith("workflows.argoproj.io/")}
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items()
                   if not k.startswith(("kubectl.kubernetes.io/", "workflows.argoproj.io/"))}
    fresh: dict[str, Any] = {"generateName": generate, "labels": labels}
    if annotations:
        fresh["annotations"] = annotations
    return fresh


def _workflow_again(run: ClusterRun) -> dict[str, Any]:
    old = run.obj
    metadata = old.get("metadata") or {}
    generate = metadata.get("generateName") or f"{metadata.get('name')}-"
    spec = copy.deepcopy(old.get("spec") or {})
    parameters = spec.setdefault("arguments", {}).setdefault("parameters", [])
    for parameter in parameters:
        if parameter.get("name") == "run_id":
            parameter["value"] = run.run_id
            break
    else:
        parameters.append({"name": "run_id", "value": run.run_id})
    return {"apiVersion": old.get("apiVersion", "argoproj.io/v1alpha1"), "kind": "Workflow",
            "metadata": _fresh_metadata(old, generate), "spec": spec}


def _job_again(run: ClusterRun) -> dict[str, Any]:
    old = run.obj
    name = str((old.get("metadata") or {}).get("name") or "runnable")
    spec = copy.deepcopy(old.get("spec") or {})
    spec.pop("selector", None)  # the API server makes a new one for the new Job
    template_meta = (spec.get("template") or {}).get("metadata") or {}
    template_meta["labels"] = {k: v for k, v in (template_meta.get("labels") or {}).items()
                               if k not in _SERVER_LABELS}
    job = {"apiVersion": old.get("apiVersion", "batch/v1"), "kind": "Job",
           "metadata": _fresh_metadata(old, f"{name[:50]}-retry-"), "spec": spec}
    for container in job_containers(job):
        args = list(container.get("args") or [])
        if "--run-id" in args and args.index("--run-id") + 1 < len(args):
            args[args.index("--run-id") + 1] = run.run_id
        container["args"] = args
    return job
