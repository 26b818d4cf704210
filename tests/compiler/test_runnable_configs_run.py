"""runnable 0.50's Argo settings, executed through the Argo harness (every pod in Docker).

Exposed initial parameters set at submit time reach the run, the configured log level reaches
every pod, and a map with a ``sequential`` override (its own DAG template, parallelism 1) ends
exactly like the same map without it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runnable.cli.discovery import load_definition
from runnable.config import parse_config
from tests.argo_harness import run_workflow
from tests.compiler.test_argo_run import _argo_outcome, _with_project_mounted
from tests.helpers import render_manifests


def _run(project: Path, image: str, definition: Any, settings: dict[str, Any], parameters: dict[str, str],
         exposed: dict[str, Any] | None = None) -> Any:
    config = parse_config({"pipeline-executor": {"type": "argo", "config": {
        "pvc_for_runnable": "runnable", "defaults": {"image": image}, **settings}}}, "argo.yaml")
    config_map, workflow = render_manifests(definition, "argo", config, source="p.py", parameters=exposed or {})[0]
    return run_workflow(_with_project_mounted(workflow, project), host_volumes={"runnable": str(project / "pvc")},
                        config_maps={config_map["metadata"]["name"]: config_map["data"]}, parameters=parameters,
                        workflow_name="wf-compat")


def test_exposed_parameters_changed_at_submit_reach_the_run(project: Path, docker_image: str) -> None:
    definition = load_definition("examples/02-sequential/traversal.py").to_ir()
    harness = _run(project, docker_image, definition, {"log_level": "INFO"}, {"run_id": "exposed", "integer": "5"},
                   exposed={"integer": 1, "stringer": "hello", "dict_param": {"x": 1}})
    assert harness.phase == "Succeeded", harness.nodes
    run = json.loads((project / "pvc" / "run-logs" / "exposed" / "run.json").read_text())
    values = {name: spec["value"] for name, spec in run["parameters"].items()}
    assert values == {"integer": 5, "stringer": "hello", "dict_param": {"x": 1}}
    assert all("--log-level" in pod.args for pod in harness.pods)


def test_a_sequential_map_ends_like_a_map(project: Path, docker_image: str) -> None:
    definition = load_definition("examples/07-map/map.py").to_ir()
    assert definition.graph is not None
    definition.graph.nodes["squares map"].overrides = {"argo": "sequential"}
    harness = _run(project, docker_image, definition, {"overrides": {"sequential": {"parallelism": 1}}},
                   {"run_id": "sequential", "parameters_file": ""})
    logs = "\n".join(f"--- {pod.node} {pod.args} ({pod.exit_code})\n{pod.logs[-800:]}" for pod in harness.pods)
    assert harness.phase == "Succeeded", (harness.nodes, logs)
    outcome = _argo_outcome(project / "pvc", "sequential")
    assert outcome["status"] == "SUCCESS"
    assert outcome["steps"]["check"] == "SUCCESS"
