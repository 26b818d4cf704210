"""``runnable validate`` on manifests that kubectl or Argo would refuse but no schema catches."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import cli

JOB = """apiVersion: {api}
kind: {kind}
metadata:
  name: j
spec:
  parallelism: {parallelism}
  template:
    spec:
      restartPolicy: Never
      volumes: [{{name: data, emptyDir: {{}}}}]
      containers:
      - name: c
        image: busybox
        volumeMounts: [{{name: {mount}, mountPath: /data}}]
"""
GOOD = {"api": "batch/v1", "kind": "Job", "parallelism": 2, "mount": "data"}
WORKFLOW = """apiVersion: {api}
kind: {kind}
metadata:
  name: w
spec:
  entrypoint: main
  parallelism: {parallelism}
  volumes: [{{name: data, emptyDir: {{}}}}]
  templates:
  - name: main
    container:
      image: busybox
      volumeMounts: [{{name: {mount}, mountPath: /data}}]
"""
GOOD_WORKFLOW = {"api": "argoproj.io/v1alpha1", "kind": "Workflow", "parallelism": 2, "mount": "data"}


@pytest.mark.parametrize(("template", "changes", "expected"), [
    (WORKFLOW, {"kind": "Workflw"}, "w.yaml:1: Workflw/w: <root>: unknown Argo Workflows kind 'Workflw'. "
                                    "Did you mean 'Workflow'?"),
    (WORKFLOW, {"api": "argoproj.io/v2"}, "w.yaml:1: Workflow/w: <root>: apiVersion 'argoproj.io/v2' does not serve "
                                          "Workflow; Argo Workflows serves it as argoproj.io/v1alpha1"),
    (WORKFLOW, {"parallelism": -1}, "w.yaml:1: Workflow/w: spec.parallelism: must not be negative (got -1)"),
    (WORKFLOW, {"mount": "dta"}, "w.yaml:1: Workflow/w: spec.templates.0.container.volumeMounts.0.name: "
                                 "no volume named 'dta' in this pod (volumes: data)"),
    (JOB, {"api": "batch/v2"}, "w.yaml:1: Job/j: <root>: apiVersion 'batch/v2' does not serve Job; "
                               "Kubernetes 1.33.0 serves it as batch/v1"),
    (JOB, {"kind": "Jobb"}, "w.yaml:1: Jobb/j: <root>: unknown kind 'Jobb' in apiVersion 'batch/v1' "
                            "(Kubernetes 1.33.0). Did you mean 'Job'?"),
    (JOB, {"parallelism": -3}, "w.yaml:1: Job/j: spec.parallelism: must not be negative (got -3)"),
    (JOB, {"mount": "dta"}, "w.yaml:1: Job/j: spec.template.spec.containers.0.volumeMounts.0.name: "
                            "no volume named 'dta' in this pod (volumes: data)"),
])
def test_each_miss_fails_with_a_located_message(tmp_path: Path, template: str, changes: dict, expected: str) -> None:
    good = GOOD_WORKFLOW if template is WORKFLOW else GOOD
    (tmp_path / "w.yaml").write_text(template.format(**good))
    assert cli(["validate", "w.yaml"], tmp_path).returncode == 0  # the unchanged manifest is valid
    (tmp_path / "w.yaml").write_text(template.format(**{**good, **changes}))
    result = cli(["validate", "w.yaml"], tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stdout + result.stderr


def test_duplicate_keys_and_empty_files_fail(tmp_path: Path) -> None:
    (tmp_path / "dup.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
                                       "data:\n  a: '1'\n  a: '2'\n")
    (tmp_path / "empty.yaml").write_text("")
    result = cli(["validate", "."], tmp_path)
    assert result.returncode == 1
    text = result.stdout + result.stderr
    assert "dup.yaml:7:3: not valid YAML: duplicate key 'a' (first at line 6, column 3)" in text
    assert "empty.yaml: the file holds no document (it is empty)" in text


def test_custom_resources_are_still_only_skipped(tmp_path: Path) -> None:
    (tmp_path / "crd.yaml").write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
    (tmp_path / "rollout.yaml").write_text("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\n")
    result = cli(["validate", "."], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not checked" in result.stdout + result.stderr
