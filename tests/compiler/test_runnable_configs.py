"""runnable 0.50's own published configs compile unchanged, with the same meaning.

The files under runnable_configs/ are runnable's (``examples/configs/argo-config.yaml``,
``argo-cron-config.yaml``, ``examples/11-jobs/k8s-job.yaml``, ``k8s-scheduled-job.yaml``,
the ``argo-map-sequential`` pipeline) plus the config that pipeline's ``sequential``
override needs. Every render passes the Argo schema or kubernetes-validate (the renderer
checks each one); a representative render of each is golden under golden/runnable-configs/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from runnable.cli.discovery import load_definition
from runnable.config import load_config
from tests.helpers import cli, render_manifests
from tests.test_examples import EXAMPLES, GOLDEN, _golden

HERE = Path(__file__).parent / "runnable_configs"
ENV = {"RUNNABLE_VAR_docker_image": "runnable-examples:latest"}  # runnable's configs say image: $docker_image
ARGO_CONFIGS = ["argo-config.yaml", "argo-cron-config.yaml", "argo-map-sequential-config.yaml"]
K8S_CONFIGS = ["k8s-job.yaml", "k8s-scheduled-job.yaml"]
CACHE_NOTICE = "notice: pipeline-executor.config.configmap_cache_name is accepted and changes nothing"

# (config, definition, extra compile arguments) -> golden/runnable-configs/<name>/
GOLDEN_CASES = {
    "argo-config": ("argo-config.yaml", "examples/02-sequential/traversal.py", "argo",
                    ["-p", "examples/common/initial_parameters.yaml"]),
    "argo-cron-config": ("argo-cron-config.yaml", "examples/02-sequential/traversal.py", "argo", []),
    "argo-map-sequential": ("argo-map-sequential-config.yaml", "argo-map-sequential.yaml", "argo", []),
    "k8s-job": ("k8s-job.yaml", "examples/11-jobs/python_tasks.py", "k8s", []),
    "k8s-scheduled-job": ("k8s-scheduled-job.yaml", "examples/11-jobs/python_tasks.py", "k8s", []),
}


def _concepts_module(project: Path) -> None:
    """What a runnable user's project holds for the argo-map-sequential pipeline: examples.concepts.map."""
    folder = project / "examples" / "concepts"
    folder.mkdir(exist_ok=True)
    (folder / "__init__.py").write_text("")
    (folder / "map.py").write_text("def chunk_files():\n    return {'chunks': [0, 10, 20], 'stride': 10}\n\n\n"
                                   "def process_chunk(start_index: int, stride: int):\n    print(start_index)\n")


@pytest.mark.parametrize("config", ARGO_CONFIGS[:2] + K8S_CONFIGS)
def test_every_example_compiles_unchanged(config: str, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    parsed = load_config(str(HERE / config))
    target = "argo" if config.startswith("argo") else "k8s"
    for example in EXAMPLES:
        if example == "examples/03-parameters/use_secrets.py":  # runnable's configs name no Secret: refused, said why
            continue
        documents, _ = render_manifests(load_definition(example).to_ir(), target, parsed, source=example)
        assert documents[-1]["metadata"].get("namespace") == "enterprise-mlops", example


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_runnable_config_golden(case: str, project: Path) -> None:
    config, definition, target, extra = GOLDEN_CASES[case]
    _concepts_module(project)
    if not definition.startswith("examples/"):
        definition = str(HERE / definition)
    args = ["compile", definition, "--target", target, "-c", str(HERE / config), "-o", "deploy", *extra]
    result = cli(args, project, ENV)
    assert result.returncode == 0, result.stderr
    if config.startswith("argo"):
        assert CACHE_NOTICE in result.stderr
    check = cli([*args, "--check"], project, ENV)
    assert check.returncode == 0, check.stdout + check.stderr
    folder = project / "deploy"
    files = {p.name: p.read_text() for p in sorted(folder.iterdir())}
    golden = GOLDEN / "runnable-configs" / case
    for name, text in files.items():
        _golden(golden / name, text)
    assert sorted(p.name for p in golden.iterdir()) == sorted(files), f"stale files in {golden}"


def _workflow(project: Path, config: dict[str, Any], definition: str = "examples/02-sequential/traversal.py",
              parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    from runnable.config import parse_config

    documents, _ = render_manifests(load_definition(definition).to_ir(), "argo", parse_config(config, "c.yaml"),
                                    source=definition, parameters=parameters or {})
    return documents[1]


def _argo(**settings: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"defaults": {"image": "app:1"}}
    base.update(settings)
    return {"pipeline-executor": {"type": "argo", "config": base}}


def _templates(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in workflow["spec"]["templates"]}


def test_exposed_parameters_are_workflow_arguments_read_by_the_first_pod(project: Path) -> None:
    workflow = _workflow(project, _argo(), parameters={"integer": 1, "stringer": "hello", "dict_param": {"x": 1}})
    arguments = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    assert arguments["integer"] == "1" and json.loads(arguments["stringer"]) == "hello"
    assert json.loads(arguments["dict_param"]) == {"x": 1}
    env = {e["name"]: e.get("value") for e in _templates(workflow)["runnable-start"]["container"]["env"]}
    assert env["RUNNABLE_PRM_integer"] == "{{workflow.parameters.integer}}"
    step_env = {e["name"] for e in _templates(workflow)["step"]["container"]["env"]}
    assert not any(name.startswith("RUNNABLE_PRM_") for name in step_env)
    hidden = _workflow(project, _argo(expose_parameters_as_inputs=False), parameters={"integer": 1})
    assert [p["name"] for p in hidden["spec"]["arguments"]["parameters"]] == ["run_id", "parameters_file"]


def test_an_exposed_parameter_set_at_submit_reaches_the_run(project: Path) -> None:
    """The first pod's RUNNABLE_PRM_<name> (what `argo submit -p name=value` fills in) wins over the file."""
    from runnable.runtime.parameters import initial_parameters

    os.environ["RUNNABLE_PRM_integer"] = "7"
    try:
        params = initial_parameters("examples/common/initial_parameters.yaml")
    finally:
        del os.environ["RUNNABLE_PRM_integer"]
    assert params["integer"]["value"] == 7


def test_defaults_and_workflow_spec_keys_are_honoured(project: Path) -> None:
    secret = {"environment_variable": "TOKEN", "secret_name": "creds", "secret_key": "token"}
    config = _argo(log_level="INFO", defaults={
        "image": "app:1", "parallelism": 2, "timeout": "30m", "activeDeadlineSeconds": 600, "failFast": False,
        "retryStrategy": {"limit": 2, "retryPolicy": "Always"}, "env": [secret]},
        argoWorkflow={"metadata": {"labels": {"team": "ml"}, "annotations": {"owner": "me"}},
                      "spec": {"retryStrategy": {"limit": 1}, "templateDefaults": {"timeout": "2h"},
                               "arguments": {"parameters": [{"name": "extra", "value": "x"}]}}})
    workflow = _workflow(project, config)
    spec = workflow["spec"]
    assert spec["retryStrategy"] == {"limit": 1} and spec["templateDefaults"] == {"timeout": "2h"}
    arguments = {p["name"]: p["value"] for p in spec["arguments"]["parameters"]}
    assert arguments["extra"] == "x" and arguments["log_level"] == "INFO"
    templates = _templates(workflow)
    assert templates["main"]["parallelism"] == 2
    step = templates["step"]
    assert step["timeout"] == "30m" and step["activeDeadlineSeconds"] == 600
    assert step["retryStrategy"] == {"limit": 2, "retryPolicy": "Always"}
    assert step["container"]["args"][-2:] == ["--log-level", "{{workflow.parameters.log_level}}"]
    assert {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}} in \
        step["container"]["env"]
    for template in templates.values():
        if "container" in template:
            assert template["metadata"]["labels"]["team"] == "ml", template["name"]
            assert template["metadata"]["annotations"] == {"owner": "me"}, template["name"]


def test_output_file_receives_the_stream_without_o(project: Path) -> None:
    config = project / "argo.yaml"
    config.write_text(yaml.safe_dump(_argo(output_file="argo-pipeline.yaml")))
    result = cli(["compile", "examples/02-sequential/traversal.py", "--target", "argo", "-c", str(config)], project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "wrote argo-pipeline.yaml" in result.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all((project / "argo-pipeline.yaml").read_text())]
    assert kinds == ["ConfigMap", "Workflow"]


@pytest.mark.parametrize("key, value, message", [
    ("log_level", "LOUD", "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ("expose_parameters_as_inputs", "yes", "expose_parameters_as_inputs must be a boolean"),
    ("configmap_cache", "x", "Did you mean 'configmap_cache_name'"),
])
def test_bad_runnable_settings_get_one_line(key: str, value: Any, message: str, project: Path) -> None:
    config = project / "argo.yaml"
    config.write_text(yaml.safe_dump(_argo(**{key: value})))
    result = cli(["compile", "examples/02-sequential/traversal.py", "--target", "argo", "-c", str(config)], project)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_k8s_job_selector_and_pod_metadata_are_honoured(project: Path) -> None:
    from runnable.config import parse_config

    config = {"job-executor": {"type": "k8s-job", "config": {"pvc_claim_name": "runnable", "jobSpec": {
        "selector": {"matchLabels": {"app": "etl"}},
        "template": {"metadata": {"annotations": {"owner": "me"}, "namespace": "batch", "generate_name": "x-"},
                     "spec": {"container": {"image": "app:1"}}}}}}}
    definition = load_definition("examples/11-jobs/python_tasks.py").to_ir()
    from runnable.compiler import render

    rendered = render(definition, "k8s", parse_config(config, "k8s.yaml"), source="job.py")
    job = rendered.documents[1]
    assert job["metadata"]["namespace"] == "batch" == rendered.documents[0]["metadata"]["namespace"]
    assert job["spec"]["selector"] == {"matchLabels": {"app": "etl"}} and job["spec"]["manualSelector"] is True
    pod_meta = job["spec"]["template"]["metadata"]
    assert pod_meta["labels"]["app"] == "etl" and pod_meta["annotations"] == {"owner": "me"}
    assert len(rendered.notices) == 1 and "generate_name is accepted and changes nothing" in rendered.notices[0]
    config["job-executor"]["config"]["jobSpec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(Exception, match="selector must match its pods"):
        render(definition, "k8s", parse_config(config, "k8s.yaml"), source="job.py")
