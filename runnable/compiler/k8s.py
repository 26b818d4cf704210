"""The k8s target: a ``batch/v1`` Job (or CronJob) whose single pod runs the whole definition.

A pipeline runs with the local scheduler inside that pod, so users without Argo can run
it on any cluster. The pod resumes a run when Kubernetes starts it again (backoffLimit):
steps that succeeded are skipped. Each Job gets its own run id at run time, from its name
and uid, so every execution of a CronJob is a new run (runnable 0.50 reused one id).
"""

from __future__ import annotations

from typing import Any

from runnable.compiler import kube
from runnable.compiler.base import Rendered, RenderRequest, Target
from runnable.compiler.plan import lower
from runnable.ir.checkers import ANY, BOOL, MAP, STR, TypeSpec
from runnable.ir.errors import ConfigError
from runnable.ir.model import Definition

_JOB_SPEC_KEYS = {"activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "template", "selector"}
_TEMPLATE_KEYS = {"metadata", "spec"}
_POD_META_KEYS = {"labels", "annotations", "namespace", "generate_name"}
_POD_KEYS = {"activeDeadlineSeconds", "nodeSelector", "tolerations", "volumes", "serviceAccountName", "restartPolicy",
             "container", "securityContext", "automountServiceAccountToken"}
_CONTAINER_KEYS = {"image", "env", "imagePullPolicy", "resources", "volumeMounts", "securityContext"}
RUN_ID_ARGS = ["--run-id", "$(RUNNABLE_JOB_NAME)-$(RUNNABLE_JOB_UID)"]
MINI = "mini-k8s-job"
_JOB_TYPES = ("k8s-job", MINI)
#: set (by executor_config) on a mini-k8s-job's settings: its stores live on the node's disk, not on a PVC
MINI_FLAG = "__mini__"
#: runnable's defaults for mini-k8s-job: folders of the (minikube) node, shared with the host by 'minikube mount'
MINI_RUN_LOG_LOCATION = "/volume/run_logs/"
MINI_CATALOG_LOCATION = "/volume/catalog/"


def executor_config(config: Any, kind: str) -> dict[str, Any]:
    """The k8s-job section for this definition: its own executor's, else the other executor's."""
    if config is None:
        return {}
    own = config.executor_for(kind)
    if own.type in _JOB_TYPES:
        return {**own.config, MINI_FLAG: True} if own.type == MINI else dict(own.config)
    other = config.executor_for("pipeline" if kind == "job" else "job")
    if other.type not in _JOB_TYPES:
        return {}
    return {**other.config, MINI_FLAG: True} if other.type == MINI else dict(other.config)


def settings_from(raw: dict[str, Any], image_flag: str = "") -> tuple[kube.PodSettings, dict[str, Any]]:
    """PodSettings and the Job-level fields of runnable's ``jobSpec`` config, checked key by key."""
    where = "job-executor.config.jobSpec"
    job_spec = kube.expect_mapping(raw.get("jobSpec") or {}, where)
    kube.only_keys(job_spec, _JOB_SPEC_KEYS, where)
    template = kube.expect_mapping(job_spec.get("template") or {}, f"{where}.template")
    kube.only_keys(template, _TEMPLATE_KEYS, f"{where}.template")
    pod = kube.expect_mapping(template.get("spec") or {}, f"{where}.template.spec")
    kube.only_keys(pod, _POD_KEYS, f"{where}.template.spec")
    container = kube.expect_mapping(pod.get("container") or {}, f"{where}.template.spec.container")
    kube.only_keys(container, _CONTAINER_KEYS, f"{where}.template.spec.container")
    pod_level = {k: pod[k] for k in ("nodeSelector", "tolerations", "serviceAccountName", "activeDeadlineSeconds")
                 if k in pod}
    if "securityContext" in pod:
        pod_level["podSecurityContext"] = pod["securityContext"]
    settings = kube.read_settings({**container, **pod_level}, f"{where}.template.spec", image_flag)
    settings.project_dir = str(raw.get("project_dir") or kube.PROJECT_DIR)
    kube.read_identity(settings, raw)
    settings.namespace = str(raw.get("namespace") or "")
    settings.pvc = str(raw.get("pvc_claim_name") or kube.DEFAULT_PVC)
    settings.secret_name = str(raw.get("secret_from_k8s") or "")
    settings.volumes = kube.expect_list(pod.get("volumes") or [], f"{where}.template.spec.volumes")
    meta = kube.expect_mapping(template.get("metadata") or {}, f"{where}.template.metadata")
    kube.only_keys(meta, _POD_META_KEYS, f"{where}.template.metadata")
    settings.labels = {str(k): str(v) for k, v in kube.expect_mapping(meta.get("labels") or {}, where).items()}
    settings.annotations = {str(k): str(v) for k, v in kube.expect_mapping(meta.get("annotations") or {}, where).items()}
    notices: list[str] = []
    if meta.get("namespace"):  # runnable's pod namespace: the Job's, as a Job's pods live in its namespace
        if settings.namespace and settings.namespace != str(meta["namespace"]):
            raise ConfigError(f"{where}.template.metadata.namespace {meta['namespace']!r} differs from the executor's "
                              f"namespace {settings.namespace!r}; a Job's pods run in the Job's namespace: keep one.")
        settings.namespace = str(meta["namespace"])
    if "generate_name" in meta:
        notices.append(f"{where}.template.metadata.generate_name is accepted and changes nothing: Kubernetes names "
                       "a Job's pods after the Job, and each run's id comes from the Job's name and uid.")
    restart = pod.get("restartPolicy", "Never")
    if restart not in ("Never", "OnFailure"):
        raise ConfigError(f"{where}.template.spec.restartPolicy must be Never or OnFailure for a Job, got {restart!r}.")
    job_fields: dict[str, Any] = {"restartPolicy": restart}
    automount = pod.get("automountServiceAccountToken", False)  # a step that needs the API says so
    if not isinstance(automount, bool):
        raise ConfigError(f"{where}.template.spec.automountServiceAccountToken must be true or false.")
    job_fields["automountServiceAccountToken"] = automount
    for key in ("activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished"):
        if key in job_spec:
            value = job_spec[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{where}.{key} must be a whole number, got {value!r}.")
            job_fields[key] = value
    if job_spec.get("selector") is not None:
        job_fields["selector"] = _selector(job_spec["selector"], settings, f"{where}.selector")
    job_fields["notices"] = notices
    return settings, job_fields


def _selector(raw: Any, settings: kube.PodSettings, where: str) -> dict[str, Any]:
    """runnable's ``jobSpec.selector``: a manual selector, whose matchLabels the pods then carry."""
    selector = kube.expect_mapping(raw, where)
    kube.only_keys(selector, {"matchLabels", "matchExpressions"}, where)
    labels = {str(k): str(v) for k, v in kube.expect_mapping(selector.get("matchLabels") or {}, where).items()}
    for key, value in labels.items():
        if settings.labels.get(key, value) != value:
            raise ConfigError(f"{where}.matchLabels.{key} is {value!r} but the pod template's label says "
                              f"{settings.labels[key]!r}; a Job's selector must match its pods.")
    settings.labels = {**settings.labels, **labels}
    result: dict[str, Any] = {}
    if labels:
        result["matchLabels"] = dict(sorted(labels.items()))
    if selector.get("matchExpressions"):
        result["matchExpressions"] = kube.expect_list(selector["matchExpressions"], f"{where}.matchExpressions")
    if not result:
        raise ConfigError(f"{where} needs matchLabels or matchExpressions.")
    return result


_K8S_JOB_KEYS = {
    "pvc_claim_name": STR,
    "config_path": ANY,
    "namespace": STR,
    "mock": BOOL,
    "schedule": STR,
    "jobSpec": MAP,
    "secret_from_k8s": STR,
    "timezone": STR,
    "project_dir": STR,
    "instance": STR,
    "part_of": STR,
    "overrides": MAP,
}
# runnable's minikube variant: no PVC, the run log and catalog in folders of the node (hostPath).
_MINI_K8S_JOB_KEYS = {**{k: v for k, v in _K8S_JOB_KEYS.items() if k != "pvc_claim_name"},
                      "mini_k8s_run_log_location": STR, "mini_k8s_catalog_location": STR}


class K8sTarget(Target):
    """A Kubernetes Job (or CronJob) whose one pod runs the whole definition."""

    name = "k8s"
    executors = {
        "pipeline-executor": {"k8s-job": TypeSpec(_K8S_JOB_KEYS)},
        "job-executor": {"k8s-job": TypeSpec(_K8S_JOB_KEYS),
                         MINI: TypeSpec(_MINI_K8S_JOB_KEYS)},
    }
    override_key = "k8s-job"
    one_container = True
    output = "manifests"
    submits = True
    engine = "runnable.apply.cluster"

    def render(self, definition: Definition, request: RenderRequest) -> Rendered:
        notices: list[str] = []
        documents = render(definition, request.config, image=request.image, source=request.source, notices=notices)
        rendered = kube.manifests(documents, self.name, request.source)
        rendered.notices = notices
        return rendered


TARGET = K8sTarget()


def render(definition: Definition, config: Any = None, image: str = "", source: str = "",
           notices: list[str] | None = None) -> list[dict[str, Any]]:
    """The target's objects: the IR ConfigMap, then the Job or CronJob that runs it (``notices`` collects
    the accepted settings that change nothing)."""
    raw = executor_config(config, definition.kind)
    settings, job_fields = settings_from(raw, image)
    if notices is not None:
        notices.extend(job_fields["notices"])
    planned = lower(definition, TARGET)  # refuses step overrides a one-pod pipeline cannot honour
    if planned.job is not None and planned.job.override:
        settings = _with_override(settings, raw, planned.job.override)
    name = kube.base_name(definition, source)
    ir_text, ir_hash = kube.ir_identity(definition)
    config_map = kube.ir_config_map(ir_text, ir_hash, config, name, settings,
                                    bool(kube.definition_secrets(definition)))
    job_spec = _job_spec(definition, name, settings, job_fields, config_map["metadata"]["name"], _host_paths(raw))
    schedule = raw.get("schedule")
    if schedule:
        cron: dict[str, Any] = {"schedule": str(schedule)}
        if raw.get("timezone"):
            cron["timeZone"] = str(raw["timezone"])
        cron["concurrencyPolicy"] = "Forbid"  # a run still going is never overtaken by the next
        cron["jobTemplate"] = {"metadata": {"labels": kube.object_labels(name, settings)}, "spec": job_spec}
        workload = {"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": kube.metadata(name[:52].rstrip("-"), name, settings, ir_hash), "spec": cron}
    else:
        workload = {"apiVersion": "batch/v1", "kind": "Job", "metadata": kube.metadata(name, name, settings, ir_hash),
                    "spec": job_spec}
    return [config_map, workload]


def _with_override(settings: kube.PodSettings, raw: dict[str, Any], override: str) -> kube.PodSettings:
    """The job's pod with its task's override (``overrides={"k8s-job": name}``) from the executor's config."""
    where = "job-executor.config.overrides"
    defined = kube.expect_mapping(raw.get("overrides") or {}, where)
    if override not in defined:
        known = ", ".join(sorted(defined)) or "none"
        raise ConfigError(f"The job asks for override {override!r}, which {where} does not define (defined: {known}).")
    return settings.overridden(kube.expect_mapping(defined[override], f"{where}.{override}"), f"{where}.{override}")


def _job_spec(definition: Definition, app: str, settings: kube.PodSettings, job_fields: dict[str, Any],
              config_map_name: str, host_paths: dict[str, str] | None = None) -> dict[str, Any]:
    env = [
        {"name": "RUNNABLE_JOB_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['job-name']"}}},
        {"name": "RUNNABLE_JOB_UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['controller-uid']"}}},
    ]
    # One pod runs every step, so it mounts every secret the definition declares (docs/security.md).
    secrets = kube.secret_volume(kube.definition_secrets(definition), settings, f"{definition.kind} {definition.name!r}")
    pod: dict[str, Any] = {"restartPolicy": job_fields["restartPolicy"]}
    if settings.service_account:
        pod["serviceAccountName"] = settings.service_account
    pod["automountServiceAccountToken"] = job_fields["automountServiceAccountToken"]
    pod["securityContext"] = settings.pod_security()
    if settings.active_deadline_seconds:
        pod["activeDeadlineSeconds"] = settings.active_deadline_seconds
    if settings.node_selector:
        pod["nodeSelector"] = dict(sorted(settings.node_selector.items()))
    if settings.tolerations:
        pod["tolerations"] = settings.tolerations
    pod["containers"] = [kube.container("main", settings, ["--all", *RUN_ID_ARGS], env,
                                        [secrets[1]] if secrets else None)]
    pod["volumes"] = kube.volumes(config_map_name, settings) + ([secrets[0]] if secrets else [])
    if host_paths:
        _stores_on_node(pod, host_paths)
    spec: dict[str, Any] = {key: job_fields[key] for key in ("activeDeadlineSeconds", "backoffLimit",
                                                               "ttlSecondsAfterFinished") if key in job_fields}
    spec.setdefault("backoffLimit", 2)
    if "selector" in job_fields:  # runnable's own selector: Kubernetes then leaves the Job's pods to it
        spec["selector"] = job_fields["selector"]
        spec["manualSelector"] = True
    spec["template"] = {"metadata": {"labels": dict(sorted({**kube.object_labels(app, settings),
                                                            **settings.labels}.items()))},
                        "spec": pod}
    if settings.annotations:
        spec["template"]["metadata"]["annotations"] = dict(sorted(settings.annotations.items()))
    return spec


def _host_paths(raw: dict[str, Any]) -> dict[str, str]:
    """mini-k8s-job: mount path -> the node's folder holding it (empty for k8s-job)."""
    if not raw.get(MINI_FLAG):
        return {}
    return {kube.RUN_LOG_DIR: str(raw.get("mini_k8s_run_log_location") or MINI_RUN_LOG_LOCATION),
            kube.CATALOG_DIR: str(raw.get("mini_k8s_catalog_location") or MINI_CATALOG_LOCATION)}


def _stores_on_node(pod: dict[str, Any], host_paths: dict[str, str]) -> None:
    """Replace the PVC holding the stores by the node's folders (hostPath), one volume per store.

    This is what mini-k8s-job is for (a local minikube whose node folders are the laptop's,
    through 'minikube mount'); it is the one rendering that uses host paths.
    """
    names = {kube.RUN_LOG_DIR: "runnable-run-logs", kube.CATALOG_DIR: "runnable-catalog"}
    volumes = [v for v in pod["volumes"] if v["name"] != kube.STORE_VOLUME]
    pod["volumes"] = volumes[:1] + [{"name": names[path], "hostPath": {"path": folder, "type": "DirectoryOrCreate"}}
                                    for path, folder in host_paths.items()] + volumes[1:]
    for container in pod["containers"]:
        for mount in container["volumeMounts"]:
            if mount["name"] == kube.STORE_VOLUME:
                mount["name"] = names[mount["mountPath"]]
                mount.pop("subPath", None)
