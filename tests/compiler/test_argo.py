"""The argo target: the document's shape, its names, its limits and what config it honours."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from runnable import Map, Parallel, Pipeline, PythonTask, ShellTask
from tests.helpers import render_manifests
from runnable.config import parse_config
from runnable.cli.discovery import load_definition
from runnable.ir.errors import ConfigError
from tests.helpers import cli

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
CONFIG = {"pipeline-executor": {"type": "argo", "config": {
    "pvc_for_runnable": "shared", "secret_from_k8s": "vault",
    "defaults": {"image": "example/app:1", "resources": {"limits": {"memory": "2Gi"}}},
    "overrides": {"gpu": {"image": "example/gpu:1", "resources": {"limits": {"gpu": 1}},
                          "nodeSelector": {"accelerator": "a100"}, "serviceAccountName": "gpu-runner",
                          "tolerations": [{"key": "gpu", "operator": "Exists"}], "env": {"CUDA": "1"}}},
    "argoWorkflow": {"metadata": {"namespace": "ml"}, "spec": {"serviceAccountName": "runner", "parallelism": 3}},
}}}


def _render(definition: Any, config: dict[str, Any] | None = None, kind: str = "", source: str = "pipeline.py"
            ) -> list[dict[str, Any]]:
    parsed = parse_config(config if config is not None else CONFIG, "argo.yaml")
    documents, _ = render_manifests(definition, "argo", parsed, source=source, kind=kind)
    return documents


def _example(path: str, kind: str = "") -> dict[str, Any]:
    return _render(load_definition(path).to_ir(), kind=kind, source=path)[1]


def _templates(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = workflow["spec"].get("workflowSpec", workflow["spec"])
    return {t["name"]: t for t in spec["templates"]}


def _tasks(workflow: dict[str, Any], template: str = "main") -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in _templates(workflow)[template]["dag"]["tasks"]}


def noop() -> None:
    pass


def test_linear_pipeline_is_a_dag_of_depends_from_a_start_task_with_a_finish_exit_handler(project: Path) -> None:
    workflow = _example("examples/02-sequential/traversal.py")
    assert workflow["kind"] == "Workflow" and workflow["metadata"]["generateName"] == "traversal-"
    spec = workflow["spec"]
    assert spec["entrypoint"] == "main" and spec["onExit"] == "runnable-finish"
    assert spec["arguments"]["parameters"] == [{"name": "run_id", "value": ""}, {"name": "parameters_file", "value": ""}]
    tasks = _tasks(workflow)
    assert list(tasks) == ["runnable-start", "hello-python", "hello-shell", "runnable-finish"]  # a stub needs no pod
    assert tasks["runnable-finish"]["depends"] == "hello-shell.Succeeded"
    assert tasks["hello-python"]["depends"] == "runnable-start.Succeeded"
    assert tasks["hello-shell"]["depends"] == "hello-python.Succeeded"
    step = _templates(workflow)["step"]["container"]
    assert step["args"][-4:] == ["--run-id", "{{workflow.parameters.run_id}}", "--default-run-id", "{{workflow.name}}"]
    assert spec["serviceAccountName"] == "runner" and spec["parallelism"] == 3
    assert workflow["metadata"]["namespace"] == "ml"


def test_on_failure_depends_on_failed_and_next_on_succeeded(project: Path) -> None:
    tasks = _tasks(_example("examples/02-sequential/on_failure_succeed.py"))
    assert tasks["recover"]["depends"] == "step-1.Failed"


def test_parallel_map_conditional_and_loop_fan_out_natively(project: Path) -> None:
    parallel = _example("examples/06-parallel/parallel.py")
    tasks = _tasks(parallel)
    branch_tasks = [t for name, t in tasks.items() if name.startswith("branches--")]
    assert len(branch_tasks) == 3 and all(t["template"] in _templates(parallel) for t in branch_tasks)
    join = tasks["branches"]
    assert all(f"{t['name']}.Failed" in join["depends"] for t in branch_tasks)

    mapped = _example("examples/07-map/map.py")
    tasks = _tasks(mapped)
    items = next(t for name, t in tasks.items() if name.endswith("--items"))
    assert items["withParam"] == "{{tasks.%s.outputs.parameters.indices}}" % items["depends"].split(".")[0]
    assert items["arguments"]["parameters"][0]["value"].endswith(".{{item}}.")
    decide = _templates(mapped)["decide"]
    assert {p["name"] for p in decide["outputs"]["parameters"]} == {"indices", "branch_index", "again", "next"}

    conditional = _example("examples/02-sequential/conditional.py")
    whens = [t["when"] for t in _tasks(conditional).values() if "when" in t]
    assert whens and all(re.fullmatch(r"\{\{tasks\.[a-z0-9-]+\.outputs\.parameters\.branch_index}} == \d+", w)
                         for w in whens)

    loop = _example("examples/10-loop/loop.py")
    recursive = [t for t in _templates(loop).values() if "dag" in t and any(
        task["template"] == t["name"] for task in t["dag"]["tasks"])]
    assert len(recursive) == 1
    again = next(task for task in recursive[0]["dag"]["tasks"] if task["template"] == recursive[0]["name"])
    assert again["when"] == "{{tasks.check.outputs.parameters.again}} == true"


def test_retries_become_a_retry_strategy_and_each_pod_makes_one_attempt(project: Path) -> None:
    workflow = _example("examples/09-retry/retry.py")
    retrying = [t for t in _templates(workflow).values() if "retryStrategy" in t]
    assert retrying and retrying[0]["retryStrategy"]["limit"] >= 1
    assert retrying[0]["retryStrategy"]["retryPolicy"] == "Always"
    assert "--one-attempt" in retrying[0]["container"]["args"]


def test_overrides_and_secrets_get_their_own_templates(project: Path) -> None:
    pipeline = Pipeline(steps=[
        PythonTask(name="train", function=noop, overrides={"argo": "gpu"}),
        ShellTask(name="report", command="echo $TOKEN", secrets=["TOKEN"]),
    ])
    workflow = _render(pipeline.to_ir())[1]
    templates = _templates(workflow)
    train = templates[_tasks(workflow)["train"]["template"]]
    assert train["container"]["image"] == "example/gpu:1"
    assert train["container"]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert train["nodeSelector"] == {"accelerator": "a100"} and train["serviceAccountName"] == "gpu-runner"
    assert train["tolerations"] == [{"key": "gpu", "operator": "Exists"}]
    assert {"name": "CUDA", "value": "1"} in train["container"]["env"]
    report = templates[_tasks(workflow)["report"]["template"]]
    assert report["volumes"] == [{"name": "runnable-secrets", "secret": {
        "secretName": "vault", "items": [{"key": "TOKEN", "path": "TOKEN"}], "defaultMode": 0o440}}]
    assert {"name": "runnable-secrets", "mountPath": "/runnable/secrets", "readOnly": True} in \
        report["container"]["volumeMounts"]
    assert not any("valueFrom" in e for e in report["container"]["env"])  # no secret in the environment
    assert "volumes" not in train  # only the step that declares a secret mounts it
    assert report["container"]["image"] == "example/app:1"


def test_unknown_override_is_refused_with_the_known_ones(project: Path) -> None:
    pipeline = Pipeline(steps=[PythonTask(name="train", function=noop, overrides={"argo": "tpu"})])
    with pytest.raises(ConfigError, match="'tpu'.*defined: gpu"):
        _render(pipeline.to_ir())


@pytest.mark.parametrize("kind", ["WorkflowTemplate", "CronWorkflow"])
def test_gitops_kinds_have_stable_names(project: Path, kind: str) -> None:
    config = json.loads(json.dumps(CONFIG))
    config["pipeline-executor"]["config"]["cron_schedule"] = {"schedules": ["0 1 * * *"], "timezone": "UTC"}
    example = "examples/02-sequential/traversal.py"
    documents = _render(load_definition(example).to_ir(), config, kind=kind, source=example)
    workflow = documents[1]
    assert workflow["kind"] == kind and workflow["metadata"]["name"] == "traversal"
    if kind == "CronWorkflow":
        assert workflow["spec"]["schedules"] == ["0 1 * * *"] and "schedule" not in workflow["spec"]
        assert workflow["spec"]["workflowSpec"]["entrypoint"] == "main"


def test_cron_workflow_without_schedules_is_refused(project: Path) -> None:
    with pytest.raises(ConfigError, match="schedules"):
        _render(load_definition("examples/02-sequential/traversal.py").to_ir(), kind="CronWorkflow")


def _all_names(workflow: dict[str, Any]) -> list[str]:
    names = []
    for template in _templates(workflow).values():
        names.append(template["name"])
        names += [t["name"] for t in template.get("dag", {}).get("tasks", [])]
    return names


def test_names_are_dns_labels_stable_under_insertion_and_hashed_only_on_collision(project: Path) -> None:
    steps = [PythonTask(name=n, function=noop) for n in ("Load Data", "load_data", "Train/Model"[:5], "ÜBER step")]
    first = _render(Pipeline(steps=steps).to_ir())[1]
    names = _all_names(first)
    assert all(DNS_LABEL.fullmatch(n) and len(n) <= 63 for n in names), names
    tasks = list(_tasks(first))
    collided = [n for n in tasks if n.startswith("load-data")]
    assert len(collided) == 2 and all(re.fullmatch(r"load-data-[0-9a-f]{6}", n) for n in collided)
    inserted = Pipeline(steps=[PythonTask(name="new first", function=noop)]
                        + [PythonTask(name=s.name, function=noop) for s in steps])
    assert set(tasks) <= set(_tasks(_render(inserted.to_ir())[1]))


def test_hostile_step_names_reach_argo_only_quoted(project: Path) -> None:
    name = "{{workflow-name}} 'quoted' \"x\" ünï"
    workflow = _render(Pipeline(steps=[PythonTask(name=name, function=noop)]).to_ir())[1]
    value = next(t for t in _tasks(workflow).values() if t["name"] != "runnable-start")["arguments"]["parameters"][0]
    assert "{" not in value["value"] and "'" not in value["value"] and " " not in value["value"]
    from runnable.ir.names import unquote_step_path

    assert unquote_step_path(value["value"]) == name


def test_five_thousand_steps_stay_within_object_limits(project: Path) -> None:
    pipeline = Pipeline(steps=[PythonTask(name=f"step{i}", function=noop) for i in range(5000)])
    config_map, workflow = _render(pipeline.to_ir())
    size = len(json.dumps(workflow))
    assert size < 1_000_000, size
    assert len(json.dumps(config_map["data"])) < 1_000_000
    assert len(_tasks(workflow)) == 5002


def test_a_job_renders_as_a_one_step_workflow(project: Path) -> None:
    workflow = _example("examples/11-jobs/python_tasks.py")
    tasks = _tasks(workflow)
    assert list(tasks) == ["runnable-start", "job", "runnable-finish"]
    assert tasks["job"]["arguments"]["parameters"] == [{"name": "step", "value": "job"}]


def test_compile_check_reports_a_stale_folder_with_a_diff(project: Path) -> None:
    args = ["compile", "examples/02-sequential/traversal.py", "--target", "argo", "-o", "deploy"]
    assert cli(args, project).returncode == 0
    assert cli([*args, "--check"], project).returncode == 0
    source = project / "examples/02-sequential/traversal.py"
    source.write_text(source.read_text().replace('name="hello shell"', 'name="hello bash"'))
    stale = cli([*args, "--check"], project)
    assert stale.returncode == 1 and "+++ b/workflow-traversal.yaml" in stale.stdout
    assert "-            value: hello%20shell" in stale.stdout or "hello%20shell" in stale.stdout
    assert "not up to date" in stale.stderr
    old_config_map = [p.name for p in (project / "deploy").glob("configmap-*")]
    assert cli(args, project).returncode == 0
    new_config_map = [p.name for p in (project / "deploy").glob("configmap-*")]
    assert len(new_config_map) == 1 and new_config_map != old_config_map  # the old one is removed
    assert cli([*args, "--check"], project).returncode == 0


def test_compiled_folder_has_headers_hash_annotation_and_kustomization(project: Path) -> None:
    assert cli(["compile", "examples/02-sequential/traversal.py", "--target", "argo", "--kind", "WorkflowTemplate",
                "-o", "deploy"], project).returncode == 0
    files = sorted(p.name for p in (project / "deploy").iterdir())
    assert files[-1] == "workflowtemplate-traversal.yaml" and "kustomization.yaml" in files
    text = (project / "deploy" / "workflowtemplate-traversal.yaml").read_text()
    assert text.startswith("# Rendered by runnable from examples/02-sequential/traversal.py")
    assert "runnable/ir-hash: sha256:" in text
    import yaml

    kustomization = yaml.safe_load((project / "deploy" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(f for f in files if f != "kustomization.yaml")


def test_validate_command_accepts_rendered_folders_and_rejects_hand_edits(project: Path) -> None:
    assert cli(["compile", "examples/07-map/map.py", "--target", "argo", "-o", "deploy"], project).returncode == 0
    assert cli(["validate", "deploy"], project).returncode == 0
    workflow = next((project / "deploy").glob("workflow-*.yaml"))
    workflow.write_text(workflow.read_text().replace("onExit: runnable-finish", "onExit: runnable-finsh"))
    result = cli(["validate", "deploy"], project)
    assert result.returncode == 1 and "runnable-finsh" in result.stdout


def test_map_and_nested_composites_compile(project: Path) -> None:
    inner = Pipeline(steps=[PythonTask(name="square", function=noop)])
    nested = Pipeline(steps=[Map(name="outer", iterate_on="xs", iterate_as="x", branch=Pipeline(steps=[
        Parallel(name="fan", branches={"a": inner, "b": inner})]))])
    workflow = _render(nested.to_ir())[1]
    values = [p["value"] for t in _templates(workflow).values() for task in t.get("dag", {}).get("tasks", [])
              for p in task.get("arguments", {}).get("parameters", [])]
    assert "{{inputs.parameters.prefix}}fan.a." in values


def test_a_branch_named_like_a_step_template_does_not_clash(project: Path) -> None:
    branch = Pipeline(steps=[PythonTask(name="inner", function=noop, overrides={"argo": "gpu"})])
    pipeline = Pipeline(steps=[Parallel(name="step", branches={"gpu": branch, "other": branch})])
    names = [t["name"] for t in _templates(_render(pipeline.to_ir())[1]).values()]
    assert len(names) == len(set(names)) and "step-gpu" in names


def test_a_wrong_typed_runnable_setting_gets_one_line(project: Path) -> None:
    config = json.loads(json.dumps(CONFIG))
    config["pipeline-executor"]["config"]["defaults"]["parallelism"] = "two"
    with pytest.raises(ConfigError, match=r"defaults\.parallelism must be a whole number.*'two'"):
        _render(load_definition("examples/02-sequential/traversal.py").to_ir(), config)
