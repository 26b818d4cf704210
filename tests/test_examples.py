"""Every example is a golden test: its IR is compared with golden/, and it runs end to end.

Examples are discovered, not listed: a new example fails here until it has a golden IR
file (``UPDATE_GOLDEN=1 pytest tests/test_examples.py`` writes it; review the diff) and
an entry in EXPECTED saying what its run must produce.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "golden"
EXAMPLES = sorted(
    p.relative_to(REPO).as_posix()
    for p in (REPO / "examples").rglob("*.py")
    if "common" not in p.parts and p.name != "__init__.py"
)
PARAMS = "examples/common/initial_parameters.yaml"

# example -> (exit code, final parameter values that must be present, catalog files, extra env)
EXPECTED: dict[str, dict[str, Any]] = {
    "examples/01-tasks/python_tasks.py": {"steps": ["task1", "task2", "success"], "logs": ["task1.execution.log"]},
    "examples/01-tasks/scripts.py": {"steps": ["shell", "shell again", "success"], "logs": ["shell.execution.log"]},
    "examples/01-tasks/notebook.py": {"logs": ["simple_notebook_hello notebook_out.ipynb"]},
    "examples/01-tasks/stub.py": {"steps": ["first", "second", "third", "success"]},
    "examples/03-parameters/static_parameters_python.py": {
        "params": {"integer": 1, "pydantic_param": {"x": 11, "foo": "bar"}},
    },
    "examples/03-parameters/static_parameters_shell.py": {"params": {"integer": 1}},
    "examples/03-parameters/static_parameters_notebook.py": {
        "params": {"notebook_integer": 42, "notebook_list": [1, 2, 3]},
    },
    "examples/03-parameters/passing_parameters_python.py": {
        "params": {"integer": 3, "stringer": "world", "items": [4, 5], "counter": "objects/write/counter.pickle",
                   "score": 0.97, "bumped": 8},
        "logs": ["objects/write/counter.pickle"],
    },
    "examples/03-parameters/passing_parameters_shell.py": {
        "params": {"integer": 3, "stringer": "world", "items": [4, 5], "score": 0.97, "lines": "first\nsecond"},
    },
    "examples/03-parameters/passing_parameters_notebook.py": {
        "params": {"bumped": "objects/read in notebook/bumped.pickle"},
        "logs": ["objects/read in notebook/bumped.pickle", "objects/write/counter.pickle"],
    },
    "examples/03-parameters/use_secrets.py": {"env": {"MY_SECRET": "s3cr3t-value-9"}, "secret": "s3cr3t-value-9"},
    "examples/04-catalog/catalog_python.py": {"logs": ["data/data.csv", "data/notes.txt"]},
    "examples/04-catalog/catalog_no_copy.py": {"absent": ["data/data.csv"]},
    "examples/11-jobs/python_tasks.py": {"steps": ["job"]},
    "examples/11-jobs/scripts.py": {"params": {"answer": 42}},
    "examples/11-jobs/notebooks.py": {"params": {"notebook_integer": 42}},
    "examples/11-jobs/catalog.py": {"logs": ["data/data.csv", "data/notes.txt"]},
    "examples/11-jobs/passing_parameters_python.py": {
        "params": {"integer": 3, "counter": "objects/job/counter.pickle"},
    },
}


def _cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNABLE_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "runnable.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=full_env)


def test_every_example_has_expectations() -> None:
    assert sorted(EXPECTED) == EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES)
def test_golden_ir(example: str) -> None:
    result = _cli(["compile", example, "--target", "ir"], REPO)
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / example.removeprefix("examples/").removesuffix(".py") / "ir.yaml"
    if os.environ.get("UPDATE_GOLDEN") == "1" and not os.environ.get("CI"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.stdout)
    assert golden.is_file(), f"missing {golden.relative_to(REPO)}; run UPDATE_GOLDEN=1 pytest {__file__}"
    assert result.stdout == golden.read_text(), f"{example} drifted from {golden.relative_to(REPO)}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_runs_end_to_end(example: str, project: Path) -> None:
    expected = EXPECTED[example]
    result = _cli(["run", example, "-p", PARAMS, "--run-id", "example"], project, expected.get("env"))
    assert result.returncode == expected.get("exit", 0), result.stdout + result.stderr
    header = json.loads((project / ".run_log_store" / "example" / "run.json").read_text())
    assert header["status"] == "SUCCESS"
    values = {name: spec["value"] for name, spec in header["parameters"].items()}
    for name, value in expected.get("params", {}).items():
        assert values.get(name) == value, name
    steps = {json.loads(p.read_text())["internal_name"]: json.loads(p.read_text())
             for p in (project / ".run_log_store" / "example" / "steps").glob("*.json")}
    assert all(step["status"] == "SUCCESS" for step in steps.values())
    if "steps" in expected:
        assert sorted(steps) == sorted(expected["steps"])
    catalog = project / ".catalog" / "example"
    for name in expected.get("logs", []):
        assert (catalog / name).is_file(), name
    for name in expected.get("absent", []):
        assert not (catalog / name).exists(), name
    if "secret" in expected:
        secret = expected["secret"].encode()
        assert expected["secret"] not in result.stdout + result.stderr
        for path in list((project / ".catalog").rglob("*")) + list((project / ".run_log_store").rglob("*")):
            assert not path.is_file() or secret not in path.read_bytes(), path
