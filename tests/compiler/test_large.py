"""Very long pipelines: no recursion limit anywhere on the way from the file to every target's output."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from runnable.cli.compiling import compile_target
from runnable.ir.errors import DefinitionError

STEPS = 20_000


def _write_pipeline(project: Path, steps: int) -> str:
    name = f"long_{steps}.py"  # one module name per size: a loaded module is not loaded again
    (project / name).write_text(
        "from runnable import Pipeline, PythonTask\n"
        "from examples.common.functions import hello\n\n"
        f"pipeline = Pipeline(steps=[PythonTask(name=f's{{i}}', function=hello) for i in range({steps})])\n")
    return name


@pytest.fixture(scope="module")
def long_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("long")


def test_20000_steps_compile_to_ir(project: Path) -> None:
    source = _write_pipeline(project, STEPS)
    assert compile_target(source, "ir", str(project / "ir.yaml")) == 0
    ir = yaml.load((project / "ir.yaml").read_text(), Loader=yaml.CSafeLoader)
    assert len(ir["graph"]["nodes"]) == STEPS + 2  # and success, fail


def test_20000_steps_compile_to_compose(project: Path) -> None:
    source = _write_pipeline(project, STEPS)
    assert compile_target(source, "compose", str(project / "out"), err=lambda _: None) == 0
    services = yaml.load((project / "out" / "docker-compose.yaml").read_text(), Loader=yaml.CSafeLoader)["services"]
    assert len(services) == STEPS + 2  # and runnable-start, runnable-finish
    assert services["s19999"]["depends_on"] == {"s19998": {"condition": "service_completed_successfully"}}


@pytest.mark.parametrize("target", ["k8s", "argo"])
def test_manifest_targets_hold_5000_steps_and_refuse_past_the_configmap_limit(target: str, project: Path) -> None:
    assert compile_target(_write_pipeline(project, 5_000), target, str(project / "ok"), err=lambda _: None) == 0
    with pytest.raises(DefinitionError, match=r"a ConfigMap holds at most 1,048,576 \(1 MiB\)"):
        compile_target(_write_pipeline(project, STEPS), target, str(project / "big"), err=lambda _: None)
    assert not (project / "big").exists()  # nothing written
