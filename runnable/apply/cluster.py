"""Send rendered manifests to a Kubernetes cluster and, on request, wait for them while showing their logs.

Requests go through the official client's ``ApiClient`` as plain HTTP calls on resource paths rather than
through its typed APIs: one code path then serves built-in kinds and the Argo CRDs alike, while the client
still owns authentication (kubeconfig, exec plugins, in-cluster tokens) and TLS. Named objects are sent with
server-side apply, so applying the same files twice changes nothing; objects with only a ``generateName``
(one-off Argo Workflows) are created, because each apply is meant to be a new run. Logs are read by polling,
not by watches, so a dropped connection costs one poll instead of the whole wait.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from runnable.ir.errors import RunnableError

FIELD_MANAGER = "runnable"
APPLY_PATCH = "application/apply-patch+yaml"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
REQUEST_TIMEOUT = (15.0, 60.0)  # connect, read: seconds

RESOURCES: dict[str, tuple[str, str]] = {  # kind -> (API path prefix, plural)
    "ConfigMap": ("/api/v1", "configmaps"),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims"),
    "Job": ("/apis/batch/v1", "jobs"),
    "CronJob": ("/apis/batch/v1", "cronjobs"),
    "Workflow": ("/apis/argoproj.io/v1alpha1", "workflows"),
    "WorkflowTemplate": ("/apis/argoproj.io/v1alpha1", "workflowtemplates"),
    "CronWorkflow": ("/apis/argoproj.io/v1alpha1", "cronworkflows"),
}
WAITED = ("Job", "Workflow")
POD_SELECTOR = {"Job": "job-name", "Workflow": "workflows.argoproj.io/workflow"}
SUCCEEDED, FAILED = "Succeeded", "Failed"


class ClusterError(RunnableError):
    """The cluster could not be reached or refused what was sent to it."""

    status = 0  # the HTTP status the cluster answered with; 0 when it could not be reached

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class WaitTimeoutError(ClusterError):
    """The wait ran out of time; the objects keep running on the cluster."""

    exit_code = 1


@dataclass
class Target:
    """One object on the cluster, as the messages name it."""

    kind: str
    name: str
    namespace: str

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def group(self) -> str:
        prefix = RESOURCES[self.kind][0]
        return prefix.split("/")[2] if prefix.startswith("/apis/") else ""

    @property
    def resource(self) -> str:
        """The resource as RBAC names it, e.g. ``jobs.batch``."""
        plural = RESOURCES[self.kind][1]
        return f"{plural}.{self.group}" if self.group else plural

    def collection(self) -> str:
        prefix, plural = RESOURCES[self.kind]
        return f"{prefix}/namespaces/{self.namespace}/{plural}"

    def path(self) -> str:
        return f"{self.collection()}/{self.name}"


@dataclass
class Watched:
    """What the wait remembers about one Job or Workflow between polls."""

    target: Target
    phase: str = ""
    outcome: bool | None = None  # None while running
    printed: dict[str, int] = field(default_factory=dict)  # "pod/container" -> complete lines already shown
    finished_pods: set[str] = field(default_factory=set)
    logs_denied: bool = False
    pods: Callable[[dict], bool] | None = None  # which pods' logs to show (all when None)
    step_counts: tuple[int, int, int] = (0, 0, 0)  # steps done, running, failed: said when they change


# ----------------------------------------------------------------------------------------------- entry point


def apply_documents(documents: list[dict], *, namespace: str | None = None, kubeconfig: str | None = None,
                    context: str | None = None, dry_run: bool = False, wait: bool = False,
                    timeout: float = 3600.0, poll_seconds: float = 2.0, say: Callable[[str], None] = print,
                    api_client: Any = None) -> int:
    """Apply ``documents`` (ConfigMaps first); with ``wait``, return 0 only if every Job and Workflow succeeded."""
    ordered = _ordered(documents)
    owned = api_client is None
    if owned:
        api_client, context_namespace = connect(kubeconfig, context)
    else:
        context_namespace = None
    api = Api(api_client)
    try:
        sent = [api.send(doc, namespace or _doc_namespace(doc) or context_namespace or "default", dry_run, say)
                for doc in ordered]
        if dry_run:
            say("Server-side dry run: the cluster accepted every object and nothing was changed.")
            return 0
        waited = [target for target in sent if target.kind in WAITED]
        if not wait:
            for target in sent:
                for line in follow_hints(target):
                    say(line)
            return 0
        if not waited:
            say("Nothing to wait for: no Job or Workflow was applied.")
            return 0
        return wait_for(api, waited, timeout=timeout, poll_seconds=poll_seconds, say=say)
    finally:
        if owned:
            api_client.close()


def _ordered(documents: list[dict]) -> list[dict]:
    """Check every document before anything is sent; ConfigMaps go first because the rest may mount them."""
    for index, doc in enumerate(documents):
        if not isinstance(doc, dict):
            raise ClusterError(f"Document {index + 1} is not a Kubernetes object (got {type(doc).__name__}).")
        kind = doc.get("kind")
        if kind not in RESOURCES:
            raise ClusterError(f"Cannot apply document {index + 1}: kind '{kind}' is not one runnable sends. "
                               f"Known kinds: {', '.join(RESOURCES)}.")
        metadata = doc.get("metadata") or {}
        if not metadata.get("name") and not metadata.get("generateName"):
            raise ClusterError(f"Cannot apply document {index + 1} ({kind}): it has neither metadata.name "
                               "nor metadata.generateName.")
        expected = RESOURCES[kind][0].removeprefix("/api/").removeprefix("/apis/")
        if doc.get("apiVersion") != expected:
            raise ClusterError(f"Cannot apply {kind}/{metadata.get('name') or metadata.get('generateName')}: "
                               f"apiVersion is '{doc.get('apiVersion')}', runnable sends {kind} as '{expected}'.")
    return [d for d in documents if d["kind"] == "ConfigMap"] + [d for d in documents if d["kind"] != "ConfigMap"]


def _doc_namespace(doc: dict) -> str | None:
    return (doc.get("metadata") or {}).get("namespace") or None


def follow_hints(target: Target) -> list[str]:
    """How to keep an eye on an object once ``runnable apply`` has returned."""
    ns, name = target.namespace, target.name
    if target.kind == "Job":
        return [f"Follow {target.ref}: kubectl -n {ns} logs -f job/{name}   (status: kubectl -n {ns} get job {name} -w)"]
    if target.kind == "Workflow":
        return [f"Follow {target.ref}: argo -n {ns} watch {name}   (or: kubectl -n {ns} get workflow {name} -w)"]
    if target.kind == "CronJob":
        return [f"It runs on its schedule: kubectl -n {ns} get cronjob {name}"]
    if target.kind == "CronWorkflow":
        return [f"It runs on its schedule: argo -n {ns} cron get {name}"]
    if target.kind == "WorkflowTemplate":
        return [f"Submit a run: argo -n {ns} submit --from workflowtemplate/{name}"]
    return []


# ------------------------------------------------------------------------------------------------ connection


def _kubernetes() -> Any:
    try:
        import kubernetes  # heavy: only when talking to a cluster
    except ImportError:
        raise ClusterError("Talking to Kubernetes needs the kubernetes package: pip install 'runnable[k8s]'") from None
    return kubernetes


def kubeconfig_source(kubeconfig: str | None, context: str | None,
                      environ: Any = os.environ) -> tuple[str, str | None]:
    """Decide where the connection comes from: ``("kubeconfig", path)`` or ``("in-cluster", None)``."""
    if kubeconfig:
        if not _any_exists(kubeconfig):
            raise ClusterError(f"The kubeconfig file '{kubeconfig}' does not exist.")
        return "kubeconfig", kubeconfig
    default = environ.get("KUBECONFIG") or os.path.join("~", ".kube", "config")
    if _any_exists(default):
        return "kubeconfig", default
    if context:
        raise ClusterError(f"Context '{context}' was given but there is no kubeconfig to find it in "
                           f"(looked at {default}). Give one with --kubeconfig FILE or the KUBECONFIG variable.")
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return "in-cluster", None
    raise ClusterError(f"No Kubernetes cluster configuration found: there is no kubeconfig at {default} and this is "
                       "not running inside a pod. Point at a cluster with --kubeconfig FILE or the KUBECONFIG "
                       "variable (check it with: kubectl cluster-info).")


def _any_exists(paths: str) -> bool:
    return any(os.path.exists(os.path.expanduser(p)) for p in paths.split(os.pathsep) if p)


def connect(kubeconfig: str | None, context: str | None, environ: Any = os.environ) -> tuple[Any, str | None]:
    """An ``ApiClient`` on its own ``Configuration`` (the global default stays untouched), and the namespace
    the configuration names, if any."""
    kubernetes = _kubernetes()
    from kubernetes.config.config_exception import ConfigException

    configuration = kubernetes.client.Configuration()
    source, path = kubeconfig_source(kubeconfig, context, environ)
    try:
        if source == "kubeconfig":
            kubernetes.config.load_kube_config(config_file=path, context=context, client_configuration=configuration,
                                               persist_config=False)
            namespace = _context_namespace(kubernetes, path, context)
        else:
            from kubernetes.config.incluster_config import InClusterConfigLoader

            loader = InClusterConfigLoader(token_filename=os.path.join(SERVICE_ACCOUNT_DIR, "token"),
                                           cert_filename=os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt"), environ=environ)
            loader.load_and_set(configuration)
            namespace = _read(os.path.join(SERVICE_ACCOUNT_DIR, "namespace"))
    except (ConfigException, OSError, KeyError, ValueError) as exc:
        where = f"kubeconfig {path}" + (f" (context '{context}')" if context else "") if path else "in-cluster config"
        raise ClusterError(f"Could not load the {where}: {exc}") from None
    return kubernetes.client.ApiClient(configuration), namespace


def _context_namespace(kubernetes: Any, path: str | None, context: str | None) -> str | None:
    contexts, current = kubernetes.config.list_kube_config_contexts(config_file=path)
    chosen = next((c for c in contexts if c.get("name") == context), None) if context else current
    return ((chosen or {}).get("context") or {}).get("namespace") or None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


# ----------------------------------------------------------------------------------------------------- calls


class Api:
    """Raw calls on the cluster with the client's auth and TLS; failures become :class:`ClusterError`."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @property
    def host(self) -> str:
        return str(getattr(self.client.configuration, "host", "") or "the cluster")

    def send(self, doc: dict, namespace: str, dry_run: bool, say: Callable[[str], None]) -> Target:
        """Apply or create one document in ``namespace``; returns the object as the cluster named it."""
        body = copy.deepcopy(doc)
        metadata = body.setdefault("metadata", {})
        metadata["namespace"] = namespace
        query = [("dryRun", "All")] if dry_run else []
        suffix = " (server dry run)" if dry_run else ""
        if metadata.get("name"):
            target = Target(doc["kind"], metadata["name"], namespace)
            self.call("PATCH", target.path(), target, "patch", body=body, content_type=APPLY_PATCH,
                      query=[("fieldManager", FIELD_MANAGER), ("force", "true"), *query])
            say(f"Applied {target.ref} in namespace {namespace}{suffix}.")
        else:
            pending = Target(doc["kind"], metadata["generateName"] + "*", namespace)
            created = self.call("POST", pending.collection(), pending, "create", body=body,
                                content_type="application/json", query=query)
            name = ((created or {}).get("metadata") or {}).get("name") or pending.name
            target = Target(doc["kind"], name, namespace)
            say(f"Created {target.ref} in namespace {namespace}{suffix}.")
        return target

    def call(self, method: str, path: str, target: Target, verb: str, *, body: Any = None,
             content_type: str | None = None, query: list[tuple[str, str]] | None = None, text: bool = False,
             resource: str | None = None) -> Any:
        """One request; the parsed JSON (or text) on 2xx, a :class:`ClusterError` for people otherwise."""
        from kubernetes.client.exceptions import ApiException
        from kubernetes.config.config_exception import ConfigException
        from urllib3.exceptions import HTTPError

        headers = {"Accept": "*/*" if text else "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            request = self.client.param_serialize(method, path, query_params=list(query or []),
                                                  header_params=headers, body=body, auth_settings=["BearerToken"])
            response = self.client.call_api(*request, _request_timeout=REQUEST_TIMEOUT)
            response.read()
            return self.client.response_deserialize(response, {"2XX": "str" if text else "object"}).data
        except ApiException as exc:
            if not exc.status:
                raise self.unreachable(target, str(exc.reason or exc)) from None
            error = self.refused(exc.status, exc.body, target, verb, resource)
            error.status = exc.status
            raise error from None
        except (HTTPError, OSError) as exc:
            raise self.unreachable(target, str(getattr(exc, "reason", None) or exc)) from None
        except ConfigException as exc:  # credentials are refreshed per request (exec plugins, pod tokens)
            raise ClusterError(f"Could not get credentials for {self.host} while sending {target.ref}: {exc}") from None

    def unreachable(self, target: Target, reason: str) -> ClusterError:
        reason = re.sub(r"<[^>]*>:\s*|HTTPS?Connection\([^)]*\):\s*", "", reason).strip()
        where = f"{target.ref} in namespace {target.namespace}"
        if re.search(r"ssl|tls|certificate", reason, re.IGNORECASE):
            return ClusterError(f"The TLS connection to the Kubernetes API at {self.host} failed while sending "
                                f"{where}: {reason}. Check the cluster's certificate authority in the kubeconfig "
                                "(certificate-authority / certificate-authority-data).")
        return ClusterError(f"Could not reach the Kubernetes API at {self.host} while sending {where}: {reason}. "
                            "Check that the cluster is running and that the kubeconfig points at it "
                            "(kubectl cluster-info).")

    def refused(self, status: int, body: Any, target: Target, verb: str, resource: str | None) -> ClusterError:
        message, details = _status_message(body)
        where = f"{target.ref} in namespace {target.namespace} on {self.host}"
        kind, ns, name = target.kind.lower(), target.namespace, target.name
        if status == 401:
            return ClusterError(f"The cluster rejected the credentials (401 Unauthorized) for {where}. "
                                "Log in again or refresh the token in the kubeconfig.")
        if status == 403:
            what = resource or target.resource
            return ClusterError(f"Not allowed to {verb} {what} in namespace {ns} on {self.host} (sending "
                                f"{target.ref}): {message} "
                                f"Ask for that permission (check: kubectl auth can-i {verb} {what} -n {ns}).")
        if status == 404:
            if details.get("kind") == "namespaces":
                return ClusterError(f"Namespace '{details.get('name') or ns}' does not exist on {self.host} "
                                    f"(sending {target.ref}). Create it (kubectl create namespace {ns}) "
                                    "or choose another with --namespace.")
            if target.group == "argoproj.io" and not details.get("name"):
                crd = f"{RESOURCES[target.kind][1]}.argoproj.io"
                return ClusterError(f"The Argo Workflows CRD {crd} is not installed on {self.host}, so {target.ref} "
                                    f"cannot be sent to namespace {ns}. Install Argo Workflows on the cluster, "
                                    "or compile with --target k8s to run plain Kubernetes Jobs instead.")
            return ClusterError(f"Not found (404) for {where}: {message}")
        if status == 409:
            if target.name.endswith("*"):
                return ClusterError(f"Creating {where} failed: {message} The name is generated by the cluster; "
                                    "apply again to get a new one.")
            return ClusterError(f"Conflict for {where}: {message} Remove the old object "
                                f"(kubectl -n {ns} delete {kind} {name}) or give this one another name.")
        if status == 422:
            hint = ""
            if target.kind == "Job" and "immutable" in message:
                hint = (f" A Job cannot be changed once created: delete it (kubectl -n {ns} delete job {name}) "
                        "and apply again.")
            return ClusterError(f"The cluster rejected {where}: {message}{hint}")
        return ClusterError(f"The Kubernetes API answered {status} for {where}: {message}")


def _status_message(body: Any) -> tuple[str, dict]:
    """The server's own words from a ``Status`` body, and its details."""
    try:
        status = json.loads(body) if isinstance(body, (str, bytes)) else body
    except ValueError:
        status = None
    if not isinstance(status, dict):
        return (str(body).strip() or "no message").rstrip(".") + ".", {}
    message = str(status.get("message") or status.get("reason") or "no message").rstrip(".") + "."
    return message, status.get("details") or {}


# ------------------------------------------------------------------------------------------------------ wait


def wait_for(api: Api, watched_targets: list[Target], *, timeout: float, poll_seconds: float,
             say: Callable[[str], None], pods: Callable[[dict], bool] | None = None) -> int:
    """Poll every object until all are done; 0 when all succeeded, 1 otherwise."""
    watched = [Watched(target, pods=pods) for target in watched_targets]
    deadline = time.monotonic() + timeout
    while True:
        for item in watched:
            if item.outcome is None:
                poll(api, item, say)
        running = [item for item in watched if item.outcome is None]
        if not running:
            return 0 if all(item.outcome for item in watched) else 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(running, timeout)
        time.sleep(max(0.0, min(poll_seconds, remaining)))


def poll(api: Api, item: Watched, say: Callable[[str], None]) -> None:
    """One look at one object: say a new phase, show new log lines, record the outcome when it ends."""
    target = item.target
    obj = api.call("GET", target.path(), target, "get") or {}
    phase, detail = (job_phase if target.kind == "Job" else workflow_phase)(obj)
    done = phase in (SUCCEEDED, FAILED)
    if phase != item.phase and not done:
        say(f"{target.ref}: {phase}")
    item.phase = phase
    if target.kind == "Workflow":
        _say_step_progress(item, obj, say)
    stream_logs(api, item, say, final=done)
    if done:
        item.outcome = phase == SUCCEEDED
        say(f"{target.ref} succeeded." if item.outcome else f"{target.ref} failed" + (f": {detail}" if detail else "."))


def _say_step_progress(item: Watched, workflow: dict, say: Callable[[str], None]) -> None:
    """One line whenever the workflow's steps done, running or failed change (from Argo's node status)."""
    from runnable.apply.runs import ClusterRun, summarise

    steps = summarise(ClusterRun("", item.target, workflow)).steps
    counts = (sum(s.phase == SUCCEEDED for s in steps), sum(s.phase in ("Running", "Pending") for s in steps),
              sum(s.phase in (FAILED, "Error") for s in steps))
    if steps and counts != item.step_counts:
        item.step_counts = counts
        say(f"{item.target.ref}: {counts[0]} steps done, {counts[1]} running, {counts[2]} failed")


def job_phase(job: dict) -> tuple[str, str]:
    """A Job's state as one word (Jobs have no phase field), and the reason when it failed."""
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") == "Failed":
            return FAILED, str(condition.get("message") or condition.get("reason") or "")
        if condition.get("status") == "True" and condition.get("type") == "Complete":
            return SUCCEEDED, ""
    completions = (job.get("spec") or {}).get("completions") or 1
    if (status.get("succeeded") or 0) >= completions:
        return SUCCEEDED, ""
    if status.get("ready") or (status.get("active") and "ready" not in status):
        return "Running", ""
    return "Pending", ""


def workflow_phase(workflow: dict) -> tuple[str, str]:
    """An Argo Workflow's phase, with Error folded into Failed, and its message."""
    status = workflow.get("status") or {}
    phase = status.get("phase") or "Pending"
    return (FAILED if phase == "Error" else phase), str(status.get("message") or "")


def stream_logs(api: Api, item: Watched, say: Callable[[str], None], final: bool) -> None:
    """Show the log lines of the object's pods that were not shown before."""
    if item.logs_denied:
        return
    target = item.target
    selector = f"{POD_SELECTOR[target.kind]}={target.name}"
    try:
        listing = api.call("GET", f"/api/v1/namespaces/{target.namespace}/pods", target, "list",
                           query=[("labelSelector", selector)], resource="pods") or {}
    except ClusterError as exc:
        if exc.status in (401, 403):
            item.logs_denied = True
            say(f"Logs of {target.ref} are not shown: {exc}")
        return  # anything else may pass: the next poll tries again
    pods = sorted(listing.get("items") or [], key=lambda p: (p["metadata"].get("creationTimestamp") or "",
                                                              p["metadata"]["name"]))
    for pod in pods:
        name = pod["metadata"]["name"]
        pod_phase = (pod.get("status") or {}).get("phase") or "Pending"
        if pod_phase == "Pending" or name in item.finished_pods or (item.pods and not item.pods(pod)):
            continue
        pod_done = final or pod_phase in (SUCCEEDED, FAILED)
        containers = ["main"] if target.kind == "Workflow" else [
            c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        for container in containers:
            text = _pod_log(api, target, name, container)
            if text is None:
                continue
            label = name if len(containers) == 1 else f"{name}/{container}"
            lines = text.split("\n")
            if lines[-1] == "":
                lines.pop()
            elif not pod_done:
                lines.pop()  # hold a partial last line until the pod has finished writing it
            key = f"{name}/{container}"
            for line in lines[item.printed.get(key, 0):]:
                say(f"[{label}] {line}")
            item.printed[key] = max(item.printed.get(key, 0), len(lines))
        if pod_phase in (SUCCEEDED, FAILED):
            item.finished_pods.add(name)


def _pod_log(api: Api, target: Target, pod: str, container: str) -> str | None:
    """A container's whole log so far; None while it cannot be read (not started, already gone)."""
    try:
        text = api.call("GET", f"/api/v1/namespaces/{target.namespace}/pods/{pod}/log", target, "get",
                        query=[("container", container)], text=True, resource="pods/log")
    except ClusterError:
        return None
    return text if isinstance(text, str) else None


def _timed_out(running: list[Watched], timeout: float) -> WaitTimeoutError:
    first = running[0].target
    ns, name = first.namespace, first.name
    if first.kind == "Job":
        follow, remove = f"kubectl -n {ns} logs -f job/{name}", f"kubectl -n {ns} delete job {name}"
    else:
        follow, remove = f"argo -n {ns} watch {name}", f"kubectl -n {ns} delete workflow {name}"
    others = [item.target.ref for item in running[1:]]
    also = f" Also still running: {', '.join(others)}." if others else ""
    return WaitTimeoutError(f"Timed out after {timeout:g}s waiting for {first.ref} in namespace {ns} "
                            f"(last phase: {running[0].phase or 'unknown'}). It keeps running on the cluster: "
                            f"follow it with `{follow}`, or stop it with `{remove}`.{also}")


# ------------------------------------------------------------------------------------------ as an engine


def recognises(path: str) -> bool:
    """Any file or folder of manifests (compose folders are recognised first by their own engine)."""
    return os.path.exists(path)


def apply_path(path: str, *, run_id: str = "", parameters_file: str = "", tag: str = "", namespace: str | None = None,
               kubeconfig: str | None = None, context: str | None = None, dry_run: bool = False,
               wait: bool = False, timeout: float = 3600.0, say: Callable[[str], None] = print) -> int:
    """``runnable apply DIR|FILE`` for rendered Kubernetes or Argo objects."""
    from runnable.apply.manifests import read_documents, with_run_arguments

    documents = with_run_arguments(read_documents(path), run_id, parameters_file, tag)
    return apply_documents(documents, namespace=namespace, kubeconfig=kubeconfig, context=context, dry_run=dry_run,
                           wait=wait, timeout=timeout, say=say)


def submit(documents: list[dict], *, run_id: str = "", parameters_file: str = "", tag: str = "",
           kubeconfig: str | None = None, mock: bool = False,
           say: Callable[[str], None] = print) -> tuple[str, int | None]:
    """``execute()`` with a cluster executor: submit, wait, and return (run id, exit code; None when mocked).

    The run id is chosen here, so the caller can find the run; it, the parameters and the tag reach the
    Workflow or Job as :func:`with_run_arguments` says.
    """
    from runnable.apply.manifests import with_run_arguments
    from runnable.runtime.run_ids import choose_run_id

    if any(document.get("kind") in ("Workflow", "Job") for document in documents):
        run_id = choose_run_id(run_id)
        documents = with_run_arguments(documents, run_id, parameters_file, tag)
    else:  # a schedule: each run it starts is named after its own Job or Workflow
        run_id = documents[-1]["metadata"]["name"]
    if mock:
        say(f"runnable: mock: rendered {len(documents)} objects, submitted nothing.")
        return run_id, None
    return run_id, apply_documents(documents, kubeconfig=kubeconfig, wait=True, say=say)
