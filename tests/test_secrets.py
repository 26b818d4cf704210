"""A secret is a reference everywhere; its value never lands in a rendered file, a store or a log.

Rendered manifests name a Kubernetes Secret (``secretKeyRef``) or, for compose, an environment variable
the host fills in at run time. Run logs, catalog files and everything a run prints must carry the mask,
never the value. These tests run the secret-using example on every target with a distinctive value, let
its tasks print that value (so masking is exercised), then search every file and captured text for the
value in the forms a serializer could give it: raw, JSON-escaped, base64 (any alignment), and each random
token it is built from. A scanner that finds nothing proves nothing, so the scanner itself is tested
against planted values, and each run must show the mask where the task printed the secret.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import secrets as random_tokens
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pytest
import yaml

from runnable.runtime.capture import MASK
from tests.helpers import cli
from tests.test_examples import PARAMS

EXAMPLE = "examples/03-parameters/use_secrets.py"
NAME = "MY_SECRET"  # the environment variable the example's tasks read
K8S_SECRET = "pipeline-credentials"  # the Kubernetes Secret holding it, as the cluster would have it
RUN_ID = "secret-run"
# What the example's two tasks print, with the mask in place of the value.
MASKED_LINES = (f"the secret is {MASK}", f"shell sees {MASK}")


# -------------------------------------------------------------------------------------- the scanner


@dataclass(frozen=True)
class Secret:
    """A secret value and the random tokens it is made of (each must never appear on its own either)."""

    value: str
    tokens: tuple[str, ...]

    def forms(self) -> dict[str, bytes]:
        """Every byte string whose presence means the value (or a recognisable part of it) leaked."""
        raw = self.value.encode()
        found: dict[str, bytes] = {"raw": raw}
        found["json"] = json.dumps(self.value)[1:-1].encode()
        found["json-ascii"] = json.dumps(self.value, ensure_ascii=True)[1:-1].encode()
        for offset in range(3):
            # The value may sit at any byte offset of a larger base64-encoded blob: keep only the
            # characters that depend on the value's bytes alone.
            encoded = base64.b64encode(b"\0" * offset + raw)
            start, end = (offset * 8 + 5) // 6, (offset + len(raw)) * 8 // 6
            found[f"base64+{offset}"] = encoded[start:end]
            found[f"base64url+{offset}"] = encoded[start:end].replace(b"+", b"-").replace(b"/", b"_")
        for number, token in enumerate(self.tokens):
            found[f"token{number}"] = token.encode()
        return found


def make_secret(shape: str = "quoted") -> Secret:
    """A value no file could hold by chance. ``quoted`` has a double quote, so its JSON form differs
    from the raw one; ``escapes`` adds a backslash; ``multiline`` is shaped like a PEM key."""
    first, second = random_tokens.token_hex(10), random_tokens.token_hex(10)
    value = {
        "plain": f"s3cr3t-{first}{second}",
        "quoted": f's3cr3t-{first}"{second}',
        "escapes": f's3cr3t-{first}"\\{second}',
        "multiline": f"s3cr3t-{first}\n{second}-end",
    }[shape]
    return Secret(value, (first, second))


def scan(secret: Secret, folders: Iterable[Path] = (), texts: Mapping[str, str] | None = None) -> list[str]:
    """Where any form of the secret appears: in a file's bytes, a file or folder name, or a captured text.

    Every folder must exist and hold at least one file, so a wrong path cannot pass as 'nothing found'.
    """
    forms = secret.forms()
    hits: list[str] = []

    def look(where: str, data: bytes) -> None:
        hits.extend(f"{where}: {form}" for form, needle in forms.items() if needle in data)

    for folder in folders:
        assert folder.is_dir(), f"nothing to scan: {folder} is not a folder"
        files = [path for path in sorted(folder.rglob("*")) if path.is_file()]
        assert files, f"nothing to scan: {folder} holds no files"
        for path in sorted(folder.rglob("*")):
            look(f"name of {path}", str(path.relative_to(folder)).encode())
            if path.is_file():
                look(str(path), path.read_bytes())
    for where, text in (texts or {}).items():
        look(where, text.encode())
    return hits


def assert_no_leak(secret: Secret, folders: Iterable[Path] = (), texts: Mapping[str, str] | None = None) -> None:
    hits = scan(secret, folders, texts)
    assert not hits, "the secret value leaked:\n" + "\n".join(hits)


def assert_masked(text: str, lines: Iterable[str] = MASKED_LINES) -> None:
    """The task did print the secret, and the mask replaced it: the scan above was not vacuous."""
    for line in lines:
        assert line in text, f"{line!r} is missing: the secret was not printed and masked\n{text[-3000:]}"


def test_the_scanner_finds_the_value_in_every_form(tmp_path: Path) -> None:
    """Negative control: plant the value in each form and the scanner must report each one."""
    for shape in ("plain", "quoted", "escapes", "multiline"):
        secret = make_secret(shape)
        folder = tmp_path / shape
        (folder / "deep" / "er").mkdir(parents=True)
        (folder / "clean.txt").write_text("nothing to see " + MASK)
        assert scan(secret, [folder]) == []
        assert scan(secret, texts={"output": "the secret is " + MASK}) == []

        (folder / "deep" / "er" / "raw.log").write_text(f"line\nvalue={secret.value}\n")
        (folder / "run.json").write_text(json.dumps({"message": f"failed with {secret.value}"}))
        for offset in range(3):
            blob = base64.b64encode(os.urandom(offset + 3) + secret.value.encode() + os.urandom(5))
            (folder / f"blob{offset}.b64").write_bytes(blob)
        (folder / "deep" / f"{secret.tokens[1]}.txt").write_text("named after it")
        (folder / "part.txt").write_text(f"only a piece: {secret.tokens[0]}")
        hits = scan(secret, [folder], {"stderr": f"Traceback ...\nValueError: {secret.value}"})
        joined = "\n".join(hits)
        assert f"{folder / 'deep' / 'er' / 'raw.log'}: raw" in hits, joined
        json_form = "json" if json.dumps(secret.value)[1:-1] != secret.value else "raw"
        assert f"{folder / 'run.json'}: {json_form}" in hits, joined
        for offset in range(3):
            assert any(hit.startswith(f"{folder / f'blob{offset}.b64'}: base64+") for hit in hits), joined
        assert any(hit.startswith("name of ") and hit.endswith(": token1") for hit in hits), joined
        assert f"{folder / 'part.txt'}: token0" in hits, joined
        assert "stderr: raw" in hits, joined
        with pytest.raises(AssertionError, match="leaked"):
            assert_no_leak(secret, [folder])
    with pytest.raises(AssertionError, match="nothing to scan"):
        scan(make_secret(), [tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(AssertionError, match="nothing to scan"):
        scan(make_secret(), [tmp_path / "empty"])
    with pytest.raises(AssertionError, match="was not printed"):
        assert_masked("the secret is ")


# -------------------------------------------------------------------------------------- helpers


def _without_secret_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The value reaches a run only the way each test hands it over, never from this process."""
    monkeypatch.delenv(NAME, raising=False)


def _show(project: Path, config: str | None = None) -> dict[str, str]:
    """What a user sees when they look at the run afterwards."""
    extra = ["-c", config] if config else []
    texts = {}
    for args in (["show", RUN_ID, "--json"], ["show", RUN_ID], ["runs"]):
        result = cli([*args, *extra], project)
        assert result.returncode == 0, result.stderr
        texts[f"runnable {' '.join(args)} (stdout)"] = result.stdout
        texts[f"runnable {' '.join(args)} (stderr)"] = result.stderr
    run = json.loads(texts[f"runnable show {RUN_ID} --json (stdout)"])
    assert run["status"] == "SUCCESS", run
    assert {name: step["status"] for name, step in run["steps"].items()} == {
        "python secret": "SUCCESS", "shell secret": "SUCCESS", "success": "SUCCESS"}
    return texts


def _outputs(result: Any, label: str) -> dict[str, str]:
    return {f"{label} (stdout)": result.stdout, f"{label} (stderr)": result.stderr}


def _compile(project: Path, target: str, secret: Secret, config: str, folder: str) -> Path:
    """Render with the value in the environment: the renderer must not pick it up."""
    result = cli(["compile", EXAMPLE, "--target", target, "-c", config, "-o", folder], project,
                 {NAME: secret.value})
    assert result.returncode == 0, result.stderr
    assert_no_leak(secret, [project / folder], _outputs(result, "runnable compile"))
    return project / folder


def _documents(folder: Path) -> list[dict[str, Any]]:
    return [doc for path in sorted(folder.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def _secret_refs(containers: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The env entries for the secret; each must be a reference, never a value."""
    entries = [item for container in containers for item in container.get("env") or [] if item["name"] == NAME]
    for entry in entries:
        assert entry == {"name": NAME, "valueFrom": {"secretKeyRef": {"name": K8S_SECRET, "key": NAME}}}, entry
    for container in containers:
        for source in container.get("envFrom") or []:
            assert "secretRef" not in source or source["secretRef"]["name"] == K8S_SECRET, source
    return entries


def _mounted_keys(volumes: Iterable[dict[str, Any]]) -> list[str]:
    """The Secret keys a pod mounts as files (only from the Secret named in the config)."""
    keys = []
    for volume in volumes:
        if "secret" in volume:
            assert volume["secret"]["secretName"] == K8S_SECRET, volume
            keys += [item["key"] for item in volume["secret"]["items"]]
    return keys


def _store_config(project: Path, pvc: Path) -> str:
    """A config that reads the run log and catalog a pod left on its volume."""
    path = project / "pvc-stores.yaml"
    path.write_text(yaml.safe_dump({
        "run-log-store": {"type": "file-system", "config": {"log_folder": str(pvc / "run-logs")}},
        "catalog": {"type": "file-system", "config": {"catalog_location": str(pvc / "catalog")}},
    }))
    return path.name


# -------------------------------------------------------------------------------------- local


@pytest.mark.parametrize("source", ["environment", "dotenv"])
def test_local_run_keeps_the_value_out_of_stores_and_output(source: str, project: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _without_secret_in_this_process(monkeypatch)
    secret = make_secret()
    args = ["run", EXAMPLE, "-p", PARAMS, "--run-id", RUN_ID, "--log-level", "debug"]
    env: dict[str, str] = {}
    if source == "environment":
        env[NAME] = secret.value
    else:  # the value lives in a dotenv file outside the stores; the config names only the file
        escaped = secret.value.replace('"', '\\"')
        (project / "secrets.env").write_text(f'# credentials\n{NAME}="{escaped}"\n')
        (project / "dotenv.yaml").write_text("secrets:\n  type: dotenv\n  config:\n    location: secrets.env\n")
        args += ["-c", "dotenv.yaml"]
    result = cli(args, project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_masked(result.stdout + result.stderr)
    assert_masked((project / ".catalog" / RUN_ID / "python secret.execution.log").read_text(), MASKED_LINES[:1])
    assert_masked((project / ".catalog" / RUN_ID / "shell secret.execution.log").read_text(), MASKED_LINES[1:])
    texts = {**_outputs(result, "runnable run"), **_show(project, "dotenv.yaml" if source == "dotenv" else None)}
    assert_no_leak(secret, [project / ".run_log_store", project / ".catalog"], texts)


LEAKY_MODULE = '''
    """Every task kind prints the secret to stdout and stderr, then fails with it in the error."""

    import os
    import sys

    from runnable import NotebookTask, Parallel, Pipeline, PythonTask, ShellTask


    def leak() -> None:
        value = os.environ["MY_SECRET"]
        print(f"python stdout {value}")
        print(f"python stderr {value}", file=sys.stderr)
        raise ValueError(f"python failed with {value}")


    SHELL = 'printf "shell stdout %s\\\\n" "$MY_SECRET"; printf "shell stderr %s\\\\n" "$MY_SECRET" >&2; exit 3'

    pipeline = Pipeline(steps=[Parallel(name="kinds", branches={
        "python": Pipeline(steps=[PythonTask(name="python", function=leak, secrets=["MY_SECRET"])]),
        "shell": Pipeline(steps=[ShellTask(name="shell", command=SHELL, secrets=["MY_SECRET"])]),
        "notebook": Pipeline(steps=[NotebookTask(name="notebook", notebook="leaky.ipynb", secrets=["MY_SECRET"])]),
    })])
'''


def _leaky_notebook(path: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell('import os, sys\nvalue = os.environ["MY_SECRET"]\nprint("notebook stdout", value)\n'
                                  'print("notebook stderr", value, file=sys.stderr)'),
        nbformat.v4.new_code_cell('raise ValueError("notebook failed with " + value)'),
    ]
    nbformat.write(notebook, str(path))


@pytest.mark.parametrize("shape", ["plain", "quoted", "escapes", "multiline"])
def test_every_task_kind_masks_printed_and_raised_secrets(shape: str, project: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Python, shell and notebook tasks each print the value on both streams and fail with it in the
    error: the terminal, the run log (attempt messages) and the catalog (logs, executed notebook) must
    hold the mask only, whatever characters the value has."""
    _without_secret_in_this_process(monkeypatch)
    secret = make_secret(shape)
    (project / "leaky.py").write_text(textwrap.dedent(LEAKY_MODULE))
    _leaky_notebook(project / "leaky.ipynb")
    result = cli(["run", "leaky.py", "--run-id", RUN_ID, "--log-level", "debug"], project, {NAME: secret.value})
    assert result.returncode == 1, result.stdout + result.stderr
    run = json.loads(cli(["show", RUN_ID, "--json"], project).stdout)
    steps = {name: step["status"] for name, step in run["steps"].items()}
    assert {steps[f"kinds.{kind}.{kind}"] for kind in ("python", "shell", "notebook")} == {"FAIL"}, steps
    output = result.stdout + result.stderr
    assert_masked(output, [f"{kind} stdout {MASK}" for kind in ("python", "notebook")] +
                  [f"python failed with {MASK}", f"notebook failed with {MASK}"])
    texts = {**_outputs(result, "runnable run"), "runnable show --json": json.dumps(run)}
    assert_no_leak(secret, [project / ".run_log_store", project / ".catalog"], texts)


# -------------------------------------------------------------------------------------- local-container


def test_local_container_run_keeps_the_value_out_of_stores_config_and_output(
        project: Path, docker_image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.compiler.test_parity import _container_config

    _without_secret_in_this_process(monkeypatch)
    secret = make_secret()
    config = _container_config(project, docker_image)
    result = cli(["run", EXAMPLE, "-p", PARAMS, "--run-id", RUN_ID, "-c", config, "--log-level", "debug"], project,
                 {NAME: secret.value})
    assert result.returncode == 0, result.stdout + result.stderr
    assert_masked(result.stdout + result.stderr)  # the containers' own output, streamed through the CLI
    handed_over = project / ".run_log_store" / RUN_ID / "config.json"
    assert handed_over.is_file()  # the config the containers read: scanned with the run-log store
    assert NAME not in handed_over.read_text()
    texts = {**_outputs(result, "runnable run"), **_show(project)}
    assert_no_leak(secret, [project / ".run_log_store", project / ".catalog"], texts)


# -------------------------------------------------------------------------------------- compose


def test_compose_names_the_variable_and_the_host_supplies_it_at_run_time(
        project: Path, docker_image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.compiler.test_parity import _container_config

    _without_secret_in_this_process(monkeypatch)
    secret = make_secret()
    deploy = _compile(project, "compose", secret, _container_config(project, docker_image), "deploy")
    assert sorted(p.name for p in deploy.iterdir()) == ["docker-compose.yaml", "ir.json"]
    services = yaml.safe_load((deploy / "docker-compose.yaml").read_text())["services"]
    with_secret = sorted(name for name, service in services.items() if NAME in service["environment"])
    assert len(with_secret) == 2, services  # the two task services, by bare name: compose reads the host's value
    for service in services.values():
        assert not any(item.startswith(f"{NAME}=") for item in service["environment"]), service
        assert "env_file" not in service and "secrets" not in service, service

    # Without the value on the host, the task cannot get it from anywhere else.
    missing = cli(["apply", "deploy", "--run-id", "no-secret", "-p", PARAMS], project)
    assert missing.returncode == 1, missing.stdout[-3000:] + missing.stderr[-3000:]
    assert f"{NAME!r} is not set" in missing.stdout + missing.stderr

    result = cli(["apply", "deploy", "--run-id", RUN_ID, "-p", PARAMS], project, {NAME: secret.value})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert_masked(result.stdout + result.stderr)
    texts = {**_outputs(result, "runnable apply"), **_outputs(missing, "runnable apply, no secret"),
             **_show(project)}
    assert_no_leak(secret, [deploy, project / ".run_log_store", project / ".catalog"], texts)


# -------------------------------------------------------------------------------------- k8s


def _as_kubelet(pod_spec: dict[str, Any], cluster_secrets: Mapping[tuple[str, str], str]) -> dict[str, Any]:
    """The pod spec with each secretKeyRef resolved from the cluster's Secrets, as the kubelet does."""
    pod = copy.deepcopy(pod_spec)
    for container in pod["containers"]:
        for item in container.get("env") or []:
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                del item["valueFrom"]
                item["value"] = cluster_secrets[(ref["name"], ref["key"])]
    return pod


def test_k8s_job_references_the_secret_and_its_pod_keeps_the_value_out_of_the_volume(
        project: Path, docker_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runnable.stores.run_log import FileSystemRunLogStore
    from tests.compiler.test_k8s import run_pod_container

    _without_secret_in_this_process(monkeypatch)
    secret = make_secret()
    (project / "k8s.yaml").write_text(yaml.safe_dump({"job-executor": {"type": "k8s-job", "config": {
        "pvc_claim_name": "claim", "secret_from_k8s": K8S_SECRET,
        "jobSpec": {"template": {"spec": {"container": {"image": docker_image}}}}}}}))
    deploy = _compile(project, "k8s", secret, "k8s.yaml", "deploy/k8s")
    documents = {doc["kind"]: doc for doc in _documents(deploy)}
    assert sorted(documents) == ["ConfigMap", "Job", "Kustomization"]
    config_map, job = documents["ConfigMap"], documents["Job"]
    assert not _secret_refs(job["spec"]["template"]["spec"]["containers"])  # a file, never an env value
    assert _mounted_keys(job["spec"]["template"]["spec"].get("volumes", [])) == [NAME]
    assert not any(doc["kind"] == "Secret" for doc in documents.values())

    pvc = tmp_path / "pvc"
    labels = {"job-name": job["metadata"]["name"], "controller-uid": "0d5e7c1a-0000-4000-8000-00000000c0de"}
    pod = _as_kubelet(job["spec"]["template"]["spec"], {(K8S_SECRET, NAME): secret.value})
    code, logs = run_pod_container(pod, {"claim": str(pvc)}, {config_map["metadata"]["name"]: config_map["data"]},
                                   labels, project, docker_image, tmp_path, secrets={NAME: secret.value})
    assert code == 0, logs
    assert_masked(logs)
    run_id = f"{labels['job-name']}-{labels['controller-uid']}"
    assert FileSystemRunLogStore(str(pvc / "run-logs")).get_run(run_id).status == "SUCCESS"
    shown = cli(["show", run_id, "--json", "-c", _store_config(project, pvc)], project)
    assert shown.returncode == 0, shown.stderr
    texts = {"pod logs": logs, **_outputs(shown, "runnable show --json")}
    assert_no_leak(secret, [deploy, pvc / "run-logs", pvc / "catalog"], texts)


# -------------------------------------------------------------------------------------- argo


def test_argo_workflow_references_the_secret_and_its_pods_keep_the_value_out_of_the_volume(
        project: Path, docker_image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.argo_harness import run_workflow
    from tests.compiler.test_argo_run import _with_project_mounted

    _without_secret_in_this_process(monkeypatch)
    secret = make_secret()
    (project / "argo.yaml").write_text(yaml.safe_dump({"pipeline-executor": {"type": "argo", "config": {
        "pvc_for_runnable": "runnable", "secret_from_k8s": K8S_SECRET, "defaults": {"image": docker_image}}}}))
    deploy = _compile(project, "argo", secret, "argo.yaml", "deploy/argo")
    documents = {doc["kind"]: doc for doc in _documents(deploy)}
    assert sorted(documents) == ["ConfigMap", "Kustomization", "Workflow"]
    config_map, workflow = documents["ConfigMap"], documents["Workflow"]
    templates = [t for t in workflow["spec"]["templates"] if "container" in t]
    assert not _secret_refs([t["container"] for t in templates])  # files, never env values
    mounting = [t["name"] for t in templates if _mounted_keys(t.get("volumes", [])) == [NAME]]
    assert mounting and len(mounting) < len(templates), "every pod gets the secret, not only the tasks' pods"

    pvc = project / "pvc"
    harness = run_workflow(_with_project_mounted(workflow, project), host_volumes={"runnable": str(pvc)},
                           config_maps={config_map["metadata"]["name"]: config_map["data"]},
                           secrets={(K8S_SECRET, NAME): secret.value},
                           parameters={"run_id": RUN_ID, "parameters_file": PARAMS}, workflow_name="wf-secrets")
    logs = {f"pod {pod.pod_name} ({pod.node}) logs": pod.logs for pod in harness.pods}
    assert harness.phase == "Succeeded", (harness.nodes, logs)
    # The value came from the cluster's Secret as a file of the task pods' own volume, never their environment.
    assert all(pod.env.get(NAME) != secret.value for pod in harness.pods)
    assert sum(pod.template in mounting for pod in harness.pods) == 2 and len(harness.pods) > 2
    assert_masked("\n".join(logs.values()))
    texts = dict(logs)
    for pod in harness.pods:
        texts[f"pod {pod.pod_name} stdout"] = pod.stdout
        texts[f"pod {pod.pod_name} message"] = pod.message
        texts[f"pod {pod.pod_name} outputs"] = json.dumps(pod.outputs)
    texts["workflow"] = json.dumps({"message": harness.message, "nodes": harness.nodes, "outputs": harness.outputs,
                                    "results": harness.results})
    shown = cli(["show", RUN_ID, "--json", "-c", _store_config(project, pvc)], project)
    assert shown.returncode == 0, shown.stderr
    texts.update(_outputs(shown, "runnable show --json"))
    assert_no_leak(secret, [deploy, pvc / "run-logs", pvc / "catalog"], texts)
