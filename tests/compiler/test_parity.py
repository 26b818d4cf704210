"""The real measure of the container targets: every example gives the same final parameters,
step statuses and catalog files on local, local-container and compose."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.helpers import cli
from tests.test_examples import EXAMPLES, EXPECTED, PARAMS, read_run

# The mocked example selects the mocked executor, itself a local target: nothing to compare.
# async_streaming.py crashes intermittently (a race between a worker thread's output capture and the
# caller's event loop); it is left out of the parity runs until that is fixed.
STREAMING = "examples/12-async/async_streaming.py"
CONTAINER_EXAMPLES = [e for e in EXAMPLES if not e.startswith("examples/08-mocking/") and e != STREAMING]




def _container_config(project: Path, image: str) -> str:
    path = project / "containers.yaml"
    settings = f"  type: local-container\n  config:\n    docker_image: {image}\n"
    path.write_text(f"pipeline-executor:\n{settings}job-executor:\n{settings}")
    return "containers.yaml"


def _outcome(project: Path, run_id: str) -> dict:
    run_log = read_run(project, run_id)
    catalog = project / ".catalog" / run_id
    files = {}
    for path in sorted(catalog.rglob("*")) if catalog.is_dir() else []:
        if path.is_file():
            relative = path.relative_to(catalog).as_posix()
            # Logs and executed notebooks hold timings; data files and objects must match exactly.
            stable = not relative.endswith((".execution.log", ".ipynb"))
            files[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if stable else "present"
    return {
        "status": run_log.status,
        "parameters": run_log.parameters,
        "steps": {name: step.status for name, step in run_log.steps.items()},
        "catalog": files,
    }


def _copy(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copytree(source / "examples", target / "examples")
    return target


@pytest.mark.parametrize("example", CONTAINER_EXAMPLES)
def test_same_results_on_every_target(example: str, project: Path, docker_image: str, tmp_path_factory) -> None:
    expected = EXPECTED[example]
    env = expected.get("env")
    code = expected.get("exit", 0)
    outcomes = {}

    local = _copy(project, tmp_path_factory.mktemp("local") / "p")
    result = cli(["run", example, "-p", PARAMS, "--run-id", "parity"], local, env)
    assert result.returncode == code, result.stderr
    outcomes["local"] = _outcome(local, "parity")

    container = _copy(project, tmp_path_factory.mktemp("container with space") / "p")
    config = _container_config(container, docker_image)
    result = cli(["run", example, "-p", PARAMS, "--run-id", "parity", "-c", config], container, env)
    assert result.returncode == code, result.stdout + result.stderr
    outcomes["local-container"] = _outcome(container, "parity")

    compose = _copy(project, tmp_path_factory.mktemp("compose with space") / "p")
    config = _container_config(compose, docker_image)
    rendered = cli(["compile", example, "--target", "compose", "-o", "deploy", "-c", config], compose)
    assert rendered.returncode == 0, rendered.stderr
    result = cli(["apply", "deploy", "--run-id", "parity", "-p", PARAMS], compose, env)
    assert result.returncode == code, result.stdout[-3000:] + result.stderr[-3000:]
    outcomes["compose"] = _outcome(compose, "parity")

    assert outcomes["local-container"] == outcomes["local"]
    assert outcomes["compose"] == outcomes["local"]
