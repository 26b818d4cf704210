"""An in-process stand-in for the Kubernetes HTTP API, for tests of code that talks to a cluster.

It is not a cluster: nothing is scheduled and no container runs. It answers the requests the official
client makes, over real HTTP (optionally TLS) on 127.0.0.1, with the JSON shapes the API server uses:
objects with server-filled metadata, lists, pod logs as text and ``Status`` bodies for errors. Jobs and
Workflows follow a scripted list of phases, one step per read of the object, and get a pod with logs once
they run, so waiting and log streaming can be exercised without a scheduler.
"""

from __future__ import annotations

import copy
import json
import random
import re
import ssl
import subprocess
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

KINDS: dict[tuple[str, str], str] = {  # (API group, plural) -> kind
    ("", "configmaps"): "ConfigMap",
    ("", "persistentvolumeclaims"): "PersistentVolumeClaim",
    ("", "pods"): "Pod",
    ("batch", "jobs"): "Job",
    ("batch", "cronjobs"): "CronJob",
    ("argoproj.io", "workflows"): "Workflow",
    ("argoproj.io", "workflowtemplates"): "WorkflowTemplate",
    ("argoproj.io", "cronworkflows"): "CronWorkflow",
}
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the API server's generateName alphabet
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DEFAULT_PHASES = ["Pending", "Running", "Succeeded"]
TERMINAL = ("Succeeded", "Failed", "Error")


class Reply(Exception):
    """An HTTP answer other than the happy path, raised from deep inside a handler."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class KubeStandIn:
    """The API surface one client needs, held in memory; use as a context manager.

    Knobs: ``token`` (bearer token every request must carry; None accepts any), ``namespaces`` (the ones
    that exist; None means all), ``forbidden`` ((verb, resource) pairs answered with 403, e.g.
    ``("patch", "jobs.batch")``), ``argo_installed`` (False: argoproj.io paths are 404), ``phases``
    (kind or object name -> the phases its status walks through), ``logs`` (kind or object name -> log
    chunks its main container writes, one per read once running), ``name_suffixes`` (generateName
    suffixes to hand out before random ones), ``tls`` ((certificate file, key file) to serve HTTPS).
    """

    def __init__(self, *, token: str | None = "standin-token", namespaces: Iterable[str] | None = None,
                 forbidden: Iterable[tuple[str, str]] = (), argo_installed: bool = True,
                 phases: dict[str, list[str]] | None = None, logs: dict[str, list[str]] | None = None,
                 name_suffixes: Iterable[str] = (), tls: tuple[str, str] | None = None) -> None:
        self.token = token
        self.namespaces = set(namespaces) if namespaces is not None else None
        self.forbidden = set(forbidden)
        self.argo_installed = argo_installed
        self.phases = {"Job": DEFAULT_PHASES, "Workflow": DEFAULT_PHASES, **(phases or {})}
        self.logs = dict(logs or {})
        self.name_suffixes = list(name_suffixes)
        self.tls = tls
        self.objects: dict[tuple[str, str, str, str], dict] = {}  # (group, plural, namespace, name) -> object
        self.pod_logs: dict[tuple[str, str, str], str] = {}  # (namespace, pod, container) -> log text
        self.progress: dict[tuple[str, str, str, str], dict] = {}  # scripted Job/Workflow state
        self.requests: list[dict] = []  # every request seen: method, path, query, content_type
        self.statuses: dict[str, dict] = {}  # object name -> status fields a controller would add (Argo's nodes)
        self.lock = threading.RLock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self._version = 1000

    # ---------------------------------------------------------------------------------------- lifecycle

    def __enter__(self) -> KubeStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        standin = self

        class Handler(_Handler):
            owner = standin

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def port(self) -> int:
        assert self.server is not None, "start the stand-in first"
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # ---------------------------------------------------------------------------------- test conveniences

    def write_kubeconfig(self, path: str | Path, *, namespace: str | None = None, token: str | None = None,
                         ca_file: str | None = None, context: str = "standin", server: str | None = None) -> Path:
        """A kubeconfig whose current context points at this stand-in with a bearer token."""
        cluster: dict[str, Any] = {"server": server or self.url}
        if ca_file:
            cluster["certificate-authority"] = str(ca_file)
        entry: dict[str, Any] = {"cluster": "standin", "user": "standin"}
        if namespace:
            entry["namespace"] = namespace
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": "standin", "cluster": cluster}],
            "contexts": [{"name": context, "context": entry}],
            "users": [{"name": "standin", "user": {"token": token if token is not None else (self.token or "x")}}],
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config))
        return path

    def api_client(self, token: str | None = None) -> Any:
        """An official ``ApiClient`` pointed at this stand-in (plain HTTP only)."""
        from kubernetes import client

        configuration = client.Configuration(host=self.url)
        configuration.api_key["BearerToken"] = token if token is not None else (self.token or "x")
        configuration.api_key_prefix["BearerToken"] = "Bearer"
        return client.ApiClient(configuration)

    def get(self, plural: str, namespace: str, name: str) -> dict | None:
        """The stored object, whatever its group; None when absent."""
        with self.lock:
            for (_, kind_plural, ns, obj_name), obj in self.objects.items():
                if (kind_plural, ns, obj_name) == (plural, namespace, name):
                    return copy.deepcopy(obj)
        return None

    def names(self, plural: str, namespace: str | None = None) -> list[str]:
        with self.lock:
            return sorted(n for (_, p, ns, n) in self.objects if p == plural and namespace in (None, ns))

    # ------------------------------------------------------------------------------------------ dispatch

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, str, bytes]:
        """Answer one request: (status, content type, body)."""
        split = urlsplit(raw_path)
        path, query = split.path, {k: v[-1] for k, v in parse_qs(split.query).items()}
        with self.lock:
            self.requests.append({"method": method, "path": path, "query": query,
                                  "content_type": headers.get("Content-Type", "")})
        try:
            self._authenticate(headers.get("Authorization", ""))
            route = self._route(path)
            result = self._dispatch(method, route, query, headers.get("Content-Type", ""), body)
        except Reply as reply:
            return reply.code, "application/json", json.dumps(_status(reply)).encode()
        except Exception as exc:  # a bug in the stand-in: answer like a server would, with the cause
            reply = Reply(500, "InternalError", f"stand-in failure: {type(exc).__name__}: {exc}")
            return 500, "application/json", json.dumps(_status(reply)).encode()
        if isinstance(result, str):
            return 200 if method != "POST" else 201, "text/plain", result.encode()
        code, document = result
        return code, "application/json", json.dumps(document).encode()

    def _authenticate(self, header: str) -> None:
        if self.token is None:
            return
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or value.strip() != self.token:
            raise Reply(401, "Unauthorized", "Unauthorized")

    def _route(self, path: str) -> dict:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, rest = parts[1], parts[3:]
            if group == "argoproj.io" and not self.argo_installed:
                raise Reply(404, "NotFound", "the server could not find the requested resource")
        else:
            raise Reply(404, "NotFound", "the server could not find the requested resource")
        if len(rest) < 3 or rest[0] != "namespaces" or (group, rest[2]) not in KINDS or len(rest) > 5:
            raise Reply(404, "NotFound", "the server could not find the requested resource")
        return {"group": group, "namespace": rest[1], "plural": rest[2], "kind": KINDS[(group, rest[2])],
                "name": rest[3] if len(rest) > 3 else "", "sub": rest[4] if len(rest) > 4 else ""}

    def _dispatch(self, method: str, route: dict, query: dict, content_type: str, body: bytes) -> Any:
        verb = {"GET": "get" if route["name"] else "list", "POST": "create", "PATCH": "patch",
                "DELETE": "delete", "PUT": "update"}.get(method, "")
        resource = route["plural"] + (f"/{route['sub']}" if route["sub"] else "")
        self._authorize(verb, resource, route)
        self._namespace_exists(route)
        with self.lock:
            if route["sub"] == "log" and method == "GET" and route["plural"] == "pods":
                return self._log(route, query)
            if route["sub"] not in ("", "status"):
                raise Reply(404, "NotFound", "the server could not find the requested resource")
            if method == "GET" and route["name"]:
                return 200, self._read(route)
            if method == "GET":
                return 200, self._list(route, query.get("labelSelector", ""))
            if method == "POST" and not route["name"]:
                return self._create(route, _parse(body), query)
            if method == "PATCH" and route["name"]:
                return self._apply(route, _parse(body), query, content_type)
            if method == "DELETE" and route["name"]:
                return 200, self._delete(route)
        raise Reply(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def _authorize(self, verb: str, resource: str, route: dict) -> None:
        full = resource.split("/")[0] + (f".{route['group']}" if route["group"] else "")
        full += resource[len(resource.split("/")[0]):]
        if (verb, full) in self.forbidden or (verb, resource) in self.forbidden:
            subject = f'{full} "{route["name"]}"' if route["name"] else full
            raise Reply(403, "Forbidden", f'{subject} is forbidden: User "system:serviceaccount:ci:runner" cannot '
                        f'{verb} resource "{resource}" in API group "{route["group"]}" in the namespace '
                        f'"{route["namespace"]}"', {"name": route["name"], "group": route["group"],
                                                    "kind": route["plural"]})

    def _namespace_exists(self, route: dict) -> None:
        if self.namespaces is not None and route["namespace"] not in self.namespaces:
            raise Reply(404, "NotFound", f'namespaces "{route["namespace"]}" not found',
                        {"name": route["namespace"], "kind": "namespaces"})

    # ------------------------------------------------------------------------------------------- verbs

    def _key(self, route: dict, name: str | None = None) -> tuple[str, str, str, str]:
        return route["group"], route["plural"], route["namespace"], name or route["name"]

    def _missing(self, route: dict, name: str | None = None) -> Reply:
        group = f".{route['group']}" if route["group"] else ""
        name = name or route["name"]
        return Reply(404, "NotFound", f'{route["plural"]}{group} "{name}" not found',
                     {"name": name, "group": route["group"], "kind": route["plural"]})

    def _read(self, route: dict) -> dict:
        key = self._key(route)
        if key not in self.objects:
            raise self._missing(route)
        if key in self.progress:
            self._advance(key)
        return copy.deepcopy(self.objects[key])

    def _list(self, route: dict, selector: str) -> dict:
        wanted = _selector(selector)
        items = [copy.deepcopy(obj) for (g, p, ns, _), obj in sorted(self.objects.items())
                 if (g, p, ns) == (route["group"], route["plural"], route["namespace"])
                 and all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())]
        api_version = f"{route['group']}/{_version(route)}" if route["group"] else "v1"
        return {"kind": f"{route['kind']}List", "apiVersion": api_version,
                "metadata": {"resourceVersion": str(self._version)}, "items": items}

    def _create(self, route: dict, obj: dict, query: dict) -> tuple[int, dict]:
        metadata = obj.setdefault("metadata", {})
        if not metadata.get("name"):
            if not metadata.get("generateName"):
                raise Reply(422, "Invalid", f'{route["kind"]} "" is invalid: metadata.name: Required value: '
                            "name or generateName is required")
            metadata["name"] = metadata["generateName"] + self._suffix()
        self._check(route, obj)
        key = self._key(route, metadata["name"])
        if key in self.objects:
            group = f".{route['group']}" if route["group"] else ""
            raise Reply(409, "AlreadyExists", f'{route["plural"]}{group} "{metadata["name"]}" already exists',
                        {"name": metadata["name"], "group": route["group"], "kind": route["plural"]})
        stored = self._stamp(route, obj, query.get("fieldManager") or "unknown", "Update")
        if query.get("dryRun") != "All":
            self._store(key, route, stored)
        return 201, copy.deepcopy(stored)

    def _apply(self, route: dict, obj: dict, query: dict, content_type: str) -> tuple[int, dict]:
        if content_type.split(";")[0].strip() != "application/apply-patch+yaml":
            raise Reply(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                        f"accepted media types include: application/apply-patch+yaml (got {content_type!r})")
        manager = query.get("fieldManager", "")
        if not manager:
            raise Reply(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                        "is required for apply patch")
        metadata = obj.setdefault("metadata", {})
        if metadata.get("name") != route["name"]:
            raise Reply(400, "BadRequest", "the name of the object "
                        f"({metadata.get('name')}) does not match the name on the URL ({route['name']})")
        self._check(route, obj)
        key = self._key(route)
        existing = self.objects.get(key)
        if existing is None:
            stored, code = self._stamp(route, obj, manager, "Apply"), 201
        else:
            others = {f["manager"] for f in existing["metadata"].get("managedFields", [])} - {manager}
            if others and query.get("force") != "true":
                raise Reply(409, "Conflict", f"Apply failed with 1 conflict: conflict with \"{sorted(others)[0]}\"",
                            {"name": route["name"], "group": route["group"], "kind": route["plural"]})
            if route["kind"] == "Job" and (existing.get("spec") or {}).get("template") != (
                    obj.get("spec") or {}).get("template"):
                raise Reply(422, "Invalid", f'Job.batch "{route["name"]}" is invalid: spec.template: Invalid value: '
                            "core.PodTemplateSpec{...}: field is immutable",
                            {"name": route["name"], "group": "batch", "kind": "Job",
                             "causes": [{"reason": "FieldValueInvalid", "field": "spec.template",
                                         "message": "Invalid value: core.PodTemplateSpec{...}: field is immutable"}]})
            stored, code = self._update(existing, obj, manager), 200
        if query.get("dryRun") != "All":
            self._store(key, route, stored)
        return code, copy.deepcopy(stored)

    def _delete(self, route: dict) -> dict:
        key = self._key(route)
        if key not in self.objects:
            raise self._missing(route)
        self.objects.pop(key)
        self.progress.pop(key, None)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": route["name"], "group": route["group"], "kind": route["plural"]}}

    def _log(self, route: dict, query: dict) -> str:
        pod = self.objects.get(("", "pods", route["namespace"], route["name"]))
        if pod is None:
            raise self._missing(route)
        containers = [c["name"] for c in pod["spec"]["containers"]]
        container = query.get("container")
        if not container:
            if len(containers) != 1:
                raise Reply(400, "BadRequest", f"a container name must be specified for pod {route['name']}, "
                            f"choose one of: [{' '.join(containers)}]")
            container = containers[0]
        if container not in containers:
            raise Reply(400, "BadRequest", f"container {container} is not valid for pod {route['name']}")
        if pod["status"]["phase"] == "Pending":
            raise Reply(400, "BadRequest", f'container "{container}" in pod "{route["name"]}" is waiting to start: '
                        "ContainerCreating")
        return self.pod_logs.get((route["namespace"], route["name"], container), "")

    # ----------------------------------------------------------------------------------------- helpers

    def _suffix(self) -> str:
        if self.name_suffixes:
            return self.name_suffixes.pop(0)
        return "".join(random.choice(NAME_ALPHABET) for _ in range(5))

    def _check(self, route: dict, obj: dict) -> None:
        metadata = obj["metadata"]
        name = metadata["name"]
        if not DNS_SUBDOMAIN.match(name) or len(name) > 253:
            raise Reply(422, "Invalid", f'{route["kind"]} "{name}" is invalid: metadata.name: Invalid value: '
                        f'"{name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                        "characters, '-' or '.', and must start and end with an alphanumeric character",
                        {"name": name, "group": route["group"], "kind": route["kind"]})
        if metadata.get("namespace") not in (None, "", route["namespace"]):
            raise Reply(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                        "sent on the request")
        if obj.get("kind") not in (None, route["kind"]):
            raise Reply(400, "BadRequest", f"the kind of the object ({obj.get('kind')}) does not match the "
                        f"resource ({route['plural']})")

    def _stamp(self, route: dict, obj: dict, manager: str, operation: str) -> dict:
        stored = copy.deepcopy(obj)
        self._version += 1
        stored["apiVersion"] = stored.get("apiVersion") or (
            f"{route['group']}/{_version(route)}" if route["group"] else "v1")
        stored["kind"] = route["kind"]
        stored["metadata"].update({
            "namespace": route["namespace"], "uid": str(uuid.uuid4()), "resourceVersion": str(self._version),
            "generation": 1, "creationTimestamp": now(),
            "managedFields": [{"manager": manager, "operation": operation, "apiVersion": stored["apiVersion"],
                               "time": now(), "fieldsType": "FieldsV1", "fieldsV1": {}}],
        })
        return stored

    def _update(self, existing: dict, obj: dict, manager: str) -> dict:
        stored = copy.deepcopy(existing)
        for key, value in obj.items():
            if key not in ("metadata", "status"):
                stored[key] = copy.deepcopy(value)
        for key in ("labels", "annotations"):
            if key in obj["metadata"]:
                stored["metadata"][key] = {**(stored["metadata"].get(key) or {}), **obj["metadata"][key]}
        fields = [f for f in stored["metadata"].get("managedFields", []) if f["manager"] != manager]
        fields.append({"manager": manager, "operation": "Apply", "apiVersion": stored["apiVersion"],
                       "time": now(), "fieldsType": "FieldsV1", "fieldsV1": {}})
        self._version += 1
        stored["metadata"].update({"managedFields": fields, "resourceVersion": str(self._version),
                                   "generation": stored["metadata"].get("generation", 1) + 1})
        return stored

    def _store(self, key: tuple[str, str, str, str], route: dict, stored: dict) -> None:
        self.objects[key] = stored
        name = stored["metadata"]["name"]
        if route["kind"] in ("Job", "Workflow") and key not in self.progress:
            phases = self.phases.get(name) or self.phases[route["kind"]]
            chunks = self.logs.get(name) or self.logs.get(route["kind"]) or []
            self.progress[key] = {"index": 0, "phases": list(phases), "chunks": list(chunks), "pod": None}

    def _advance(self, key: tuple[str, str, str, str]) -> None:
        """One read of a scripted object: show its next phase, run its pod once it is Running."""
        state = self.progress[key]
        phases = state["phases"]
        phase = phases[min(state["index"], len(phases) - 1)]
        state["index"] += 1
        obj = self.objects[key]
        kind, namespace, name = obj["kind"], key[2], key[3]
        if phase != "Pending" and state["pod"] is None:
            state["pod"] = self._start_pod(obj, namespace, name)
        if state["pod"] is not None:
            if state["chunks"]:  # one chunk per read; a finished container has written all of them
                count = len(state["chunks"]) if phase in TERMINAL else 1
                log_key = (namespace, state["pod"], "main" if kind == "Workflow" else _containers(obj)[0])
                written = "".join(state["chunks"][:count])
                del state["chunks"][:count]
                self.pod_logs[log_key] = self.pod_logs.get(log_key, "") + written
            pod = self.objects[("", "pods", namespace, state["pod"])]
            pod["status"]["phase"] = {"Succeeded": "Succeeded", "Failed": "Failed", "Error": "Failed"}.get(
                phase, "Running")
        obj["status"] = _job_status(phase, obj) if kind == "Job" else _workflow_status(phase, obj)
        obj["status"].update(self.statuses.get(name) or {})

    def _start_pod(self, owner: dict, namespace: str, name: str) -> str:
        uid = owner["metadata"]["uid"]
        if owner["kind"] == "Job":
            pod_name = f"{name}-{self._suffix()}"
            labels = {"job-name": name, "batch.kubernetes.io/job-name": name, "controller-uid": uid,
                      "batch.kubernetes.io/controller-uid": uid}
            containers, init = _containers(owner), []
        else:
            pod_name = f"{name}-main-{random.randint(10**9, 10**10 - 1)}"
            labels = {"workflows.argoproj.io/workflow": name, "workflows.argoproj.io/completed": "false"}
            containers, init = ["wait", "main"], ["init"]
            self.pod_logs[(namespace, pod_name, "wait")] = (
                'time="2024-01-01T00:00:00Z" level=info msg="Starting Workflow Executor"\n')
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": namespace, "labels": labels, "uid": str(uuid.uuid4()),
                         "creationTimestamp": now(),
                         "ownerReferences": [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                              "name": name, "uid": uid, "controller": True}]},
            "spec": {"containers": [{"name": c, "image": "busybox"} for c in containers],
                     "initContainers": [{"name": c, "image": "argoexec"} for c in init]},
            "status": {"phase": "Running", "startTime": now()},
        }
        self.objects[("", "pods", namespace, pod_name)] = pod
        return pod_name


class _Handler(BaseHTTPRequestHandler):
    """HTTP plumbing only; the stand-in decides every answer."""

    owner: KubeStandIn
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        code, content_type, payload = self.owner.handle(self.command, self.path, self.headers, body)
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


def _status(reply: Reply) -> dict:
    status: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": reply.message, "reason": reply.reason, "code": reply.code}
    if reply.details is not None:
        status["details"] = reply.details
    elif reply.reason == "NotFound":
        status["details"] = {}
    return status


def _parse(body: bytes) -> dict:
    try:
        parsed = yaml.safe_load(body.decode() or "{}")  # JSON bodies are YAML too
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise Reply(400, "BadRequest", f"the body of the request could not be decoded: {exc}") from None
    if not isinstance(parsed, dict):
        raise Reply(400, "BadRequest", "the body of the request is not an object")
    return parsed


def _selector(text: str) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for term in filter(None, (t.strip() for t in text.split(","))):
        key, sep, value = term.replace("==", "=").partition("=")
        if not sep:
            raise Reply(400, "BadRequest", f"unable to parse requirement: {term}")
        wanted[key.strip()] = value.strip()
    return wanted


def _version(route: dict) -> str:
    return {"batch": "v1", "argoproj.io": "v1alpha1"}.get(route["group"], "v1")


def _containers(job: dict) -> list[str]:
    spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c.get("name") or "main" for c in spec.get("containers") or []] or ["main"]


def _job_status(phase: str, job: dict) -> dict:
    started = job.get("status", {}).get("startTime") or now()
    if phase == "Pending":
        return {"startTime": started, "active": 1, "ready": 0, "terminating": 0}
    if phase == "Running":
        return {"startTime": started, "active": 1, "ready": 1, "terminating": 0}
    if phase == "Succeeded":
        return {"startTime": started, "completionTime": now(), "succeeded": 1, "ready": 0, "terminating": 0,
                "conditions": [
                    {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                     "message": "Reached expected number of succeeded pods", "lastTransitionTime": now()},
                    {"type": "Complete", "status": "True", "reason": "CompletionsReached",
                     "message": "Reached expected number of succeeded pods", "lastTransitionTime": now()}]}
    return {"startTime": started, "failed": 1, "ready": 0, "terminating": 0,
            "conditions": [
                {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
                 "message": "Job has reached the specified backoff limit", "lastTransitionTime": now()},
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                 "message": "Job has reached the specified backoff limit", "lastTransitionTime": now()}]}


def _workflow_status(phase: str, workflow: dict) -> dict:
    status: dict[str, Any] = {"phase": phase, "startedAt": workflow.get("status", {}).get("startedAt") or now(),
                              "progress": "1/1" if phase == "Succeeded" else "0/1"}
    if phase in TERMINAL:
        status["finishedAt"] = now()
    if phase in ("Failed", "Error"):
        status["message"] = "child 'main' failed"
    return status


def make_certificate(folder: str | Path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (certificate file, key file), made with the openssl CLI."""
    folder = Path(folder)
    cert, key = folder / "standin.crt", folder / "standin.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return str(cert), str(key)
