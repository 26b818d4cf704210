"""Checks of rendered manifests: good documents pass, each kind of mistake is named with its object and field."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from runnable.compiler import checks
from runnable.compiler.checks import kube_rules
from runnable.ir.errors import DefinitionError, RunnableError

pytest.importorskip("kubernetes_validate")

ARGO = "argoproj.io/v1alpha1"


def job() -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "etl-extract", "labels": {"app.kubernetes.io/name": "etl", "runnable/step": "extract"}},
        "spec": {
            "backoffLimit": 2, "activeDeadlineSeconds": 600, "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": {"runnable/step": "extract"}},
                "spec": {
                    "restartPolicy": "Never", "serviceAccountName": "runner",
                    "containers": [{
                        "name": "step", "image": "runnable-project:latest",
                        "command": ["runnable", "execute-step", "/runnable/ir.json"],
                        "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}}],
                        "resources": {"requests": {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "1e9"},
                                      "limits": {"cpu": 1, "memory": "1Gi"}},
                        "volumeMounts": [{"name": "ir", "mountPath": "/runnable"}],
                    }],
                    "volumes": [{"name": "ir", "configMap": {"name": "etl-ir"}}],
                },
            },
        },
    }


def cron_job() -> dict[str, Any]:
    template = job()
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "etl-nightly"},
            "spec": {"schedule": "0 1 * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                     "jobTemplate": {"metadata": {"labels": {"runnable/job": "etl"}}, "spec": template["spec"]}}}


def config_map() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "etl-ir"},
            "data": {"ir.json": "{}", "run.env": "A=1"}, "binaryData": {"blob.bin": "AAEC"}}


def secret() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "etl-secret"}, "type": "Opaque",
            "data": {"token": "c2VjcmV0"}, "stringData": {"user": "me"}}


def claim() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "runnable-data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}


def workflow() -> dict[str, Any]:
    return {
        "apiVersion": ARGO, "kind": "Workflow",
        "metadata": {"generateName": "etl-", "labels": {"runnable/pipeline": "etl"}},
        "spec": {
            "entrypoint": "main", "onExit": "exit-handler",
            "templates": [
                {"name": "main", "dag": {"tasks": [
                    {"name": "extract", "template": "run"},
                    {"name": "transform", "template": "run", "depends": "extract"},
                    {"name": "load", "template": "run", "depends": "transform.Succeeded || (extract && !transform)"},
                    {"name": "report", "template": "fan-out", "dependencies": ["load"]},
                    {"name": "shared", "templateRef": {"name": "etl-template", "template": "run"},
                     "depends": "report"},
                    {"name": "inline", "inline": {"container": {"image": "busybox"}}, "depends": "load"},
                ]}},
                {"name": "run", "retryStrategy": {"limit": 2, "backoff": {"duration": "5s", "factor": 2}},
                 "container": {"image": "runnable-project:latest", "command": ["runnable", "execute-step"],
                               "resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "512Mi"}}}},
                {"name": "fan-out", "steps": [[{"name": "one", "template": "run"}],
                                              [{"name": "two", "template": "run"},
                                               {"name": "three", "template": "run"}]]},
                {"name": "exit-handler", "container": {"image": "runnable-project:latest"}},
            ],
        },
    }


def workflow_template() -> dict[str, Any]:
    return {"apiVersion": ARGO, "kind": "WorkflowTemplate", "metadata": {"name": "etl-template"},
            "spec": {"templates": [{"name": "run", "container": {"image": "runnable-project:latest"}}]}}


def cron_workflow() -> dict[str, Any]:
    return {"apiVersion": ARGO, "kind": "CronWorkflow", "metadata": {"name": "etl-nightly"},
            "spec": {"schedules": ["0 1 * * *"], "concurrencyPolicy": "Forbid",
                     "workflowSpec": {"entrypoint": "main", "templates": [
                         {"name": "main", "container": {"image": "runnable-project:latest"}}]}}}


GOOD = [job, cron_job, config_map, secret, claim, workflow, workflow_template, cron_workflow]


@pytest.mark.parametrize("make", GOOD, ids=[make.__name__ for make in GOOD])
def test_good_documents_have_no_problems(make: Callable[[], dict[str, Any]]) -> None:
    assert checks.problems([make()]) == []


def test_good_documents_together_and_check_rendered_is_quiet() -> None:
    documents = [make() for make in GOOD]
    assert checks.problems(documents) == []
    checks.check_rendered(documents, "pipeline 'etl'")


def _edit(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with ``value`` at the dotted ``path`` (``DELETE`` removes the key)."""
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


DELETE = object()
POD = "spec.template.spec"
CONTAINER = f"{POD}.containers.0"
TASKS = "spec.templates.0.dag.tasks"
BROKEN: list[tuple[str, Callable[[], dict[str, Any]], str, Any, list[str]]] = [
    # (id, good document, path, new value, fragments the one problem must hold)
    ("restart-always", job, f"{POD}.restartPolicy", "Always",
     ["Job/etl-extract: spec.template.spec.restartPolicy:", "Never or OnFailure", "'Always'"]),
    ("restart-unset", job, f"{POD}.restartPolicy", DELETE, ["Job/etl-extract: spec.template.spec.restartPolicy:",
                                                            "none, which means Always"]),
    ("cron-restart-always", cron_job, "spec.jobTemplate.spec.template.spec.restartPolicy", "Always",
     ["CronJob/etl-nightly: spec.jobTemplate.spec.template.spec.restartPolicy:"]),
    ("name-underscore", job, "metadata.name", "etl_extract", ["Job/etl_extract: metadata.name:", "DNS-1123"]),
    ("name-upper-case", job, "metadata.name", "ETL", ["Job/ETL: metadata.name:", "DNS-1123"]),
    ("name-too-long", job, "metadata.name", "a" * 64, ["metadata.name:", "64 characters long; at most 63"]),
    ("cron-name-too-long", cron_job, "metadata.name", "a" * 53, ["CronJob/", "53 characters long; at most 52"]),
    ("configmap-name", config_map, "metadata.name", "etl/ir", ["ConfigMap/etl/ir: metadata.name:"]),
    ("generate-name", job, "metadata", {"generateName": "ETL-"}, ["Job/ETL-: metadata.generateName:", "'ETL-'"]),
    ("no-name", job, "metadata", {"labels": {}}, ["Job/<unnamed>: metadata: needs a name"]),
    ("label-key", job, "metadata.labels", {"bad key": "x"}, ["Job/etl-extract: metadata.labels:", "'bad key'"]),
    ("label-value", job, "metadata.labels", {"ok": "-starts-with-dash"}, ["metadata.labels.ok:", "label value"]),
    ("pod-label", job, "spec.template.metadata.labels", {"a/b/c": "x"}, ["spec.template.metadata.labels:"]),
    ("missing-image", job, f"{CONTAINER}.image", DELETE, [f"Job/etl-extract: {CONTAINER}.image:", "needs an image"]),
    ("empty-image", job, f"{CONTAINER}.image", " ", [f"{CONTAINER}.image:", "needs an image"]),
    ("container-name", job, f"{CONTAINER}.name", "Step_1", [f"{CONTAINER}.name:", "container name"]),
    ("bad-quantity", job, f"{CONTAINER}.resources.requests.memory", "1 Gi",
     [f"Job/etl-extract: {CONTAINER}.resources.requests.memory:", "'1 Gi' is not a Kubernetes quantity"]),
    ("negative-quantity", job, f"{CONTAINER}.resources.requests.cpu", "-1", ["requests.cpu:", "negative"]),
    ("request-above-limit", job, f"{CONTAINER}.resources.requests.cpu", "1500m",
     ["requests.cpu:", "'1500m' is more than the limit 1"]),
    ("pvc-quantity", claim, "spec.resources.requests.storage", "10 GB", ["spec.resources.requests.storage:"]),
    ("strict-typo", job, "spec.backoffLimits", 3,
     ["Job/etl-extract: spec: Additional properties are not allowed ('backoffLimits' was unexpected)"]),
    ("wrong-type", job, "spec.backoffLimit", "three", ["Job/etl-extract: spec.backoffLimit:", "'three'"]),
    ("cron-no-schedule", cron_job, "spec.schedule", DELETE, ["CronJob/etl-nightly: spec:", "'schedule'"]),
    ("configmap-key", config_map, "data", {"bad key": "x"}, ["ConfigMap/etl-ir: data:", "'bad key'"]),
    ("configmap-dot-key", config_map, "data", {"..x": "x"}, ["ConfigMap/etl-ir: data:", "'..x'"]),
    ("configmap-both", config_map, "binaryData", {"ir.json": "AA=="}, ["binaryData.ir.json:", "also in data"]),
    ("configmap-base64", config_map, "binaryData", {"blob": "not base64!"}, ["binaryData.blob:", "not base64"]),
    ("configmap-oversize", config_map, "data", {"ir.json": "x" * (1 << 20)},
     ["ConfigMap/etl-ir: data/binaryData: 1,048,594 bytes", "1 MiB"]),
    ("secret-base64", secret, "data", {"token": "%%%"}, ["Secret/etl-secret: data.token:", "not base64"]),
    # Argo
    ("argo-typo", workflow, "spec.templates.1.retryStrategy.backof", {"duration": "1s"},
     ["Workflow/etl-: spec.templates.1.retryStrategy: "
      "Additional properties are not allowed ('backof' was unexpected)"]),
    ("argo-dependencies-string", workflow, f"{TASKS}.3.dependencies", "load",
     [f"{TASKS}.3.dependencies: 'load' is not of type 'array'"]),
    ("argo-dangling-template", workflow, f"{TASKS}.1.template", "rnu",
     [f"Workflow/etl-: {TASKS}.1.template: no template named 'rnu'.", "Did you mean 'run'?"]),
    ("argo-dangling-step", workflow, "spec.templates.2.steps.1.0.template", "missing",
     ["spec.templates.2.steps.1.0.template: no template named 'missing'"]),
    ("argo-missing-entrypoint", workflow, "spec.entrypoint", DELETE, ["Workflow/etl-: spec.entrypoint: missing"]),
    ("argo-wrong-entrypoint", workflow, "spec.entrypoint", "start", ["spec.entrypoint: no template named 'start'"]),
    ("argo-wrong-on-exit", workflow, "spec.onExit", "exit", ["spec.onExit: no template named 'exit'"]),
    ("argo-cycle", workflow, f"{TASKS}.0.depends", "load",
     [f"Workflow/etl-: {TASKS}: dependency cycle: extract -> load -> transform -> extract"]),
    ("argo-unknown-depends", workflow, f"{TASKS}.1.depends", "extract && extrcat.Succeeded",
     [f"{TASKS}.1.depends: 'extrcat' is not a task of this DAG.", "Did you mean 'extract'?"]),
    ("argo-unknown-result", workflow, f"{TASKS}.1.depends", "extract.Finished", ["'Finished' is not a task result"]),
    ("argo-unknown-dependency", workflow, f"{TASKS}.3.dependencies", ["lod"],
     [f"{TASKS}.3.dependencies.0: 'lod' is not a task of this DAG."]),
    ("argo-both-dependency-kinds", workflow, f"{TASKS}.3.depends", "load", [f"{TASKS}.3: use depends or"]),
    ("argo-duplicate-task", workflow, f"{TASKS}.1.name", "extract", [f"{TASKS}.1.name: 'extract' is also"]),
    ("argo-task-name", workflow, f"{TASKS}.5.name", "Inline_Step", [f"{TASKS}.5.name:", "DNS-1123", "task name"]),
    ("argo-template-name", workflow, "spec.templates.3.name", "exit_handler",
     ["spec.templates.3.name: 'exit_handler' is not a DNS-1123 label", "spec.onExit: no template named"]),
    ("argo-duplicate-template", workflow, "spec.templates.3.name", "run", ["spec.templates.3.name: 'run' is also"]),
    ("argo-no-template", workflow, f"{TASKS}.0.template", DELETE, [f"{TASKS}.0: needs exactly one of template"]),
    ("argo-bad-quantity", workflow, "spec.templates.1.container.resources.requests.cpu", "0.5 cores",
     ["spec.templates.1.container.resources.requests.cpu: '0.5 cores' is not a Kubernetes quantity"]),
    ("argo-workflow-name", workflow, "metadata", {"name": "etl_run"}, ["Workflow/etl_run: metadata.name:"]),
    ("argo3-schedule", cron_workflow, "spec.schedule", "0 1 * * *",
     ["CronWorkflow/etl-nightly: spec: Additional properties are not allowed ('schedule' was unexpected)",
      "spec.schedule: Argo 4 removed spec.schedule"]),
    ("cron-no-schedules", cron_workflow, "spec.schedules", DELETE,
     ["CronWorkflow/etl-nightly: spec: 'schedules' is a required property"]),
    ("cron-empty-schedules", cron_workflow, "spec.schedules", [], ["spec.schedules: a CronWorkflow needs"]),
    ("cron-workflow-entrypoint", cron_workflow, "spec.workflowSpec.entrypoint", "man",
     ["spec.workflowSpec.entrypoint: no template named 'man'", "Did you mean 'main'?"]),
    ("cron-workflow-name", cron_workflow, "metadata.name", "n" * 53, ["CronWorkflow/", "at most 52"]),
]


@pytest.mark.parametrize("name, make, path, value, fragments", BROKEN, ids=[case[0] for case in BROKEN])
def test_broken_documents_name_the_object_and_field(name: str, make: Callable[[], dict[str, Any]], path: str,
                                                    value: Any, fragments: list[str]) -> None:
    document = _edit(make(), path, value)
    found = checks.problems([document, workflow_template()])
    assert found, name
    assert all(problem.startswith(f"{document['kind']}/") for problem in found), found  # each names the object
    text = "\n".join(found)
    for fragment in fragments:
        assert fragment in text, text


def test_an_oversize_object_says_its_size() -> None:
    document = workflow()
    document["spec"]["arguments"] = {"parameters": [{"name": "blob", "value": "x" * (1600 * 1024)}]}
    found = checks.problems([document])
    assert len(found) == 1
    assert found[0].startswith("Workflow/etl-: <root>: the object is 1.56 MiB as JSON (1,639,")
    assert "at most 1.5 MiB (1,572,864 bytes)" in found[0]


def test_a_template_ref_into_a_template_among_the_documents_is_checked() -> None:
    document = _edit(workflow(), f"{TASKS}.4.templateRef.template", "runn")
    assert checks.problems([document]) == []  # the WorkflowTemplate is elsewhere: not checkable
    found = checks.problems([document, workflow_template()])
    assert found == [f"Workflow/etl-: {TASKS}.4.templateRef.template: WorkflowTemplate 'etl-template' has no "
                     "template named 'runn'. Did you mean 'run'?"]


def test_a_workflow_template_ref_makes_references_external() -> None:
    document = {"apiVersion": ARGO, "kind": "Workflow", "metadata": {"generateName": "etl-"},
                "spec": {"workflowTemplateRef": {"name": "etl-template"}, "entrypoint": "whatever"}}
    assert checks.problems([document]) == []


def test_templated_names_are_not_checked_as_references() -> None:
    document = _edit(workflow(), f"{TASKS}.0.template", "{{workflow.parameters.which}}")
    assert checks.problems([document]) == []


def test_rendered_documents_need_a_kind_and_a_mapping() -> None:
    found = checks.problems([{"metadata": {"name": "x"}}, ["not", "a", "mapping"]])  # type: ignore[list-item]
    assert found == ["document 1: <root>: needs a string apiVersion and kind", "document 2: is a list, not a mapping"]


def test_unknown_kinds_are_not_problems() -> None:
    assert checks.problems([{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}]) == []


def test_a_list_stands_for_its_items() -> None:
    listed = {"apiVersion": "v1", "kind": "List", "items": [job(), _edit(job(), "metadata.name", "Bad")]}
    found = checks.problems([listed])
    assert len(found) == 1 and found[0].startswith("Job/Bad: metadata.name:")


def test_check_rendered_lists_ten_problems_and_counts_the_rest() -> None:
    documents = [_edit(job(), "metadata.name", f"Job_{i}") for i in range(13)]
    with pytest.raises(DefinitionError) as raised:
        checks.check_rendered(documents, "pipeline 'etl'")
    message = str(raised.value)
    assert message.startswith("The manifests rendered for pipeline 'etl' are invalid (13 problems):\n  - Job/Job_0:")
    assert "Job/Job_9: metadata.name" in message and "Job/Job_10" not in message
    assert message.endswith("\n  and 3 more")


def test_quantities() -> None:
    from decimal import Decimal

    good = {"1": 1, "500m": Decimal("0.5"), "1Gi": 2 ** 30, "1e3": 1000, "1E": 10 ** 18, "2.5k": 2500, ".5": 0.5,
            "+1": 1, "1.": 1, "100u": Decimal("0.0001"), "3n": Decimal("3e-9"), 2: 2, 0.25: Decimal("0.25")}
    for text, number in good.items():
        assert kube_rules.parse_quantity(text) == Decimal(str(number)) if not isinstance(number, Decimal) else number
    for text in ("1 Gi", "", "1gi", "1GB", "1e", "Gi", "1.2.3", "1Ki1", True, None, [1], float("nan")):
        assert kube_rules.parse_quantity(text) is None, text


def test_checking_argo_documents_imports_no_schema_library() -> None:
    """The Argo path (a Workflow and the ConfigMap of its IR) must stay fast: no jsonschema, kubernetes_validate."""
    documents = json.dumps(json.dumps([config_map(), workflow()]))
    code = ("import sys, json; from runnable.compiler import checks; "
            f"assert checks.problems(json.loads({documents})) == []; "
            "print(sorted(m for m in ('jsonschema', 'kubernetes_validate', 'yaml') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------- validate_path

def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _yaml(*documents: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump_all(documents, sort_keys=False)


def test_validate_path_on_a_folder(tmp_path: Path) -> None:
    pytest.importorskip("jsonschema")
    _write(tmp_path / "good.yaml", _yaml(job(), config_map(), workflow(), workflow_template()))
    broken = _yaml(config_map(), _edit(job(), f"{POD}.restartPolicy", "Always"))
    broken_line = broken.split("\n").index("---") + 2
    _write(tmp_path / "broken.yaml", broken)
    _write(tmp_path / "unparsable.yml", "apiVersion: v1\nkind: ConfigMap\ndata: [a, b\n")
    _write(tmp_path / "list.yaml", "- a\n- b\n")
    _write(tmp_path / "unknown.yaml", _yaml({"apiVersion": "example.com/v1", "kind": "Widget",
                                             "metadata": {"name": "w"}}))
    _write(tmp_path / "ir.json", json.dumps({"ir_version": 1, "kind": "pipeline", "graph": {}}))
    _write(tmp_path / "values.yaml", _yaml({"replicas": 2}))
    _write(tmp_path / "no-api-version.yaml", _yaml({"kind": "Job", "metadata": {"name": "j"}}))
    _write(tmp_path / "cron.json", json.dumps(cron_workflow(), indent=1))
    _write(tmp_path / "bad.json", '{\n  "kind": "Job",\n  oops\n}')
    _write(tmp_path / "compose" / "docker-compose.yaml", _yaml({"services": {"a": {"image": "x"}}}))
    _write(tmp_path / "compose-bad" / "docker-compose.yaml", _yaml({"services": {"a": {"image": "x", "comand": 1}}}))
    _write(tmp_path / "k" / "kustomization.yaml", _yaml({"resources": ["job.yaml", "missing.yaml",
                                                                       "https://example.com/x.yaml"]}))
    _write(tmp_path / "k" / "job.yaml", _yaml(job()))
    _write(tmp_path / "notes.txt", "not a manifest")
    _write(tmp_path / ".hidden" / "x.yaml", "- not: checked")

    report = checks.validate_path(str(tmp_path))

    names = [str(Path(p).relative_to(tmp_path)) for p in report.checked]
    assert names == ["bad.json", "broken.yaml", "compose-bad/docker-compose.yaml", "compose/docker-compose.yaml",
                     "cron.json", "good.yaml", "ir.json", "k/job.yaml", "k/kustomization.yaml", "list.yaml",
                     "no-api-version.yaml", "unknown.yaml", "unparsable.yml", "values.yaml"]
    problems = {(str(Path(where).relative_to(tmp_path)), message) for where, message in report.problems}
    where = {w for w, _ in problems}
    assert where == {"bad.json:3:3", f"broken.yaml:{broken_line}", "compose-bad/docker-compose.yaml:1",
                     "k/kustomization.yaml:1", "list.yaml:1", "no-api-version.yaml:1", "unparsable.yml:4:1"}, problems
    text = "\n".join(f"{w} {m}" for w, m in sorted(problems))
    assert "bad.json:3:3 not valid JSON" in text
    assert f"broken.yaml:{broken_line} Job/etl-extract: spec.template.spec.restartPolicy" in text
    assert "compose-bad/docker-compose.yaml:1 compose file: The rendered compose file is invalid at services.a" in text
    assert "k/kustomization.yaml:1 Kustomization: resources.1: 'missing.yaml' does not exist" in text
    assert "list.yaml:1 the document is a list, not a mapping" in text
    assert "unparsable.yml:4:1 not valid YAML" in text
    assert "no-api-version.yaml:1 Job/j: <root>: needs a string apiVersion and kind" in text
    skipped = sorted((str(Path(w).relative_to(tmp_path)), m) for w, m in report.skipped)
    assert skipped == [("ir.json:1", "not a Kubernetes object (no apiVersion or metadata)"),
                       ("unknown.yaml:1", "Widget/w: no schema for kind Widget (example.com/v1) in Kubernetes "
                                          f"{checks.K8S_VERSION} or Argo Workflows; not checked"),
                       ("values.yaml:1", "not a Kubernetes object (no apiVersion or kind)")]
    assert not report.ok


def test_validate_path_on_one_good_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "manifest.yaml", "---\n" + _yaml(cron_job()) + "---\n---\n" + _yaml(claim()))
    report = checks.validate_path(str(path))
    assert report == checks.Report([str(path)], [], [])
    assert report.ok


def test_validate_path_reports_the_line_of_each_document(tmp_path: Path) -> None:
    bad = _edit(claim(), "metadata.name", "Data")
    text = _yaml(claim()) + "---\n" + _yaml(bad)
    path = _write(tmp_path / "claims.yaml", text)
    report = checks.validate_path(str(path))
    line = text.split("\n").index("---") + 2
    assert report.problems == [(f"{path}:{line}", "PersistentVolumeClaim/Data: metadata.name: 'Data' is not a "
                                                  "DNS-1123 subdomain: lower-case letters, digits, '-' and '.', "
                                                  "starting and ending with a letter or digit "
                                                  "(a PersistentVolumeClaim name)")]


def test_validate_path_needs_an_existing_path(tmp_path: Path) -> None:
    with pytest.raises(RunnableError, match="does not exist"):
        checks.validate_path(str(tmp_path / "nowhere"))


def test_garbled_documents_give_problems_not_exceptions() -> None:
    """Whatever a document holds, the checks report and never crash."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5)
                          | st.sampled_from(["run", "extract", "Never", "1Gi", "{{x}}"]),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                     max_size=3), max_leaves=5)
    seen = {"cases": 0}

    @hypothesis.settings(max_examples=300, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.sampled_from(GOOD), st.data())
    def check(make: Callable[[], dict[str, Any]], data: Any) -> None:
        document = make()
        for _ in range(data.draw(st.integers(1, 3))):
            places = _places(document)
            parent, key = data.draw(st.sampled_from(places))
            parent[key] = data.draw(values)
        found = checks.problems([document, workflow_template()])
        assert all(isinstance(problem, str) and problem.count(": ") >= 1 for problem in found)
        seen["cases"] += 1

    check()
    assert seen["cases"] >= 300


def _places(document: Any) -> list[tuple[Any, Any]]:
    """(container, key or index) for every value inside ``document``."""
    found: list[tuple[Any, Any]] = []
    items = document.items() if isinstance(document, dict) else enumerate(document)
    for key, value in items:
        found.append((document, key))
        if isinstance(value, (dict, list)) and value:
            found += _places(value)
    return found


CONFIG_MAP_KEYS = ["apiVersion", "kind", "metadata", "data", "binaryData", "immutable", "name", "namespace", "labels",
                   "annotations", "generateName", "finalizers", "ownerReferences", "managedFields", "uid",
                   "creationTimestamp", "generation", "apiVersion", "manager", "operation", "fieldsV1", "controller"]


def test_the_config_map_schema_agrees_with_kubernetes_validate() -> None:
    """ConfigMaps skip kubernetes-validate for speed: generated ones must get its verdict from our schema."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    from runnable.compiler.checks import argo_schema

    kubernetes_validate = kube_rules._kubernetes_validate()  # with its schema files read once

    scalars = (st.booleans() | st.integers(-5, 10 ** 6) | st.floats(allow_nan=False, allow_infinity=False)
               | st.text(max_size=5) | st.sampled_from(["v1", "ConfigMap", "x", "2024-01-01T00:00:00Z"]))
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(CONFIG_MAP_KEYS) | st.text(max_size=4), inner, max_size=3), max_leaves=5)
    base = config_map()
    base["metadata"].update({"namespace": "ns", "labels": {"a": "b"}, "annotations": {"c": "d"},
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u"}]})
    base["immutable"] = True
    seen = {"cases": 0, "invalid": 0}

    @hypothesis.settings(max_examples=300, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.data())
    def check(data: Any) -> None:
        document = copy.deepcopy(base)
        for _ in range(data.draw(st.integers(1, 2))):
            parent, key = data.draw(st.sampled_from(_places(document)))
            operation = data.draw(st.sampled_from(["retype", "add-key", "delete-key"]))
            if operation == "retype":
                parent[key] = data.draw(values)
            elif isinstance(parent, dict) and operation == "add-key":
                parent[data.draw(st.sampled_from(CONFIG_MAP_KEYS) | st.text(min_size=1, max_size=4))] = \
                    data.draw(values)
            elif isinstance(parent, dict) and key not in ("apiVersion", "kind"):
                del parent[key]
        if not isinstance(document.get("apiVersion"), str) or document.get("kind") != "ConfigMap":
            return  # kubernetes-validate picks its schema by these two
        ours = argo_schema.validate_against("ConfigMap", kube_rules.CONFIG_MAP_SCHEMA, document)
        try:
            kubernetes_validate.validate(document, checks.K8S_VERSION, strict=True)
            theirs = None
        except kubernetes_validate.SchemaNotFoundError:
            return
        except kubernetes_validate.ValidationError as error:
            theirs = ".".join(str(p) for p in error.absolute_path) or argo_schema.ROOT
        assert bool(ours) == (theirs is not None), (ours, theirs, document)
        if theirs is not None:
            assert theirs in {path for path, _ in ours}
            seen["invalid"] += 1
        seen["cases"] += 1

    check()
    print(f"\nConfigMap cases compared with kubernetes-validate: {seen}")
    assert seen["cases"] >= 150 and seen["invalid"] >= 50


def test_a_namespace_must_be_a_dns_label() -> None:
    document = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ir", "namespace": "Bad_NS"},
                "data": {}}
    [problem] = checks.problems([document])
    assert problem.startswith("ConfigMap/ir: metadata.namespace: 'Bad_NS' is not a DNS-1123 label")
