"""The GitOps recipe of docs/gitops.md, followed on a temporary git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from runnable.compiler import gitops
from runnable.ir.serialize import canonical_json, sha256_hex
from tests.helpers import cli

PIPELINE = "examples/07-map/map.py"
ENVIRONMENTS = {"dev": "examples/configs/argo-dev.yaml", "prod": "examples/configs/argo-prod.yaml"}


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args], cwd=repo,
                            capture_output=True, text=True, check=True)
    return result.stdout


def _compile(repo: Path, environment: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(["compile", PIPELINE, "--target", "argo", "-c", ENVIRONMENTS[environment], "-o",
                f"deploy/{environment}", *extra], repo)


def _objects(folder: Path) -> dict[str, dict]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(folder.glob("*.yaml"))}


def test_one_pipeline_two_environments_in_a_git_repository(project: Path) -> None:
    repo = project
    _git(repo, "init", "-q")
    for environment in ENVIRONMENTS:
        assert _compile(repo, environment).returncode == 0
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "pipelines and their manifests")

    # CI on an unchanged repository: both folders are up to date and valid.
    for environment in ENVIRONMENTS:
        assert _compile(repo, environment, "--check").returncode == 0
    assert cli(["validate", "deploy"], repo).returncode == 0

    dev, prod = _objects(repo / "deploy" / "dev"), _objects(repo / "deploy" / "prod")
    template_dev, template_prod = dev["workflowtemplate-map.yaml"], prod["workflowtemplate-map.yaml"]
    assert template_dev["metadata"]["namespace"] == "ml-dev" and template_prod["metadata"]["namespace"] == "ml-prod"
    labels = template_prod["metadata"]["labels"]
    assert labels == {"app.kubernetes.io/instance": "ml-pipelines-prod", "app.kubernetes.io/managed-by": "runnable",
                      "app.kubernetes.io/name": "map", "app.kubernetes.io/part-of": "ml-pipelines"}
    annotation = "runnable/ir-hash"
    assert template_dev["metadata"]["annotations"][annotation] == template_prod["metadata"]["annotations"][annotation]
    pod_labels = template_prod["spec"]["templates"][1]["metadata"]["labels"]
    assert pod_labels["app.kubernetes.io/part-of"] == "ml-pipelines" and "runnable/template" in pod_labels

    # A change to the pipeline that nobody re-rendered: CI fails with a diff.
    source = repo / PIPELINE
    source.write_text(source.read_text().replace('name="check"', 'name="verify"'))
    stale = _compile(repo, "prod", "--check")
    assert stale.returncode == 1 and "+++ b/workflowtemplate-map.yaml" in stale.stdout
    assert "verify" in stale.stdout

    # Re-rendering changes only files of the folder, drops the old ConfigMap, and CI passes again.
    old_config_maps = sorted(p.name for p in (repo / "deploy" / "prod").glob("configmap-*"))
    for environment in ENVIRONMENTS:
        assert _compile(repo, environment).returncode == 0
    changed = _git(repo, "status", "--porcelain").splitlines()
    assert changed and all(line[3:].startswith(("deploy/", "examples/")) for line in changed)
    new_config_maps = sorted(p.name for p in (repo / "deploy" / "prod").glob("configmap-*"))
    assert len(new_config_maps) == 1 and new_config_maps != old_config_maps
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "re-render")
    assert all(_compile(repo, env, "--check").returncode == 0 for env in ENVIRONMENTS)
    assert _git(repo, "status", "--porcelain") == ""


def test_kubectl_kustomize_builds_each_environment(project: Path) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    for environment in ENVIRONMENTS:
        assert _compile(project, environment).returncode == 0
        built = subprocess.run(["kubectl", "kustomize", f"deploy/{environment}"], cwd=project, capture_output=True,
                               text=True)
        assert built.returncode == 0, built.stderr
        kinds = sorted(doc["kind"] for doc in yaml.safe_load_all(built.stdout))
        assert kinds == ["ConfigMap", "WorkflowTemplate"]


def test_files_are_named_after_their_objects() -> None:
    document = {"kind": "WorkflowTemplate", "metadata": {"name": "train"}}
    assert gitops.file_name(document) == "workflowtemplate-train.yaml"
    assert gitops.file_name({"kind": "Workflow", "metadata": {"generateName": "train-"}}) == "workflow-train.yaml"


# ---------------------------------------------------------------- rough edges: cwd, a shared folder, readable IR

def test_check_passes_from_any_directory_of_the_repository(project: Path) -> None:
    _git(project, "init", "-q")
    assert _compile(project, "dev").returncode == 0
    header = (project / "deploy" / "dev" / "kustomization.yaml").read_text().splitlines()[0]
    assert header == f"# Rendered by runnable from {PIPELINE}; do not edit by hand."
    (project / "ci").mkdir()
    from_elsewhere = cli(["compile", f"../{PIPELINE}", "--target", "argo", "-c", f"../{ENVIRONMENTS['dev']}",
                          "-o", "../deploy/dev", "--check"], project / "ci", env={"PYTHONPATH": str(project)})
    assert from_elsewhere.returncode == 0, from_elsewhere.stdout + from_elsewhere.stderr
    assert "up to date" in from_elsewhere.stderr


def test_a_second_pipeline_into_the_same_folder_is_refused_unless_forced(project: Path) -> None:
    assert _compile(project, "dev").returncode == 0
    folder = project / "deploy" / "dev"
    before = {path.name: path.read_text() for path in folder.iterdir()}
    other = "examples/02-sequential/traversal.py"
    second = cli(["compile", other, "--target", "argo", "-o", "deploy/dev"], project)
    assert second.returncode == 2, second.stderr
    [line] = [line for line in second.stderr.splitlines() if line.startswith("Error:")]
    assert f"deploy/dev holds the rendering of {PIPELINE}" in line and "--force" in line
    assert {path.name: path.read_text() for path in folder.iterdir()} == before

    forced = cli(["compile", other, "--target", "argo", "-o", "deploy/dev", "--force"], project)
    assert forced.returncode == 0, forced.stderr
    assert all(gitops.rendered_from(str(path)) == other for path in folder.iterdir())
    again = cli(["compile", other, "--target", "argo", "-o", "deploy/dev"], project)  # its own folder now
    assert again.returncode == 0, again.stderr


def test_the_ir_in_the_config_map_is_one_key_per_line(project: Path) -> None:
    assert _compile(project, "dev").returncode == 0
    [config_map] = [doc for doc in _objects(project / "deploy" / "dev").values() if doc["kind"] == "ConfigMap"]
    text = config_map["data"]["ir.json"]
    lines = text.splitlines()
    assert len(lines) > 20 and lines[0] == "{" and all(line.count('":') <= 1 for line in lines)
    ir = json.loads(text)
    annotation = config_map["metadata"]["annotations"]["runnable/ir-hash"]
    assert annotation == f"sha256:{sha256_hex(canonical_json(ir))}"


def test_a_large_ir_stays_compact_in_its_config_map() -> None:
    from runnable.compiler.kube import READABLE_IR_BUDGET, readable_ir

    small = '{"a":{"b":[1,2]}}'
    assert readable_ir(small) == '{\n "a": {\n  "b": [\n   1,\n   2\n  ]\n }\n}\n'
    big = '{"k":"' + "x" * READABLE_IR_BUDGET + '"}'
    assert readable_ir(big) == big
