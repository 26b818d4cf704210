"""The small Argo schema validator agrees with jsonschema on valid documents and on broken ones."""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from runnable.compiler.checks import argo_schema

jsonschema = pytest.importorskip("jsonschema")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SCHEMA_FILE = Path(argo_schema.__file__).resolve().parents[2] / "schemas" / "argo-workflows-v4.1.2.schema.json"
SCHEMA_SHA256 = "3f84c5722c48a5aa815fe69119a9375fc3635114f8046da20ede55a8596529f5"


def _reference_definitions() -> dict[str, Any]:
    """The two documented patches, written independently of the module: a blind walk over every dict."""
    definitions = json.loads(SCHEMA_FILE.read_text())["definitions"]
    definitions[argo_schema.INT_OR_STRING] = {"type": ["integer", "string"]}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "properties" in value and "additionalProperties" not in value:
                value["additionalProperties"] = False
            for sub in value.values():
                walk(sub)
        elif isinstance(value, list):
            for sub in value:
                walk(sub)

    walk(definitions)
    return definitions


REFERENCE_DEFINITIONS = _reference_definitions()
REFERENCE = {
    kind: jsonschema.Draft202012Validator({"$ref": f"#/definitions/{argo_schema.DEFINITION_PREFIX}{kind}",
                                           "definitions": REFERENCE_DEFINITIONS})
    for kind in sorted(argo_schema.KINDS)
}


def reference_errors(document: Any, kind: str) -> list[tuple[str, str]]:
    return sorted((".".join(str(p) for p in error.absolute_path) or argo_schema.ROOT, error.message)
                  for error in REFERENCE[kind].iter_errors(document))


def ours(document: Any, kind: str) -> list[tuple[str, str]]:
    return sorted(argo_schema.validate(document, kind))


# ---------------------------------------------------------------- documents

def dag_workflow(tasks: int = 3) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for i in range(tasks):
        task: dict[str, Any] = {"name": f"step-{i}", "template": "run",
                                "arguments": {"parameters": [{"name": "step", "value": f"step-{i}"}]}}
        if i:
            task["depends"] = f"step-{i - 1}"
        entries.append(task)
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"generateName": "etl-", "labels": {"app.kubernetes.io/name": "etl"},
                     "annotations": {"runnable/ir-sha256": "abc"}},
        "spec": {
            "entrypoint": "main", "serviceAccountName": "runner", "parallelism": 4,
            "activeDeadlineSeconds": 3600, "podGC": {"strategy": "OnPodSuccess"},
            "arguments": {"parameters": [{"name": "run-id", "value": "r1"}]},
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "runnable-data"}}],
            "templates": [
                {"name": "main", "dag": {"tasks": entries}},
                {"name": "run", "inputs": {"parameters": [{"name": "step"}]},
                 "retryStrategy": {"limit": 3, "retryPolicy": "OnFailure",
                                   "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
                 "activeDeadlineSeconds": 600, "timeout": "1h",
                 "metadata": {"labels": {"runnable/step": "x"}},
                 "container": {"image": "runnable-project:latest",
                               "command": ["runnable", "execute-step", "{{inputs.parameters.step}}"],
                               "env": [{"name": "HOME", "value": "/tmp"},
                                       {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
                               "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                               "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                             "limits": {"memory": "1Gi"}}}},
                {"name": "fan-out", "steps": [[{"name": "one", "template": "run"}],
                                              [{"name": "two", "template": "run", "when": "{{steps.one.status}} == x"},
                                               {"name": "three", "template": "run", "withItems": [1, "a", {"k": 1}]}]]},
            ],
        },
    }


def workflow_template() -> dict[str, Any]:
    document = dag_workflow()
    document["kind"] = "WorkflowTemplate"
    document["metadata"] = {"name": "etl-template"}
    return document


def cron_workflow() -> dict[str, Any]:
    spec = dag_workflow()["spec"]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "nightly"},
            "spec": {"schedules": ["0 1 * * *"], "timezone": "UTC", "concurrencyPolicy": "Forbid",
                     "startingDeadlineSeconds": 60, "workflowSpec": spec}}


VALID: dict[str, dict[str, Any]] = {
    "Workflow": dag_workflow(),
    "WorkflowTemplate": workflow_template(),
    "CronWorkflow": cron_workflow(),
    "ClusterWorkflowTemplate": dict(workflow_template(), kind="ClusterWorkflowTemplate"),
    "WorkflowEventBinding": {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowEventBinding",
                             "metadata": {"name": "on-event"},
                             "spec": {"event": {"selector": "payload.message != \"\""},
                                      "submit": {"workflowTemplateRef": {"name": "etl-template"}}}},
}


def test_the_vendored_schema_is_the_upstream_file() -> None:
    import hashlib

    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256


@pytest.mark.parametrize("kind", sorted(argo_schema.KINDS))
def test_every_part_of_the_schema_compiles(kind: str) -> None:
    """Only the parts a document reaches are compiled in use: compile all of them once here."""
    compiler = argo_schema._Compiler(argo_schema.load_definitions())
    assert compiler.fill_all(compiler.definition(argo_schema.DEFINITION_PREFIX + kind)) > 100


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_documents_pass_both(kind: str) -> None:
    assert reference_errors(VALID[kind], kind) == []
    assert ours(VALID[kind], kind) == []


def _set(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


_DELETE = object()
RUN = "spec.templates.1"
BROKEN = [
    # (kind, path, value, expected error path, expected message fragment)
    ("Workflow", "spec.entrypiont", "main", "spec", "('entrypiont' was unexpected)"),
    ("Workflow", "metadata.lables", {"a": "b"}, "metadata", "('lables' was unexpected)"),
    ("Workflow", f"{RUN}.contianer", {"image": "x"}, RUN, "('contianer' was unexpected)"),
    ("Workflow", f"{RUN}.retryStrategy.backof", {"duration": "1s"}, f"{RUN}.retryStrategy",
     "Additional properties are not allowed ('backof' was unexpected)"),
    ("Workflow", f"{RUN}.container.resources.requets", {"cpu": "1"}, f"{RUN}.container.resources", "'requets'"),
    ("Workflow", f"{RUN}.container.env.0.valeu", "x", f"{RUN}.container.env.0", "'valeu'"),
    ("Workflow", "spec.templates.0.dag.tasks.1.dependencies", "step-0", "spec.templates.0.dag.tasks.1.dependencies",
     "'step-0' is not of type 'array'"),
    ("Workflow", "spec.parallelism", "four", "spec.parallelism", "'four' is not of type 'integer'"),
    ("Workflow", f"{RUN}.container.command", "echo", f"{RUN}.container.command", "'echo' is not of type 'array'"),
    ("Workflow", f"{RUN}.retryStrategy.limit", [3], f"{RUN}.retryStrategy.limit", "is not of type 'integer', 'string'"),
    ("Workflow", "metadata.labels.app", 3, "metadata.labels.app", "3 is not of type 'string'"),
    ("Workflow", "spec.templates.0.dag.tasks.0.continueOn", "yes", "spec.templates.0.dag.tasks.0.continueOn",
     "is not of type 'object'"),
    ("Workflow", f"{RUN}.container.image", _DELETE, f"{RUN}.container", "'image' is a required property"),
    ("Workflow", f"{RUN}.container.env.0.name", _DELETE, f"{RUN}.container.env.0", "'name' is a required property"),
    ("Workflow", "spec", _DELETE, argo_schema.ROOT, "'spec' is a required property"),
    ("Workflow", "kind", "Workflows", "kind", "'Workflow' was expected"),
    ("Workflow", "apiVersion", "argoproj.io/v1", "apiVersion", "'argoproj.io/v1alpha1' was expected"),
    ("Workflow", "spec.templates.0.dag.tasks.0.arguments.parameters.0.value", True,
     "spec.templates.0.dag.tasks.0.arguments.parameters.0.value", "True is not of type 'string'"),
    ("Workflow", "spec.podGC.strategy", 1.5, "spec.podGC.strategy", "1.5 is not of type 'string'"),
    ("CronWorkflow", "spec.schedule", "0 1 * * *", "spec", "('schedule' was unexpected)"),
    ("CronWorkflow", "spec.schedules", _DELETE, "spec", "'schedules' is a required property"),
    ("CronWorkflow", "spec.workflowSpec.templates.1.retryStrategy.backof", {},
     "spec.workflowSpec.templates.1.retryStrategy", "'backof'"),
    ("WorkflowTemplate", "spec.templates.0.dag.taks", [], "spec.templates.0.dag", "('taks' was unexpected)"),
]


@pytest.mark.parametrize("kind, path, value, where, fragment", BROKEN, ids=[f"{b[0]}:{b[1]}" for b in BROKEN])
def test_broken_documents_fail_both_with_the_same_errors(kind: str, path: str, value: Any, where: str,
                                                         fragment: str) -> None:
    document = _set(VALID[kind], path, value)
    expected = reference_errors(document, kind)
    found = ours(document, kind)
    assert found == expected
    assert any(p == where and fragment in message for p, message in found), found


def test_the_argo3_schedule_reports_both_problems() -> None:
    document = _set(_set(VALID["CronWorkflow"], "spec.schedules", _DELETE), "spec.schedule", "0 1 * * *")
    assert ours(document, "CronWorkflow") == [
        ("spec", "'schedules' is a required property"),
        ("spec", "Additional properties are not allowed ('schedule' was unexpected)"),
    ]


def test_several_unknown_keys_are_one_sorted_message() -> None:
    document = _set(_set(VALID["Workflow"], "spec.zeta", 1), "spec.alpha", 2)
    assert ours(document, "Workflow") == reference_errors(document, "Workflow") == [
        ("spec", "Additional properties are not allowed ('alpha', 'zeta' were unexpected)")]


def test_errors_come_sorted_with_numeric_indexes() -> None:
    document = dag_workflow(12)
    for index in (2, 10):
        document["spec"]["templates"][0]["dag"]["tasks"][index]["naem"] = "x"
    paths = [path for path, _ in argo_schema.validate(document)]
    assert paths == ["spec.templates.0.dag.tasks.2", "spec.templates.0.dag.tasks.10"]


def test_the_kind_comes_from_the_document_or_the_caller() -> None:
    assert argo_schema.validate(VALID["CronWorkflow"]) == []
    with pytest.raises(ValueError, match="not an Argo kind"):
        argo_schema.validate({"kind": "Job"})


def test_integers_and_integral_floats_fill_int_or_string_fields() -> None:
    for value in (3, "3", 3.0):
        document = _set(VALID["Workflow"], f"{RUN}.retryStrategy.limit", value)
        assert ours(document, "Workflow") == reference_errors(document, "Workflow") == []
    document = _set(VALID["Workflow"], f"{RUN}.retryStrategy.limit", 2.5)
    assert ours(document, "Workflow") == reference_errors(document, "Workflow") != []


def test_an_unsupported_keyword_fails_the_build_not_the_check() -> None:
    compiler = argo_schema._Compiler({"X": {"type": "object", "patternProperties": {"^a": {}}}})
    with pytest.raises(ValueError, match="patternProperties"):
        compiler.definition("X")


def test_a_large_workflow_is_validated_quickly() -> None:
    document = dag_workflow(5000)
    argo_schema.validate(document)  # builds the validator
    started = time.perf_counter()
    assert argo_schema.validate(document) == []
    assert time.perf_counter() - started < 1.0  # about 35 ms here; generous for slow machines


# ---------------------------------------------------------------- generated mutations

def _locations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, sub in value.items():
            found += _locations(sub, path + (key,))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            found += _locations(sub, path + (index,))
    return found


BASES = {kind: (VALID[kind], _locations(VALID[kind])) for kind in ("Workflow", "CronWorkflow", "WorkflowTemplate")}
KNOWN_KEYS = sorted({str(part) for _, locations in BASES.values() for path in locations for part in path
                     if isinstance(part, str)})
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10 ** 12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8) | st.sampled_from(["main", "run", "Never", "1Gi", "argoproj.io/v1alpha1", "Workflow"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(KNOWN_KEYS) | st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
GENERATED: Counter[str] = Counter()


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[str]]:
    kind = draw(st.sampled_from(sorted(BASES)))
    base, locations = BASES[kind]
    document = copy.deepcopy(base)
    done = []
    for _ in range(draw(st.integers(1, 3))):
        operation = draw(st.sampled_from(["add-key", "retype", "delete-key"]))
        path = draw(st.sampled_from(locations))
        try:
            target = _at(document, path)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this place
        if operation == "add-key" and isinstance(target, dict):
            key = draw(st.sampled_from(KNOWN_KEYS) | st.text(min_size=1, max_size=10))
            target[key] = draw(json_values)
        elif operation == "delete-key" and isinstance(target, dict) and target:
            del target[draw(st.sampled_from(sorted(target)))]
        elif operation == "retype" and path:
            _at(document, path[:-1])[path[-1]] = draw(json_values)
        else:
            continue
        done.append(operation)
    return kind, document, done


@settings(max_examples=600, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_generated_mutations_get_the_same_verdict_and_errors(case: tuple[str, dict[str, Any], list[str]]) -> None:
    kind, document, done = case
    expected = reference_errors(document, kind)
    found = ours(document, kind)
    GENERATED["cases"] += 1
    GENERATED["invalid" if expected else "valid"] += 1
    for operation in done:
        GENERATED[operation] += 1
    assert bool(found) == bool(expected)
    assert Counter(found) == Counter(expected)


def test_generated_cases_were_enough() -> None:
    """Runs after the generated test (file order) and records how many cases it saw."""
    print(f"\nhypothesis: {dict(GENERATED)}")
    if GENERATED["cases"]:
        assert GENERATED["cases"] >= 500 and GENERATED["invalid"] >= 200 and GENERATED["valid"] >= 10
