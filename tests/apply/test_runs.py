"""Cluster runs from a laptop: ``runnable status``, ``logs`` and ``retry`` of runs submitted earlier.

The cluster is the in-process API stand-in (real HTTP, the official client); Workflow node status is written
in Argo's own shape, as its controller would.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from runnable.apply.manifests import with_run_arguments
from runnable.apply.runs import RUN_ID_LABEL, label_run
from tests.helpers import cli
from tests.k8s_standin import KubeStandIn

ARGO = "examples/02-sequential/traversal.py"
JOB = "examples/11-jobs/python_tasks.py"


@pytest.fixture(autouse=True)
def no_ambient_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "HTTP_PROXY", "HTTPS_PROXY",
                 "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def standin() -> Iterator[KubeStandIn]:
    with KubeStandIn(phases={"Workflow": ["Running"], "Job": ["Running"]}) as api:
        yield api


@pytest.fixture
def kubeconfig(standin: KubeStandIn, tmp_path: Path) -> str:
    return str(standin.write_kubeconfig(tmp_path / "kubeconfig", namespace="team"))


def _home(kubeconfig: str) -> dict[str, str]:
    return {"HOME": str(Path(kubeconfig).parent / "home"), "KUBECONFIG": kubeconfig}


def _render(project: Path, example: str, target: str) -> Path:
    out = project / "deploy" / target
    result = cli(["compile", example, "--target", target, "-o", str(out)], project)
    assert result.returncode == 0, result.stderr
    return out


def _workflow(standin: KubeStandIn) -> dict[str, Any]:
    names = standin.names("workflows", "team")
    assert len(names) == 1, names
    return standin.get("workflows", "team", names[0])


def _node(node_id: str, step: str, phase: str, started: str, message: str = "") -> dict[str, Any]:
    """A Pod node of Argo's status for one attempt of the shared step template."""
    return {"id": node_id, "name": f"wf.{step}", "displayName": step.replace(" ", "-"), "type": "Pod",
            "templateName": "step", "phase": phase, "startedAt": started, "message": message,
            "inputs": {"parameters": [{"name": "step", "value": step.replace(" ", "%20")}]}}


def _finish(standin: KubeStandIn, name: str, phase: str, nodes: list[dict[str, Any]]) -> None:
    """What Argo's controller would have written once the workflow ended."""
    key = ("argoproj.io", "workflows", "team", name)
    standin.statuses[name] = {"nodes": {node["id"]: node for node in nodes}}
    standin.progress[key]["phases"] = [phase]


def _pod(standin: KubeStandIn, workflow: str, node_id: str, text: str) -> None:
    pod = f"{workflow}-step-{node_id[-4:]}"
    standin.objects[("", "pods", "team", pod)] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod, "namespace": "team", "creationTimestamp": "2026-01-01T00:00:0" + node_id[-1] + "Z",
                     "labels": {"workflows.argoproj.io/workflow": workflow},
                     "annotations": {"workflows.argoproj.io/node-id": node_id}},
        "spec": {"containers": [{"name": "wait"}, {"name": "main"}]}, "status": {"phase": "Succeeded"}}
    standin.pod_logs[("team", pod, "main")] = text


# ------------------------------------------------------------------------------------------------ submit time


def test_run_id_reaches_workflows_and_jobs_and_labels_them() -> None:
    workflow = {"kind": "Workflow", "metadata": {"generateName": "p-"},
                "spec": {"arguments": {"parameters": [{"name": "run_id", "value": ""}]}}}
    job = {"kind": "Job", "metadata": {"name": "train"}, "spec": {"template": {"spec": {"containers": [
        {"name": "main", "args": ["--all", "--run-id", "$(RUNNABLE_JOB_NAME)-$(RUNNABLE_JOB_UID)"]}]}}}}
    with_run_arguments([workflow, job], "nightly-7", "")
    assert workflow["spec"]["arguments"]["parameters"][0]["value"] == "nightly-7"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["--all", "--run-id", "nightly-7"]
    assert workflow["metadata"]["labels"][RUN_ID_LABEL] == job["metadata"]["labels"][RUN_ID_LABEL] == "nightly-7"


def test_a_run_id_that_is_no_label_value_is_still_passed_but_not_labelled() -> None:
    job = {"kind": "Job", "metadata": {"name": "train"}}
    label_run([job], "x" * 64)
    label_run([job], "has space")
    assert "labels" not in job["metadata"]


@pytest.mark.parametrize("bad", ["$(HOME)", "{{workflow.name}}", "a\nb"])
def test_run_ids_that_kubernetes_or_argo_would_expand_are_refused(bad: str) -> None:
    job = {"kind": "Job", "metadata": {"name": "train"}, "spec": {}}
    with pytest.raises(Exception, match="choose another value"):
        with_run_arguments([job], bad, "")


# ------------------------------------------------------------------------------------------------- status


def test_status_of_a_failed_argo_run_names_phase_steps_done_and_the_failed_step(
        project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, ARGO, "argo")
    applied = cli(["apply", str(out), "--run-id", "nightly"], project, _home(kubeconfig))
    assert applied.returncode == 0, applied.stderr
    name = _workflow(standin)["metadata"]["name"]
    _finish(standin, name, "Failed", [
        _node("wf-1", "hello python", "Succeeded", "2026-01-01T00:00:01Z"),
        _node("wf-2", "hello shell", "Failed", "2026-01-01T00:00:02Z", "Error (exit code 1)"),
        _node("wf-3", "hello shell", "Failed", "2026-01-01T00:00:03Z", "Error (exit code 1)")])

    result = cli(["status", "nightly"], project, _home(kubeconfig))
    assert result.returncode == 0, result.stderr
    assert f"Workflow/{name} in namespace team" in result.stdout
    assert "phase    Failed" in result.stdout
    assert "steps    1 done of 2 started" in result.stdout
    assert "failed   hello shell" in result.stdout
    assert "hello shell  (2 attempts)" in result.stdout

    data = json.loads(cli(["status", "nightly", "--json"], project, _home(kubeconfig)).stdout)
    assert data["phase"] == "Failed" and data["failed_steps"] == ["hello shell"] and data["steps_done"] == 1


def test_status_finds_a_workflow_by_its_name_when_no_run_id_was_given(
        project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, ARGO, "argo")
    assert cli(["apply", str(out)], project, _home(kubeconfig)).returncode == 0
    name = _workflow(standin)["metadata"]["name"]
    result = cli(["status", name], project, _home(kubeconfig))
    assert result.returncode == 0, result.stderr
    assert "phase    Running" in result.stdout


def test_status_of_a_job_run_submitted_with_a_run_id(project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, JOB, "k8s")
    assert cli(["apply", str(out), "--run-id", "job-7"], project, _home(kubeconfig)).returncode == 0
    result = cli(["status", "job-7"], project, _home(kubeconfig))
    assert result.returncode == 0, result.stderr
    assert "Job/python-tasks in namespace team" in result.stdout and "phase    Running" in result.stdout
    job = standin.get("jobs", "team", standin.names("jobs", "team")[0])
    assert "job-7" in job["spec"]["template"]["spec"]["containers"][0]["args"]


def test_status_of_an_unknown_run_is_one_line_and_exit_2(project: Path, standin: KubeStandIn,
                                                          kubeconfig: str) -> None:
    result = cli(["status", "nope"], project, _home(kubeconfig))
    assert result.returncode == 2
    assert result.stderr.startswith("Error: No Argo Workflow or Kubernetes Job of run 'nope' in namespace team")
    assert "Traceback" not in result.stderr


def test_status_and_logs_of_a_local_run_come_from_the_store(project: Path) -> None:
    assert cli(["run", ARGO, "--run-id", "here"], project).returncode == 0
    status = cli(["status", "here"], project)
    assert status.returncode == 0 and "phase    Succeeded" in status.stdout
    assert "steps    4 done of 4 started" in status.stdout
    logs = cli(["logs", "here", "--step", "hello python"], project)
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.splitlines() == ["[hello python] Hello World!"]
    missing = cli(["logs", "here", "--step", "nope"], project)
    assert missing.returncode == 2 and "its steps: hello stub, hello python" in missing.stderr


def test_logs_follow_a_local_run_until_it_ends(project: Path) -> None:
    import subprocess
    import sys
    import time

    (project / "slow.py").write_text(
        "from runnable import Pipeline, ShellTask\n"
        "def main():\n"
        "    p = Pipeline(steps=[ShellTask(name='one', command='echo first'),\n"
        "                        ShellTask(name='two', command='sleep 1.5; echo second')])\n"
        "    p.execute()\n"
        "    return p\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    running = subprocess.Popen([sys.executable, "-m", "runnable.cli", "run", "slow.py", "--run-id", "slow"],
                               cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (project / ".run_log_store" / "slow" / "run.json").exists():
            time.sleep(0.05)
        followed = cli(["logs", "slow", "--follow"], project)
    finally:
        running.wait(30)
    assert followed.returncode == 0, followed.stderr
    assert followed.stdout.splitlines() == ["[one] first", "[two] second"]


# --------------------------------------------------------------------------------------------------- logs


def test_logs_of_one_step_of_an_argo_run(project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, ARGO, "argo")
    assert cli(["apply", str(out), "--run-id", "nightly"], project, _home(kubeconfig)).returncode == 0
    name = _workflow(standin)["metadata"]["name"]
    _finish(standin, name, "Failed", [_node("wf-1", "hello python", "Succeeded", "2026-01-01T00:00:01Z"),
                                      _node("wf-2", "hello shell", "Failed", "2026-01-01T00:00:02Z")])
    _pod(standin, name, "wf-1", "Hello World!\n")
    _pod(standin, name, "wf-2", "sh: boom\n")

    one = cli(["logs", "nightly", "--step", "hello shell"], project, _home(kubeconfig))
    assert one.returncode == 1  # the run failed
    assert "sh: boom" in one.stdout and "Hello World!" not in one.stdout
    every = cli(["logs", "nightly"], project, _home(kubeconfig))
    assert "Hello World!" in every.stdout and "sh: boom" in every.stdout
    unknown = cli(["logs", "nightly", "--step", "nope"], project, _home(kubeconfig))
    assert unknown.returncode == 2 and "its steps: hello python, hello shell" in unknown.stderr


def test_logs_step_of_a_job_run_explains_the_one_pod(project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, JOB, "k8s")
    assert cli(["apply", str(out), "--run-id", "job-7"], project, _home(kubeconfig)).returncode == 0
    result = cli(["logs", "job-7", "--step", "x"], project, _home(kubeconfig))
    assert result.returncode == 2 and "runs the whole pipeline in one pod" in result.stderr


# -------------------------------------------------------------------------------------------------- retry


def test_retry_of_a_failed_argo_run_resubmits_it_under_its_run_id(
        project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, ARGO, "argo")
    assert cli(["apply", str(out), "--run-id", "nightly"], project, _home(kubeconfig)).returncode == 0
    first = _workflow(standin)["metadata"]["name"]
    _finish(standin, first, "Failed", [_node("wf-1", "hello python", "Failed", "2026-01-01T00:00:01Z")])

    result = cli(["retry", "nightly"], project, _home(kubeconfig))
    assert result.returncode == 0, result.stderr
    names = standin.names("workflows", "team")
    assert len(names) == 2
    again = standin.get("workflows", "team", next(n for n in names if n != first))
    arguments = {p["name"]: p["value"] for p in again["spec"]["arguments"]["parameters"]}
    assert arguments["run_id"] == "nightly"
    assert again["metadata"]["labels"][RUN_ID_LABEL] == "nightly"
    assert again["metadata"]["generateName"] == "traversal-"
    assert not (project / ".run_log_store" / "nightly").exists()  # nothing ran here

    status = cli(["status", "nightly"], project, _home(kubeconfig))  # the newest submission is the run now
    assert f"Workflow/{again['metadata']['name']}" in status.stdout and "phase    Running" in status.stdout


def test_retry_of_a_running_cluster_run_is_refused_with_its_phase(
        project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, ARGO, "argo")
    assert cli(["apply", str(out), "--run-id", "nightly"], project, _home(kubeconfig)).returncode == 0
    result = cli(["retry", "nightly"], project, _home(kubeconfig))
    assert result.returncode == 2
    assert "Run nightly is still Running" in result.stderr
    assert len(standin.names("workflows", "team")) == 1


def test_retry_of_a_failed_job_run_submits_a_new_job_with_the_same_run_id(
        project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, JOB, "k8s")
    assert cli(["apply", str(out), "--run-id", "job-7"], project, _home(kubeconfig)).returncode == 0
    first = standin.names("jobs", "team")[0]
    key = ("batch", "jobs", "team", first)
    standin.progress[key]["phases"] = ["Failed"]
    standin.progress[key]["index"] = 0
    standin.get("jobs", "team", first)  # one read: the stand-in moves the Job to Failed

    result = cli(["retry", "job-7", "--wait", "--timeout", "20"], project, _home(kubeconfig))
    names = standin.names("jobs", "team")
    assert len(names) == 2, result.stderr
    again = standin.get("jobs", "team", next(n for n in names if n != first))
    assert again["metadata"]["generateName"].endswith("-retry-")
    assert "job-7" in again["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "selector" not in again["spec"] or again["spec"]["selector"] != standin.objects[key]["spec"].get("selector")


# ------------------------------------------------------------------------- with the Argo harness, for real


def _nodes_of(result: Any, prefix: str) -> list[dict[str, Any]]:
    """Argo's node status for the step pods the harness ran (what the controller would have written)."""
    nodes = []
    for number, pod in enumerate(result.pods):
        if "--step" not in pod.args:
            continue
        step = pod.args[pod.args.index("--step") + 1]
        phase = "Succeeded" if pod.exit_code == 0 else "Failed"
        nodes.append(_node(f"{prefix}-{number:04d}", step.replace("%20", " "), phase, f"2026-01-01T00:{number:02d}:00Z"))
    return nodes


def test_a_failed_argo_run_is_seen_and_retried_from_the_laptop_and_finishes_in_the_harness(
        project: Path, standin: KubeStandIn, kubeconfig: str, docker_image: str) -> None:
    from tests.argo_harness import run_workflow
    from tests.compiler.test_argo_run import _with_project_mounted

    (project / "argo.yaml").write_text(
        "pipeline-executor:\n  type: argo\n  config:\n    pvc_for_runnable: runnable\n"
        f"    defaults:\n      image: {docker_image}\n")
    out = project / "deploy"
    compiled = cli(["compile", "examples/09-retry/retry.py", "--target", "argo", "-c", "argo.yaml", "-o", str(out)],
                   project)
    assert compiled.returncode == 0, compiled.stderr
    assert cli(["apply", str(out), "--run-id", "nightly"], project, _home(kubeconfig)).returncode == 0
    config_map = standin.get("configmaps", "team", standin.names("configmaps", "team")[0])
    pvc = project / "pvc"

    def run_in_harness(name: str) -> Any:
        applied = standin.get("workflows", "team", name)
        return run_workflow(_with_project_mounted(applied, project), host_volumes={"runnable": str(pvc)},
                            config_maps={config_map["metadata"]["name"]: config_map["data"]}, workflow_name=name)

    first_name = _workflow(standin)["metadata"]["name"]
    first = run_in_harness(first_name)
    assert first.phase == "Failed"
    _finish(standin, first_name, "Failed", _nodes_of(first, "a"))

    status = json.loads(cli(["status", "nightly", "--json"], project, _home(kubeconfig)).stdout)
    assert status["phase"] == "Failed" and status["failed_steps"] == ["needs fix"]
    assert status["steps_done"] == 1 and status["steps"][0] == {
        "name": "flaky", "phase": "Succeeded", "attempts": 3, "message": ""}

    (project / "fixed").write_text("")
    retried = cli(["retry", "nightly"], project, _home(kubeconfig))
    assert retried.returncode == 0, retried.stderr
    second_name = next(n for n in standin.names("workflows", "team") if n != first_name)
    second = run_in_harness(second_name)
    assert second.phase == "Succeeded"
    ran = [pod.args[pod.args.index("--step") + 1] for pod in second.pods if "--step" in pod.args]
    assert ran.count("flaky") <= 1  # its pod finds the step done and runs nothing
    run = json.loads((pvc / "run-logs" / "nightly" / "run.json").read_text())
    assert run["status"] == "SUCCESS" and run["retries"] == 1


# ------------------------------------------------------------------------------ parameters at submit time


def test_apply_passes_parameters_and_tag_to_a_job_without_changing_the_committed_files(
        project: Path, standin: KubeStandIn, kubeconfig: str) -> None:
    out = _render(project, JOB, "k8s")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (project / "params.yaml").write_text("lr: 0.1\nname: '5'\nlayers: [1, 2]\n")
    result = cli(["apply", str(out), "-p", "params.yaml", "--tag", "nightly", "--run-id", "job-9"], project,
                 {**_home(kubeconfig), "RUNNABLE_PRM_epochs": "3"})
    assert result.returncode == 0, result.stderr
    job = standin.get("jobs", "team", standin.names("jobs", "team")[0])
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["RUNNABLE_PRM_lr"] == "0.1" and env["RUNNABLE_PRM_name"] == '"5"'
    assert env["RUNNABLE_PRM_layers"] == "[1, 2]" and env["RUNNABLE_PRM_epochs"] == "3"
    assert env["RUNNABLE_RUN_TAG"] == "nightly"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_job_pod_starts_its_run_with_the_submitted_parameters(project: Path, tmp_path: Path) -> None:
    """What the pod then does with them: the same command line and variables, run here."""
    import subprocess
    import sys

    from runnable.apply.manifests import read_documents, with_run_arguments

    out = _render(project, "examples/03-parameters/static_parameters_python.py", "k8s")
    (project / "params.yaml").write_text((project / "examples/common/initial_parameters.yaml").read_text()
                                         + "\nsubmitted: from the laptop\n")
    documents = with_run_arguments(read_documents(str(out)), "pod-run", "params.yaml", "t1")
    job = next(d for d in documents if d["kind"] == "Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    env.update({e["name"]: e["value"] for e in container["env"] if "value" in e and e["name"].startswith("RUNNABLE_")})
    config_map = next(d for d in documents if d["kind"] == "ConfigMap")
    (tmp_path / "ir.json").write_text(config_map["data"]["ir.json"])
    ran = subprocess.run([sys.executable, "-m", "runnable.cli", "execute-step", str(tmp_path / "ir.json"),
                          *[a for a in container["args"]]], cwd=project, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    run = json.loads((project / ".run_log_store" / "pod-run" / "run.json").read_text())
    assert run["tag"] == "t1" and run["parameters"]["submitted"]["value"] == "from the laptop"
    assert run["status"] == "SUCCESS"


def test_apply_refuses_a_parameters_file_that_is_not_a_mapping(project: Path, standin: KubeStandIn,
                                                               kubeconfig: str) -> None:
    out = _render(project, JOB, "k8s")
    (project / "params.yaml").write_text("- 1\n- 2\n")
    result = cli(["apply", str(out), "-p", "params.yaml"], project, _home(kubeconfig))
    assert result.returncode == 2 and "must be a mapping" in result.stderr
    assert standin.names("jobs", "team") == []


def test_apply_wait_says_how_many_steps_are_done_as_they_change(project: Path, standin: KubeStandIn,
                                                                 kubeconfig: str) -> None:
    from runnable.apply.cluster import Api, Target, connect, wait_for

    out = _render(project, ARGO, "argo")
    assert cli(["apply", str(out), "--run-id", "nightly"], project, _home(kubeconfig)).returncode == 0
    name = _workflow(standin)["metadata"]["name"]
    key = ("argoproj.io", "workflows", "team", name)
    standin.progress[key].update(phases=["Running", "Running", "Succeeded"], index=0)
    standin.statuses[name] = {"nodes": {"n1": _node("n1", "hello python", "Succeeded", "2026-01-01T00:00:01Z"),
                                        "n2": _node("n2", "hello shell", "Running", "2026-01-01T00:00:02Z")}}
    said: list[str] = []
    client, _ = connect(kubeconfig, None)
    try:
        code = wait_for(Api(client), [Target("Workflow", name, "team")], timeout=10, poll_seconds=0.01,
                        say=said.append)
    finally:
        client.close()
    assert code == 0
    progress = [line for line in said if "steps done" in line]
    assert progress == [f"Workflow/{name}: 1 steps done, 1 running, 0 failed"]  # said once, not per poll
