"""Sending manifests to a cluster: what is sent, waiting and logs, and the messages people get when it fails.

The cluster is an in-process stand-in for the Kubernetes API that the official client reaches over HTTP.
"""

from __future__ import annotations

import copy
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from runnable.apply import cluster
from runnable.apply.cluster import ClusterError, WaitTimeoutError, apply_documents, kubeconfig_source
from runnable.ir.errors import RunnableError
from tests.k8s_standin import KubeStandIn, make_certificate

FAST = {"poll_seconds": 0.01, "timeout": 10.0}


def job(name: str = "train", namespace: str | None = None, image: str = "busybox") -> dict:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
            "spec": {"backoffLimit": 0, "template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "step", "image": image}]}}}}


def config_map(name: str = "ir", namespace: str | None = None) -> dict:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"ir.json": "{}"}}


def workflow(generate_name: str = "pipeline-") -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": generate_name},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox"}}]}}


class Said(list):
    """Collects every message, as the CLI would print them."""

    def __call__(self, message: str) -> None:
        self.append(message)

    @property
    def text(self) -> str:
        return "\n".join(self)


@pytest.fixture(autouse=True)
def no_ambient_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may find the machine's own kubeconfig or think it runs in a pod."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)


@pytest.fixture
def standin() -> Iterator[KubeStandIn]:
    with KubeStandIn(logs={"Job": ["hello\n", "world\n"], "Workflow": ["step one\n", "step two\n"]}) as api:
        yield api


@pytest.fixture
def kubeconfig(standin: KubeStandIn, tmp_path: Path) -> str:
    return str(standin.write_kubeconfig(tmp_path / "kubeconfig", namespace="team"))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    return make_certificate(tmp_path_factory.mktemp("tls"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------------------------- applying


def test_config_map_and_job_are_applied_server_side_config_maps_first(standin: KubeStandIn, kubeconfig: str) -> None:
    documents = [job(), config_map(namespace="shared")]
    before = copy.deepcopy(documents)
    said = Said()
    assert apply_documents(documents, kubeconfig=kubeconfig, say=said) == 0
    assert documents == before  # the caller's documents are not changed
    sent = [r for r in standin.requests if r["method"] != "GET"]
    assert [(r["method"], r["path"]) for r in sent] == [
        ("PATCH", "/api/v1/namespaces/shared/configmaps/ir"),
        ("PATCH", "/apis/batch/v1/namespaces/team/jobs/train"),
    ]
    for request in sent:
        assert request["content_type"] == "application/apply-patch+yaml"
        assert request["query"] == {"fieldManager": "runnable", "force": "true"}
    stored = standin.get("jobs", "team", "train")
    assert stored is not None and stored["metadata"]["namespace"] == "team"  # the context's namespace
    assert [f["manager"] for f in stored["metadata"]["managedFields"]] == ["runnable"]
    assert standin.get("configmaps", "shared", "ir")["data"] == {"ir.json": "{}"}  # the document's namespace
    assert "kubectl -n team logs -f job/train" in said.text
    assert not any(r["method"] == "GET" for r in standin.requests)  # no wait: no polling


def test_applying_again_updates_in_place(standin: KubeStandIn, kubeconfig: str) -> None:
    apply_documents([config_map()], kubeconfig=kubeconfig, say=Said())
    changed = config_map()
    changed["data"] = {"ir.json": '{"v": 2}'}
    assert apply_documents([changed], kubeconfig=kubeconfig, say=Said()) == 0
    assert standin.get("configmaps", "team", "ir")["data"] == {"ir.json": '{"v": 2}'}
    assert standin.names("configmaps") == ["ir"]


def test_namespace_argument_wins_then_document_then_context_then_default(standin: KubeStandIn,
                                                                         tmp_path: Path) -> None:
    with_context = str(standin.write_kubeconfig(tmp_path / "a", namespace="team"))
    without = str(standin.write_kubeconfig(tmp_path / "b"))
    apply_documents([config_map("one", namespace="doc")], namespace="arg", kubeconfig=with_context, say=Said())
    apply_documents([config_map("two", namespace="doc")], kubeconfig=with_context, say=Said())
    apply_documents([config_map("three")], kubeconfig=with_context, say=Said())
    apply_documents([config_map("four")], kubeconfig=without, say=Said())
    assert standin.names("configmaps", "arg") == ["one"]
    assert standin.names("configmaps", "doc") == ["two"]
    assert standin.names("configmaps", "team") == ["three"]
    assert standin.names("configmaps", "default") == ["four"]


def test_kubeconfig_from_the_environment_and_a_named_context(standin: KubeStandIn, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = standin.write_kubeconfig(tmp_path / "kc", namespace="ci", context="build")
    monkeypatch.setenv("KUBECONFIG", str(path))
    apply_documents([config_map()], context="build", say=Said())
    assert standin.names("configmaps", "ci") == ["ir"]
    with pytest.raises(ClusterError, match="context 'nope'"):
        apply_documents([config_map()], context="nope", say=Said())


def test_a_given_api_client_is_used_as_is(standin: KubeStandIn) -> None:
    client = standin.api_client()
    assert apply_documents([config_map()], api_client=client, say=Said()) == 0
    assert standin.names("configmaps", "default") == ["ir"]
    client.close()


def test_workflow_with_generate_name_is_created(standin: KubeStandIn, kubeconfig: str) -> None:
    said = Said()
    assert apply_documents([workflow()], kubeconfig=kubeconfig, say=said) == 0
    (request,) = standin.requests
    assert (request["method"], request["path"]) == ("POST", "/apis/argoproj.io/v1alpha1/namespaces/team/workflows")
    (name,) = standin.names("workflows", "team")
    assert name.startswith("pipeline-") and len(name) == len("pipeline-") + 5
    assert f"Created Workflow/{name} in namespace team" in said.text
    assert f"argo -n team watch {name}" in said.text


def test_dry_run_stores_nothing_and_does_not_wait(standin: KubeStandIn, kubeconfig: str) -> None:
    said = Said()
    assert apply_documents([job(), config_map(), workflow()], kubeconfig=kubeconfig, dry_run=True, wait=True,
                           say=said, **FAST) == 0
    assert standin.objects == {}
    assert all(r["query"].get("dryRun") == "All" for r in standin.requests)
    assert [r["method"] for r in standin.requests] == ["PATCH", "PATCH", "POST"]
    assert "dry run" in said.text


def test_unknown_kind_is_refused_before_anything_is_sent(standin: KubeStandIn, kubeconfig: str) -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
    with pytest.raises(RunnableError, match="kind 'Service'"):
        apply_documents([config_map(), service], kubeconfig=kubeconfig, say=Said())
    assert standin.requests == []


def test_wrong_api_version_and_missing_name_are_refused(kubeconfig: str) -> None:
    old = job()
    old["apiVersion"] = "batch/v1beta1"
    with pytest.raises(ClusterError, match="batch/v1beta1"):
        apply_documents([old], kubeconfig=kubeconfig, say=Said())
    with pytest.raises(ClusterError, match="neither metadata.name nor metadata.generateName"):
        apply_documents([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}], kubeconfig=kubeconfig)


# ---------------------------------------------------------------------------------------------------- waiting


def test_wait_for_a_job_streams_each_log_line_once(standin: KubeStandIn, kubeconfig: str) -> None:
    standin.logs["Job"] = ["hello\nwor", "ld\n", "bye\n"]  # a line split across reads is shown whole, once
    standin.phases["Job"] = ["Pending", "Running", "Running", "Running", "Succeeded"]
    said = Said()
    assert apply_documents([config_map(), job()], kubeconfig=kubeconfig, wait=True, say=said, **FAST) == 0
    logs = [line for line in said if line.startswith("[train-")]
    assert [line.split("] ", 1)[1] for line in logs] == ["hello", "world", "bye"]
    assert said.count("Job/train: Running") == 1 and said.count("Job/train: Pending") == 1
    assert said[-1] == "Job/train succeeded."
    assert said.index("Job/train: Running") < said.index(logs[0])


def test_wait_for_a_workflow_shows_its_main_container_only(standin: KubeStandIn, kubeconfig: str) -> None:
    said = Said()
    assert apply_documents([workflow()], kubeconfig=kubeconfig, wait=True, say=said, **FAST) == 0
    logs = [line.split("] ", 1)[1] for line in said if line.startswith("[pipeline-")]
    assert logs == ["step one", "step two"]
    assert "Starting Workflow Executor" not in said.text  # the wait container is Argo's, not the user's
    pod_lists = [r for r in standin.requests if r["path"].endswith("/pods")]
    assert pod_lists[0]["query"]["labelSelector"].startswith("workflows.argoproj.io/workflow=pipeline-")
    assert said[-1].endswith("succeeded.")


def test_wait_on_a_failing_job_returns_1(standin: KubeStandIn, kubeconfig: str) -> None:
    standin.phases["Job"] = ["Pending", "Running", "Failed"]
    said = Said()
    assert apply_documents([job()], kubeconfig=kubeconfig, wait=True, say=said, **FAST) == 1
    assert said[-1] == "Job/train failed: Job has reached the specified backoff limit"
    assert "[train-" in said.text  # the logs of a failed job are the ones people need most


def test_wait_on_a_failing_workflow_returns_1_even_when_another_succeeds(standin: KubeStandIn,
                                                                          kubeconfig: str) -> None:
    standin.phases["Workflow"] = ["Running", "Error"]
    said = Said()
    assert apply_documents([job(), workflow()], kubeconfig=kubeconfig, wait=True, say=said, **FAST) == 1
    assert "Job/train succeeded." in said
    assert any(line.startswith("Workflow/pipeline-") and "failed: child 'main' failed" in line for line in said)


def test_nothing_to_wait_for(standin: KubeStandIn, kubeconfig: str) -> None:
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
            "spec": {"schedule": "0 1 * * *", "jobTemplate": job()["spec"]}}
    said = Said()
    assert apply_documents([cron, config_map()], kubeconfig=kubeconfig, wait=True, say=said, **FAST) == 0
    assert "Nothing to wait for" in said.text
    assert standin.names("cronjobs", "team") == ["nightly"]


def test_wait_times_out_with_the_last_phase(standin: KubeStandIn, kubeconfig: str) -> None:
    standin.phases["Job"] = ["Pending", "Running"]  # never ends
    with pytest.raises(WaitTimeoutError) as caught:
        apply_documents([job()], kubeconfig=kubeconfig, wait=True, say=Said(), poll_seconds=0.01, timeout=0.2)
    message = str(caught.value)
    assert caught.value.exit_code == 1
    assert "Job/train" in message and "team" in message and "last phase: Running" in message
    assert "kubectl -n team logs -f job/train" in message


# ----------------------------------------------------------------------------------------------------- errors


def test_rejected_credentials(standin: KubeStandIn, tmp_path: Path) -> None:
    config = str(standin.write_kubeconfig(tmp_path / "kc", token="wrong"))
    with pytest.raises(ClusterError) as caught:
        apply_documents([job()], kubeconfig=config, say=Said())
    message = str(caught.value)
    assert "401" in message and "credentials" in message
    assert "Job/train" in message and "namespace default" in message and standin.url in message


def test_forbidden_names_the_verb_resource_and_server_message(tmp_path: Path) -> None:
    with KubeStandIn(forbidden=[("patch", "jobs.batch")]) as api:
        config = str(api.write_kubeconfig(tmp_path / "kc", namespace="team"))
        with pytest.raises(ClusterError) as caught:
            apply_documents([config_map(), job()], kubeconfig=config, say=Said())
        message = str(caught.value)
        assert "Not allowed to patch jobs.batch in namespace team" in message
        assert 'cannot patch resource "jobs" in API group "batch"' in message  # the server's own words
        assert "Job/train" in message and api.url in message
        assert api.names("configmaps", "team") == ["ir"]  # what came before was applied


def test_forbidden_pod_logs_do_not_stop_the_wait(tmp_path: Path) -> None:
    with KubeStandIn(forbidden=[("list", "pods")], logs={"Job": ["secret\n"]}) as api:
        config = str(api.write_kubeconfig(tmp_path / "kc"))
        said = Said()
        assert apply_documents([job()], kubeconfig=config, wait=True, say=said, **FAST) == 0
        assert said.count(next(line for line in said if line.startswith("Logs of Job/train"))) == 1
        assert "secret" not in said.text


def test_already_exists(tmp_path: Path) -> None:
    with KubeStandIn(name_suffixes=["abcde", "abcde"]) as api:
        config = str(api.write_kubeconfig(tmp_path / "kc", namespace="team"))
        apply_documents([workflow()], kubeconfig=config, say=Said())
        with pytest.raises(ClusterError) as caught:
            apply_documents([workflow()], kubeconfig=config, say=Said())
        message = str(caught.value)
        assert 'workflows.argoproj.io "pipeline-abcde" already exists' in message
        assert "namespace team" in message and "apply again" in message


def test_rejected_object_gives_the_server_message(standin: KubeStandIn, kubeconfig: str) -> None:
    with pytest.raises(ClusterError) as caught:
        apply_documents([config_map("Not_Valid")], kubeconfig=kubeconfig, say=Said())
    assert "rejected ConfigMap/Not_Valid in namespace team" in str(caught.value)
    assert "RFC 1123" in str(caught.value)
    apply_documents([job()], kubeconfig=kubeconfig, say=Said())
    with pytest.raises(ClusterError) as caught:
        apply_documents([job(image="other")], kubeconfig=kubeconfig, say=Said())
    assert "field is immutable" in str(caught.value)
    assert "kubectl -n team delete job train" in str(caught.value)


def test_argo_not_installed(tmp_path: Path) -> None:
    with KubeStandIn(argo_installed=False) as api:
        config = str(api.write_kubeconfig(tmp_path / "kc", namespace="team"))
        with pytest.raises(ClusterError) as caught:
            apply_documents([workflow()], kubeconfig=config, say=Said())
        message = str(caught.value)
        assert "Argo Workflows CRD workflows.argoproj.io is not installed" in message
        assert api.url in message and "namespace team" in message


def test_missing_namespace(tmp_path: Path) -> None:
    with KubeStandIn(namespaces=["default"]) as api:
        config = str(api.write_kubeconfig(tmp_path / "kc"))
        with pytest.raises(ClusterError, match="Namespace 'nope' does not exist.*kubectl create namespace nope"):
            apply_documents([workflow()], namespace="nope", kubeconfig=config, say=Said())


def test_unreachable_cluster(tmp_path: Path, standin: KubeStandIn) -> None:
    server = f"http://127.0.0.1:{closed_port()}"
    config = str(standin.write_kubeconfig(tmp_path / "kc", server=server))
    with pytest.raises(ClusterError) as caught:
        apply_documents([config_map()], kubeconfig=config, say=Said())
    message = str(caught.value)
    assert f"Could not reach the Kubernetes API at {server}" in message
    assert "ConfigMap/ir in namespace default" in message and "refused" in message.lower()


def test_untrusted_certificate(tmp_path: Path, certificate: tuple[str, str]) -> None:
    with KubeStandIn(tls=certificate) as api:
        config = str(api.write_kubeconfig(tmp_path / "kc"))  # no certificate authority: not trusted
        with pytest.raises(ClusterError, match="TLS connection .* failed .*certificate"):
            apply_documents([config_map()], kubeconfig=config, say=Said())
        trusted = str(api.write_kubeconfig(tmp_path / "kc2", ca_file=certificate[0]))
        assert apply_documents([config_map()], kubeconfig=trusted, say=Said()) == 0


# ------------------------------------------------------------------------------------------------- connecting


def test_in_cluster_config(tmp_path: Path, certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "ca.crt").write_text(Path(certificate[0]).read_text())
    (account / "namespace").write_text("ci\n")
    with KubeStandIn(tls=certificate, token="pod-token") as api:
        (account / "token").write_text("pod-token")
        monkeypatch.setattr(cluster, "SERVICE_ACCOUNT_DIR", str(account))
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(api.port))
        assert kubeconfig_source(None, None) == ("in-cluster", None)
        assert apply_documents([config_map()], say=Said()) == 0
        assert api.names("configmaps", "ci") == ["ir"]  # the pod's own namespace


def test_a_kubeconfig_is_preferred_to_in_cluster_config(tmp_path: Path) -> None:
    config = tmp_path / "kc"
    config.write_text("apiVersion: v1\n")
    environ = {"KUBECONFIG": str(config), "KUBERNETES_SERVICE_HOST": "10.0.0.1"}
    assert kubeconfig_source(None, None, environ) == ("kubeconfig", str(config))
    assert kubeconfig_source(str(config), None, {}) == ("kubeconfig", str(config))


def test_no_configuration_at_all() -> None:
    with pytest.raises(ClusterError) as caught:
        apply_documents([config_map()], say=Said())
    message = str(caught.value)
    assert "No Kubernetes cluster configuration found" in message
    assert "--kubeconfig" in message and "KUBECONFIG" in message


def test_missing_kubeconfig_file_or_context_without_one(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="kubeconfig file .*nowhere.* does not exist"):
        apply_documents([config_map()], kubeconfig=str(tmp_path / "nowhere"), say=Said())
    with pytest.raises(ClusterError, match="Context 'prod' was given but there is no kubeconfig"):
        apply_documents([config_map()], context="prod", say=Said())


def test_unreadable_kubeconfig(tmp_path: Path) -> None:
    broken = tmp_path / "kc"
    broken.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    with pytest.raises(ClusterError, match="Could not load the kubeconfig"):
        apply_documents([config_map()], kubeconfig=str(broken), say=Said())


def test_without_the_kubernetes_package(monkeypatch: pytest.MonkeyPatch, kubeconfig: str) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    with pytest.raises(ClusterError, match=r"pip install 'runnable\[k8s\]'"):
        apply_documents([config_map()], kubeconfig=kubeconfig, say=Said())


def test_importing_the_module_does_not_import_kubernetes() -> None:
    code = "import sys, runnable.apply.cluster; assert 'kubernetes' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


# -- the command line and execute() against the stand-in ----------------------------------------------


def test_apply_command_submits_a_rendered_folder_and_waits(tmp_path: Path) -> None:
    from tests.helpers import cli

    project = Path(__file__).resolve().parents[2]
    out = tmp_path / "deploy"
    assert cli(["compile", "examples/02-sequential/traversal.py", "--target", "argo", "-o", str(out)],
               project).returncode == 0
    with KubeStandIn(logs={"Workflow": ["hello from the pod\n"]}) as standin:
        kubeconfig = standin.write_kubeconfig(tmp_path / "kubeconfig", namespace="team")
        result = cli(["apply", str(out), "--kubeconfig", str(kubeconfig), "--wait", "--run-id", "nightly-1"],
                     project)
        assert result.returncode == 0, result.stderr
        assert "hello from the pod" in result.stderr
        [name] = standin.names("workflows", "team")
        created = standin.get("workflows", "team", name)
        assert {"name": "run_id", "value": "nightly-1"} in created["spec"]["arguments"]["parameters"]
        assert standin.names("configmaps", "team") == [p.name[len("configmap-"):-5] for p in out.glob("configmap-*")]
    with KubeStandIn(phases={"Workflow": ["Pending", "Running", "Failed"]}) as standin:
        kubeconfig = standin.write_kubeconfig(tmp_path / "kubeconfig2")
        failed = cli(["apply", str(out), "--kubeconfig", str(kubeconfig), "--wait"], project)
        assert failed.returncode == 1
    with KubeStandIn(argo_installed=False) as standin:
        kubeconfig = standin.write_kubeconfig(tmp_path / "kubeconfig3")
        missing = cli(["apply", str(out), "--kubeconfig", str(kubeconfig)], project)
        assert missing.returncode == 2 and "Traceback" not in missing.stderr and "workflows.argoproj.io" in missing.stderr


def test_execute_with_the_argo_executor_submits_and_returns_the_outcome(tmp_path: Path, monkeypatch) -> None:
    from runnable import Pipeline, ShellTask

    pipeline = Pipeline(steps=[ShellTask(name="hello", command="echo hello")])
    with KubeStandIn() as standin:
        kubeconfig = standin.write_kubeconfig(tmp_path / "kubeconfig", namespace="ml")
        config = tmp_path / "argo.yaml"
        config.write_text("pipeline-executor:\n  type: argo\n  config:\n    defaults:\n      image: app:1\n")
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        run_log = pipeline.execute(configuration_file=str(config), run_id="from-python")
        assert run_log.status == "SUCCESS" and run_log.run_id == "from-python" and run_log.executor == "argo"
        [name] = standin.names("workflows", "ml")
        assert {"name": "run_id", "value": "from-python"} in \
            standin.get("workflows", "ml", name)["spec"]["arguments"]["parameters"]


def test_execute_with_the_k8s_job_executor_submits_waits_and_reports_failure(tmp_path: Path, monkeypatch) -> None:
    from runnable import ShellJob
    from runnable.ir.errors import ExecutionFailedError

    job = ShellJob(command="exit 1")
    config = tmp_path / "k8s.yaml"
    config.write_text("job-executor:\n  type: k8s-job\n  config:\n    namespace: batch\n")
    with KubeStandIn(phases={"Job": ["Pending", "Running", "Failed"]}) as standin:
        monkeypatch.setenv("KUBECONFIG", str(standin.write_kubeconfig(tmp_path / "kubeconfig")))
        with pytest.raises(ExecutionFailedError) as failed:
            job.execute(configuration_file=str(config))
        assert failed.value.run_log.status == "FAIL" and failed.value.run_log.executor == "k8s-job"
        [name] = standin.names("jobs", "batch")
        run_id = failed.value.run_log.run_id  # the Job's pod runs under the run id execute() reports
        assert run_id in standin.get("jobs", "batch", name)["spec"]["template"]["spec"]["containers"][0]["args"]
        assert len(standin.names("configmaps", "batch")) == 1
