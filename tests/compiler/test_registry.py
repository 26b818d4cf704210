"""The registry: every command reads it, and a target registered from outside the package works everywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runnable.cli.compiling import compile_target
from runnable.cli.discovery import load_definition
from runnable.compiler import base
from runnable.compiler.plan import RUN, lower
from runnable.config import parse_config
from runnable.ir.errors import ConfigError, DefinitionError
from tests.test_examples import EXAMPLES


@pytest.fixture
def script_target():
    base.register("script", "tests.compiler.script_target")
    yield base.target("script")
    base.unregister("script")


def test_every_builtin_target_is_registered_once_with_its_own_name() -> None:
    names = [t.name for t in base.targets()]
    assert names == list(base.REGISTRY) and len(set(names)) == len(names)
    assert base.renderable() == ["ir", "compose", "k8s", "argo"]
    assert base.target_for_executor("argo").name == "argo" and base.target_for_executor("k8s-job").name == "k8s"
    assert base.target_for_executor("local-container").name == "local-container"


def test_an_unknown_target_names_the_registered_ones() -> None:
    with pytest.raises(DefinitionError, match="Did you mean 'argo'"):
        base.target("argoo")


def test_a_run_only_target_says_it_renders_nothing() -> None:
    with pytest.raises(DefinitionError, match="runs definitions; it renders nothing.*ir, compose, k8s, argo"):
        compile_target("examples/01-tasks/stub.py", "local")


@pytest.mark.parametrize("example", EXAMPLES)
def test_a_registered_target_compiles_every_example(example: str, script_target, project: Path) -> None:
    output = project / "out" / Path(example).stem
    assert compile_target(example, "script", str(output), err=lambda _: None) == 0
    script = (output / "run.sh").read_text()
    definition = load_definition(example).to_ir()
    plan = lower(definition, script_target)
    expected = [plan.job.name] if plan.job else [s.name for s in plan.graph.steps if s.mode == RUN]
    step_lines = [line for line in script.splitlines() if "--step" in line]
    assert len(step_lines) == len(expected)
    for line, name in zip(step_lines, expected):
        assert line.split("--step ", 1)[1].startswith((name + " ", f"'{name}' "))


@pytest.mark.parametrize("example, status", [("examples/02-sequential/traversal.py", "SUCCESS"),
                                             ("examples/02-sequential/on_failure_succeed.py", "SUCCESS"),
                                             ("examples/02-sequential/default_fail.py", "FAIL")])
def test_the_registered_target_runs_for_real(example: str, status: str, script_target, project: Path) -> None:
    output = project / "out"
    compile_target(example, "script", str(output), err=lambda _: None)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(["sh", str(output / "run.sh"), "scripted"], cwd=project, env=env, capture_output=True,
                            text=True)
    from runnable.stores.run_log import FileSystemRunLogStore

    run = FileSystemRunLogStore(str(project / ".run_log_store")).get_run("scripted")
    assert run.status == status, result.stderr
    assert result.returncode == (0 if status == "SUCCESS" else 1)


def test_config_checking_reads_the_registered_targets_executors(script_target) -> None:
    config = parse_config({"pipeline-executor": {"type": "script", "config": {"shell": "bash"}}}, "c.yaml")
    assert config.executor_for("pipeline").type == "script"
    with pytest.raises(ConfigError, match="Did you mean 'shell'"):
        parse_config({"pipeline-executor": {"type": "script", "config": {"shel": "bash"}}}, "c.yaml")


def test_without_registration_the_executor_is_unknown() -> None:
    with pytest.raises(ConfigError, match="type"):
        parse_config({"pipeline-executor": {"type": "script"}}, "c.yaml")
