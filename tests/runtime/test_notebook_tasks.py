"""Notebook tasks through nbclient: parameters in, returns out, output kept in the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runnable import NotebookJob
from tests.helpers import run_in_memory


def _notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    cells = []
    if parameters is not None:
        cells.append({"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": parameters,
                      "outputs": [], "execution_count": None})
    for source in sources:
        cells.append({"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None})
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index}"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_parameters_in_returns_out_and_output_in_catalog(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_PRM_x", "20")
    source = _notebook(project / "nb.ipynb", "print('x is', x)\ny = x + 1\nz = {'k': [x]}", parameters="x = 0")
    run_log = run_in_memory(NotebookJob(notebook="nb.ipynb", returns=["y", "z"]))
    assert run_log.status == "SUCCESS", run_log.steps["job"].message
    assert run_log.parameter_values() == {"x": 20, "y": 21, "z": {"k": [20]}}
    out = project / ".catalog" / run_log.run_id / "nb_job_out.ipynb"
    executed = json.loads(out.read_text())
    assert "injected-parameters" in executed["cells"][1]["metadata"]["tags"]
    assert len(executed["cells"]) == 3  # the hand-over cell is not kept
    assert not list(project.glob("*_out.ipynb")), "nothing is written beside the source notebook"
    assert source.read_text() == _notebook(project / "again.ipynb", "print('x is', x)\ny = x + 1\nz = {'k': [x]}",
                                           parameters="x = 0").read_text()


def test_a_failing_cell_fails_the_step(project: Path) -> None:
    _notebook(project / "bad.ipynb", "raise RuntimeError('boom in notebook')")
    run_log = run_in_memory(NotebookJob(notebook="bad.ipynb"))
    assert run_log.status == "FAIL"
    assert "boom in notebook" in run_log.steps["job"].message
    assert (project / ".catalog" / run_log.run_id / "bad_job_out.ipynb").is_file()


def test_an_undefined_return_is_reported(project: Path) -> None:
    _notebook(project / "quiet.ipynb", "a = 1")
    run_log = run_in_memory(NotebookJob(notebook="quiet.ipynb", returns=["b"]))
    assert run_log.status == "FAIL"
    assert "did not define return 'b'" in run_log.steps["job"].message
