"""The k8s target: what the Job/CronJob says, what config it honours, and that its container really runs."""

from __future__ import annotations

import json

import os
import re
from pathlib import Path
from typing import Any

import pytest

from runnable.compiler import k8s
from tests.helpers import render_manifests
from runnable.config import parse_config
from runnable.cli.discovery import load_definition
from runnable.ir.errors import ConfigError, DefinitionError
from tests.helpers import cli

JOB_SPEC = {
    "activeDeadlineSeconds": 600, "backoffLimit": 4, "ttlSecondsAfterFinished": 60,
    "template": {
        "metadata": {"annotations": {"team": "data"}, "labels": {"tier": "batch"}},
        "spec": {
            "activeDeadlineSeconds": 300, "serviceAccountName": "runner", "nodeSelector": {"pool": "cpu"},
            "tolerations": [{"key": "batch", "operator": "Exists", "effect": "NoSchedule"}],
            "volumes": [{"name": "scratch", "emptyDir": {}}],
            "container": {
                "image": "example/app:1.2", "imagePullPolicy": "Always",
                "env": [{"name": "MODE", "value": "fast"}],
                "resources": {"limits": {"cpu": "2", "memory": "2Gi", "gpu": 1}, "requests": {"cpu": "1"}},
                "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
            },
        },
    },
}


def _config(extra: dict[str, Any] | None = None, kind: str = "job-executor") -> Any:
    section = {"pvc_claim_name": "claim", "namespace": "etl", "jobSpec": JOB_SPEC, **(extra or {})}
    return parse_config({kind: {"type": "k8s-job", "config": section}}, "k8s.yaml")


def _render(example: str, config: Any) -> list[dict[str, Any]]:
    documents, _ = render_manifests(load_definition(example).to_ir(), "k8s", config, source=example)
    return documents


def _container(job: dict[str, Any]) -> dict[str, Any]:
    return job["spec"]["template"]["spec"]["containers"][0]


def test_job_honours_runnables_job_spec(project: Path) -> None:
    config_map, job = _render("examples/11-jobs/python_tasks.py", _config())
    assert job["kind"] == "Job" and job["metadata"]["namespace"] == "etl" == config_map["metadata"]["namespace"]
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    assert (spec["activeDeadlineSeconds"], spec["backoffLimit"], spec["ttlSecondsAfterFinished"]) == (600, 4, 60)
    assert pod["restartPolicy"] == "Never" and pod["serviceAccountName"] == "runner"
    assert pod["activeDeadlineSeconds"] == 300 and pod["nodeSelector"] == {"pool": "cpu"}
    assert pod["tolerations"] == JOB_SPEC["template"]["spec"]["tolerations"]
    assert {"name": "scratch", "emptyDir": {}} in pod["volumes"]
    assert {"name": "runnable-store", "persistentVolumeClaim": {"claimName": "claim"}} in pod["volumes"]
    container = _container(job)
    assert container["image"] == "example/app:1.2" and container["imagePullPolicy"] == "Always"
    assert {"name": "MODE", "value": "fast"} in container["env"]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "2Gi", "nvidia.com/gpu": "1"}
    assert container["resources"]["requests"]["cpu"] == "1" and container["resources"]["requests"]["nvidia.com/gpu"] == "1"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/runnable/run-logs"]["subPath"] == "run-logs" and mounts["/runnable/catalog"]["subPath"] == "catalog"
    assert "/scratch" in mounts
    assert job["spec"]["template"]["metadata"]["labels"]["tier"] == "batch"
    assert job["spec"]["template"]["metadata"]["annotations"] == {"team": "data"}


def test_the_ir_travels_in_a_config_map_named_after_its_content(project: Path) -> None:
    config_map, job = _render("examples/02-sequential/traversal.py", _config())
    ir_volume = next(v for v in job["spec"]["template"]["spec"]["volumes"] if "configMap" in v)
    assert ir_volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert re.fullmatch(r"traversal-ir-[0-9a-f]{10}", config_map["metadata"]["name"])
    assert set(config_map["data"]) == {"ir.json", "config.json"}
    other = _render("examples/02-sequential/on_failure_fail.py", _config())[0]
    assert other["metadata"]["name"] != config_map["metadata"]["name"]


def test_a_pipeline_runs_whole_in_one_pod_with_a_run_id_from_the_job(project: Path) -> None:
    _, job = _render("examples/02-sequential/traversal.py", _config())
    container = _container(job)
    assert container["args"][0] == "--all"
    assert container["args"][1:] == ["--run-id", "$(RUNNABLE_JOB_NAME)-$(RUNNABLE_JOB_UID)"]
    fields = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"] if "valueFrom" in e}
    assert fields == {"RUNNABLE_JOB_NAME": "metadata.labels['job-name']",
                      "RUNNABLE_JOB_UID": "metadata.labels['controller-uid']"}


def test_schedule_makes_a_cron_job_whose_executions_are_separate_runs(project: Path) -> None:
    _, cron = _render("examples/11-jobs/python_tasks.py", _config({"schedule": "*/5 * * * *", "timezone": "UTC"}))
    assert cron["kind"] == "CronJob"
    assert cron["spec"]["schedule"] == "*/5 * * * *" and cron["spec"]["timeZone"] == "UTC"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    template = cron["spec"]["jobTemplate"]["spec"]["template"]
    assert "$(RUNNABLE_JOB_UID)" in " ".join(template["spec"]["containers"][0]["args"])


def test_pipeline_executor_k8s_job_and_job_executor_both_configure_a_pipeline(project: Path) -> None:
    for kind in ("job-executor", "pipeline-executor"):
        _, job = _render("examples/02-sequential/traversal.py", _config(kind=kind))
        assert _container(job)["image"] == "example/app:1.2"


def test_secrets_are_references_to_the_named_secret(project: Path) -> None:
    example = "examples/03-parameters/use_secrets.py"
    with pytest.raises(DefinitionError, match="secret_from_k8s"):
        _render(example, _config())
    config_map, job = _render(example, _config({"secret_from_k8s": "vault"}))
    assert not any("secretKeyRef" in e.get("valueFrom", {}) for e in _container(job)["env"])
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    assert volumes["runnable-secrets"]["secret"] == {"secretName": "vault", "defaultMode": 0o440,
                                                     "items": [{"key": "MY_SECRET", "path": "MY_SECRET"}]}
    assert {"name": "runnable-secrets", "mountPath": "/runnable/secrets", "readOnly": True} in \
        _container(job)["volumeMounts"]
    assert json.loads(config_map["data"]["config.json"])["secrets"] == {
        "type": "secret-files", "config": {"location": "/runnable/secrets"}}


@pytest.mark.parametrize(("change", "message"), [
    ({"backoffLimits": 3}, "has no key 'backoffLimits'.*backoffLimit"),
    ({"template": {"spec": {"restartPolicy": "Always"}}}, "restartPolicy must be Never or OnFailure"),
    ({"template": {"spec": {"container": {"imagePullPolicy": "Sometimes"}}}}, "imagePullPolicy"),
    ({"template": {"spec": {"container": {"resources": {"limits": {"memory": ["1Gi"]}}}}}}, "quantity"),
    ({"backoffLimit": "three"}, "whole number"),
])
def test_bad_job_spec_is_refused_with_the_key_at_fault(project: Path, change: dict[str, Any], message: str) -> None:
    config = parse_config({"job-executor": {"type": "k8s-job", "config": {"jobSpec": change}}}, "k8s.yaml")
    with pytest.raises(ConfigError, match=message):
        _render("examples/11-jobs/python_tasks.py", config)


def test_bad_quantities_and_names_fail_validation_before_anything_is_written(project: Path) -> None:
    bad = {"jobSpec": {"template": {"spec": {"container": {"resources": {"limits": {"memory": "1 Gi"}}}}}}}
    config_file = project / "bad.yaml"
    import yaml

    config_file.write_text(yaml.safe_dump({"job-executor": {"type": "k8s-job", "config": bad}}))
    result = cli(["compile", "examples/11-jobs/python_tasks.py", "--target", "k8s", "-c", "bad.yaml", "-o", "out"],
                 project)
    assert result.returncode == 2 and "1 Gi" in result.stderr and "Traceback" not in result.stderr
    assert not (project / "out").exists()


def test_default_image_and_pvc_when_no_config(project: Path) -> None:
    _, job = _render("examples/11-jobs/python_tasks.py", None)
    assert _container(job)["image"] == "runnable-project:latest"
    assert {"name": "runnable-store", "persistentVolumeClaim": {"claimName": "runnable"}} in \
        job["spec"]["template"]["spec"]["volumes"]
    assert _container(job)["resources"]["limits"] and _container(job)["resources"]["requests"]


# -- the rendered container, run for real -------------------------------------------------------------


def run_pod_container(pod_spec: dict[str, Any], volumes_on_host: dict[str, str], config_maps: dict[str, dict[str, str]],
                      labels: dict[str, str], project: Path, image: str, tmp: Path,
                      secrets: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a pod's first container with Docker as the kubelet would: its user, working directory,
    read-only root filesystem, dropped capabilities and no privilege escalation; volumes map to host
    folders, fieldRefs to ``labels``. The image's code is the project folder, mounted read-only."""
    import docker

    container = pod_spec["containers"][0]
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = _expand(item["value"], env)
        else:
            path = item["valueFrom"]["fieldRef"]["fieldPath"]
            env[item["name"]] = labels[re.fullmatch(r"metadata\.labels\['(.+)'\]", path).group(1)]
    args = [_expand(arg, env) for arg in container.get("args", [])]
    volumes = {v["name"]: v for v in pod_spec["volumes"]}
    binds: dict[str, dict[str, str]] = {str(project): {"bind": "/project", "mode": "ro"}}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            source = tmp / "configmaps" / volume["configMap"]["name"]
            source.mkdir(parents=True, exist_ok=True)
            for name, text in config_maps[volume["configMap"]["name"]].items():
                (source / name).write_text(text)
        elif "secret" in volume:  # the kubelet writes each item as a file, with the volume's mode
            source = tmp / "secrets" / mount["name"]
            source.mkdir(parents=True, exist_ok=True)
            for item in volume["secret"]["items"]:
                (source / item["path"]).write_text(secrets[item["key"]])
                (source / item["path"]).chmod(0o444)  # the test's files are not the fsGroup's: readable by all
        elif "persistentVolumeClaim" in volume:
            source = Path(volumes_on_host[volume["persistentVolumeClaim"]["claimName"]]) / mount.get("subPath", "")
        else:
            source = tmp / "empty" / mount["name"]
        source.mkdir(parents=True, exist_ok=True)
        for folder in (source, *source.parents):  # the pod's user must reach and write its volumes
            if folder == tmp.parent:
                break
            folder.chmod(0o777)
        binds[str(source)] = {"bind": mount["mountPath"], "mode": "ro" if mount.get("readOnly") else "rw"}
    pod_security, security = pod_spec.get("securityContext", {}), container.get("securityContext", {})
    user = f"{pod_security.get('runAsUser', os.getuid())}:{pod_security.get('runAsGroup', os.getgid())}"
    client = docker.from_env()
    handle = client.containers.create(
        image, entrypoint=container["command"], command=args, environment=env,
        working_dir=container.get("workingDir"), volumes=binds, user=user, network_mode="none",
        read_only=security.get("readOnlyRootFilesystem", False), cap_drop=security.get("capabilities", {}).get("drop"),
        security_opt=["no-new-privileges"] if security.get("allowPrivilegeEscalation") is False else None)
    try:
        handle.start()
        code = handle.wait(timeout=300)["StatusCode"]
        return code, handle.logs().decode(errors="replace")
    finally:
        handle.remove(force=True)


def _expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion in env values and args."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), text)


def test_a_job_reads_its_secrets_from_files_and_masks_them(project: Path, docker_image: str, tmp_path: Path) -> None:
    from runnable.stores.run_log import FileSystemRunLogStore

    config_map, job = _render("examples/03-parameters/use_secrets.py", _config({
        "secret_from_k8s": "vault", "jobSpec": {"template": {"spec": {"container": {"image": docker_image}}}}}))
    pvc = tmp_path / "pvc"
    labels = {"job-name": job["metadata"]["name"], "controller-uid": "5f0c6a4e-0000-4000-8000-000000000002"}
    code, logs = run_pod_container(job["spec"]["template"]["spec"], {"claim": str(pvc)},
                                   {config_map["metadata"]["name"]: config_map["data"]}, labels, project,
                                   docker_image, tmp_path, secrets={"MY_SECRET": "pod-s3cr3t"})
    assert code == 0, logs
    run_id = f"{labels['job-name']}-{labels['controller-uid']}"
    assert FileSystemRunLogStore(str(pvc / "run-logs")).get_run(run_id).status == "SUCCESS"
    saved = (pvc / "catalog" / run_id / "shell secret.execution.log").read_text()
    assert "shell sees" in saved and "pod-s3cr3t" not in saved and "pod-s3cr3t" not in logs


@pytest.mark.parametrize(("example", "parameters"), [
    ("examples/03-parameters/passing_parameters_python.py", {"integer": 3, "stringer": "world", "bumped": 8}),
    ("examples/04-catalog/catalog_python.py", {}),
    ("examples/11-jobs/python_tasks.py", {}),
])
def test_rendered_job_container_runs_the_definition_to_the_end(example: str, parameters: dict[str, Any],
                                                               project: Path, docker_image: str, tmp_path: Path
                                                               ) -> None:
    from runnable.stores.run_log import FileSystemRunLogStore

    config_map, job = _render(example, _config({"jobSpec": {"template": {"spec": {"container": {
        "image": docker_image}}}}}))
    pvc = tmp_path / "pvc"
    labels = {"job-name": job["metadata"]["name"], "controller-uid": "5f0c6a4e-0000-4000-8000-000000000001"}
    code, logs = run_pod_container(job["spec"]["template"]["spec"], {"claim": str(pvc)},
                                   {config_map["metadata"]["name"]: config_map["data"]}, labels, project,
                                   docker_image, tmp_path)
    assert code == 0, logs
    run_id = f"{labels['job-name']}-{labels['controller-uid']}"
    run_log = FileSystemRunLogStore(str(pvc / "run-logs")).get_run(run_id)
    assert run_log.status == "SUCCESS"
    values = {name: spec["value"] for name, spec in run_log.parameters.items()}
    assert parameters.items() <= values.items()
    if "passing" in example:
        assert (pvc / "catalog" / run_id).is_dir()
    if "catalog" in example:  # files written in the pod's scratch directory reached the catalog
        assert (pvc / "catalog" / run_id / "data" / "data.csv").is_file()
    # A second pod of the same Job (backoffLimit) resumes the run: nothing runs again.
    again, logs = run_pod_container(job["spec"]["template"]["spec"], {"claim": str(pvc)},
                                    {config_map["metadata"]["name"]: config_map["data"]}, labels, project,
                                    docker_image, tmp_path)
    assert again == 0, logs
    assert FileSystemRunLogStore(str(pvc / "run-logs")).get_run(run_id).status == "SUCCESS"


def test_executor_config_helper_prefers_own_section() -> None:
    config = parse_config({"pipeline-executor": {"type": "k8s-job", "config": {"namespace": "a"}},
                           "job-executor": {"type": "k8s-job", "config": {"namespace": "b"}}}, "x")
    assert k8s.executor_config(config, "pipeline")["namespace"] == "a"
    assert k8s.executor_config(config, "job")["namespace"] == "b"


# -- mini-k8s-job: runnable's minikube variant ------------------------------------------------------

MINI_CONFIG = "examples/11-jobs/mini-k8s-job.yaml"
JOB_EXAMPLES = ["examples/11-jobs/catalog.py", "examples/11-jobs/notebooks.py",
                "examples/11-jobs/passing_parameters_python.py", "examples/11-jobs/python_tasks.py",
                "examples/11-jobs/scripts.py"]


def test_mini_k8s_job_keeps_the_stores_in_the_nodes_folders(project: Path) -> None:
    config = parse_config({"job-executor": {"type": "mini-k8s-job", "config": {
        "mini_k8s_run_log_location": "/data/logs", "mini_k8s_catalog_location": "/data/catalog",
        "jobSpec": {"template": {"spec": {"container": {"image": "example/app:1.2"}}}}}}}, "mini.yaml")
    config_map, job = _render("examples/11-jobs/python_tasks.py", config)
    pod = job["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert not any("persistentVolumeClaim" in v for v in volumes.values())
    assert volumes["runnable-run-logs"]["hostPath"] == {"path": "/data/logs", "type": "DirectoryOrCreate"}
    assert volumes["runnable-catalog"]["hostPath"] == {"path": "/data/catalog", "type": "DirectoryOrCreate"}
    mounts = {m["mountPath"]: m for m in _container(job)["volumeMounts"]}
    assert mounts["/runnable/run-logs"] == {"name": "runnable-run-logs", "mountPath": "/runnable/run-logs"}
    assert mounts["/runnable/catalog"] == {"name": "runnable-catalog", "mountPath": "/runnable/catalog"}
    assert _container(job)["image"] == "example/app:1.2"
    pod_config = json.loads(config_map["data"]["config.json"])  # the pod's stores are the mounted folders
    assert pod_config["run-log-store"]["config"]["log_folder"] == "/runnable/run-logs"


def test_mini_k8s_job_defaults_and_refuses_a_pvc(project: Path) -> None:
    config = parse_config({"job-executor": {"type": "mini-k8s-job"}}, "mini.yaml")
    _, job = _render("examples/11-jobs/python_tasks.py", config)
    paths = sorted(v["hostPath"]["path"] for v in job["spec"]["template"]["spec"]["volumes"] if "hostPath" in v)
    assert paths == ["/volume/catalog/", "/volume/run_logs/"]
    with pytest.raises(ConfigError, match="has no config key 'pvc_claim_name'"):
        parse_config({"job-executor": {"type": "mini-k8s-job", "config": {"pvc_claim_name": "x"}}}, "mini.yaml")


@pytest.mark.parametrize("example", JOB_EXAMPLES)
def test_golden_mini_k8s_job(example: str, project: Path) -> None:
    """runnable's mini-k8s-job.yaml on every job example: validated, byte-stable, golden."""
    from tests.test_examples import _golden, _golden_dir

    args = ["compile", example, "--target", "k8s", "-c", MINI_CONFIG, "-o", "deploy/mini"]
    result = cli(args, project)
    assert result.returncode == 0, result.stderr
    folder = project / "deploy" / "mini"
    files = {p.name: p.read_text() for p in sorted(folder.iterdir())}
    golden = _golden_dir(example) / "mini-k8s-job"
    for name, text in files.items():
        _golden(golden / name, text)
    assert sorted(p.name for p in golden.iterdir()) == sorted(files), f"stale files in {golden}"
