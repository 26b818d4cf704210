"""Rendered Argo workflows, executed: every container template runs in Docker through the test harness
(tests/argo_harness.py, an Argo stand-in, not a cluster), and the run must end exactly as a local run does.

Compared: the run's status, final parameters, every step's status and the catalog's files; and the
workflow's own phase must say what the run's status says.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import render_manifests
from runnable.config import parse_config
from runnable.cli.discovery import load_definition
from tests.argo_harness import run_workflow
from tests.compiler.test_parity import _copy, _outcome
from tests.helpers import cli
from tests.test_examples import EXPECTED, PARAMS

ARGO_EXAMPLES = [
    "examples/02-sequential/traversal.py",
    "examples/02-sequential/on_failure_succeed.py",
    "examples/02-sequential/on_failure_fail.py",
    "examples/02-sequential/default_fail.py",
    "examples/02-sequential/conditional.py",
    "examples/03-parameters/passing_parameters_python.py",
    "examples/04-catalog/catalog_python.py",
    "examples/06-parallel/parallel.py",
    "examples/06-parallel/branch_fail.py",
    "examples/06-parallel/nesting.py",
    "examples/07-map/map.py",
    "examples/07-map/map_fail.py",
    "examples/07-map/custom_reducer.py",
    "examples/09-retry/retry.py",
    "examples/10-loop/loop.py",
    "examples/11-jobs/python_tasks.py",
]
PROJECT_IN_IMAGE = "/project"


def _with_project_mounted(workflow: dict[str, Any], project: Path) -> dict[str, Any]:
    """The user's image holds their code; here it is the project folder, mounted where the image's WORKDIR is."""
    workflow = copy.deepcopy(workflow)
    spec = workflow["spec"].get("workflowSpec", workflow["spec"])
    spec["volumes"].append({"name": "project", "hostPath": {"path": str(project)}})
    for template in spec["templates"]:
        if "container" in template:
            template["container"]["volumeMounts"].append({"name": "project", "mountPath": PROJECT_IN_IMAGE,
                                                          "readOnly": True})
    return workflow


def run_on_argo(example: str, project: Path, image: str, run_id: str, env: dict[str, str] | None = None) -> Any:
    config = parse_config({"pipeline-executor": {"type": "argo", "config": {
        "pvc_for_runnable": "runnable", "defaults": {"image": image}}}}, "argo.yaml")
    import os

    previous = os.getcwd()
    os.chdir(project)
    try:
        config_map, workflow = render_manifests(load_definition(example).to_ir(), "argo", config, source=example)[0]
    finally:
        os.chdir(previous)
    pvc = project / "pvc"
    result = run_workflow(_with_project_mounted(workflow, project), host_volumes={"runnable": str(pvc)},
                          config_maps={config_map["metadata"]["name"]: config_map["data"]},
                          parameters={"run_id": run_id, "parameters_file": PARAMS}, extra_env=env or {},
                          workflow_name="wf-parity")
    return result, pvc


def _argo_outcome(pvc: Path, run_id: str) -> dict[str, Any]:
    """The same summary as the other targets', read from the run-log store and catalog on the volume."""
    root = pvc.parent
    (root / ".run_log_store").symlink_to(pvc / "run-logs")
    (root / ".catalog").symlink_to(pvc / "catalog")
    return _outcome(root, run_id)


@pytest.mark.parametrize("example", ARGO_EXAMPLES)
def test_argo_run_ends_like_a_local_run(example: str, project: Path, docker_image: str, tmp_path_factory) -> None:
    expected = EXPECTED[example]
    env = expected.get("env")
    local = _copy(project, tmp_path_factory.mktemp("local") / "p")
    result = cli(["run", example, "-p", PARAMS, "--run-id", "parity"], local, env)
    assert result.returncode == expected.get("exit", 0), result.stderr
    wanted = _outcome(local, "parity")

    argo = _copy(project, tmp_path_factory.mktemp("argo") / "p")
    harness, pvc = run_on_argo(example, argo, docker_image, "parity", env)
    logs = "\n".join(f"--- {pod.node} ({pod.exit_code})\n{pod.logs[-1500:]}" for pod in harness.pods)
    got = _argo_outcome(pvc, "parity")
    assert got == wanted, logs
    assert harness.phase == ("Succeeded" if wanted["status"] == "SUCCESS" else "Failed"), (harness.nodes, logs)


def test_run_id_defaults_to_the_workflow_name(project: Path, docker_image: str) -> None:
    harness, pvc = run_on_argo("examples/02-sequential/traversal.py", project, docker_image, "")
    assert harness.phase == "Succeeded"
    assert (pvc / "run-logs" / "wf-parity" / "run.json").is_file()


def test_resubmitting_with_the_same_run_id_resumes_the_run(project: Path, docker_image: str) -> None:
    first, pvc = run_on_argo("examples/09-retry/retry.py", project, docker_image, "again")
    assert first.phase == "Failed"
    (project / "fixed").write_text("")
    second, _ = run_on_argo("examples/09-retry/retry.py", project, docker_image, "again")
    assert second.phase == "Succeeded"
    outcome = _argo_outcome(pvc, "again")
    assert outcome["status"] == "SUCCESS" and outcome["steps"]["needs fix"] == "SUCCESS"
    assert not any(pod.template.startswith("step") and "flaky" in " ".join(pod.args) and pod.exit_code != 0
                   for pod in second.pods)  # the flaky step succeeded before: skipped, never failing again


def test_each_step_pod_reads_only_its_own_secrets_from_files(project: Path, docker_image: str) -> None:
    from runnable import Pipeline, ShellTask

    pipeline = Pipeline(steps=[
        ShellTask(name="with", command='test "$TOKEN" = t0k3n && echo "token is $TOKEN"', secrets=["TOKEN"]),
        ShellTask(name="without", command='test -z "$TOKEN" && test ! -e /runnable/secrets/TOKEN'),
    ])
    config = parse_config({"pipeline-executor": {"type": "argo", "config": {
        "pvc_for_runnable": "runnable", "secret_from_k8s": "vault", "defaults": {"image": docker_image}}}}, "argo.yaml")
    config_map, workflow = render_manifests(pipeline.to_ir(), "argo", config)[0]
    pvc = project / "pvc"
    result = run_workflow(_with_project_mounted(workflow, project), host_volumes={"runnable": str(pvc)},
                          config_maps={config_map["metadata"]["name"]: config_map["data"]},
                          secrets={("vault", "TOKEN"): "t0k3n"}, parameters={"run_id": "secret"},
                          workflow_name="wf-secret")
    logs = "\n".join(f"--- {pod.node} ({pod.exit_code})\n{pod.logs[-800:]}" for pod in result.pods)
    assert result.phase == "Succeeded", logs
    assert all("TOKEN" not in pod.env for pod in result.pods)  # never in a container's environment
    saved = (pvc / "catalog" / "secret" / "with.execution.log").read_text()
    assert "token is" in saved and "t0k3n" not in saved
