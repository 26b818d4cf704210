from __future__ import annotations

from pathlib import Path

import pytest

from runnable import (
    Catalog,
    Fail,
    Pipeline,
    PythonJob,
    PythonTask,
    ShellTask,
    Stub,
    Success,
    metric,
    pickled,
)
from runnable.ir.errors import DefinitionError
from tests.helpers import write_module


def noop() -> None:
    return None


def _nodes(pipeline: Pipeline) -> dict:
    return pipeline.to_ir().to_dict()["graph"]["nodes"]


def test_steps_link_in_list_order_and_end_in_success() -> None:
    pipeline = Pipeline(steps=[PythonTask(function=noop, name="a"), Stub(name="b"), ShellTask(command="true", name="c")])
    nodes = _nodes(pipeline)
    assert list(nodes) == ["a", "b", "c", "success", "fail"]
    assert [nodes[n].get("next") for n in ("a", "b", "c")] == ["b", "c", "success"]
    assert nodes["a"]["task"]["command"] == "tests.dsl.test_pipeline:noop"


def test_returns_kinds_are_kept() -> None:
    task = PythonTask(function=noop, name="a", returns=["x", pickled("m"), metric("acc")])
    returns = Pipeline(steps=[task]).to_ir().to_dict()["graph"]["nodes"]["a"]["task"]["returns"]
    assert returns == [{"name": "x", "kind": "json"}, {"name": "m", "kind": "object"}, {"name": "acc", "kind": "metric"}]


def test_duplicate_step_names_are_refused() -> None:
    with pytest.raises(DefinitionError, match="'a' is used twice"):
        Pipeline(steps=[Stub(name="a"), Stub(name="a")])


@pytest.mark.parametrize("name", ["has.dot", "50%", "new\nline"])
def test_reserved_characters_in_names(name: str) -> None:
    with pytest.raises(DefinitionError, match="Step name"):
        Stub(name=name)


def test_two_terminating_steps_are_refused() -> None:
    with pytest.raises(DefinitionError, match="only one step may set terminate"):
        Pipeline(steps=[Stub(name="a", terminate_with_success=True), Stub(name="b", terminate_with_failure=True)])


def test_terminate_with_failure_leads_to_fail() -> None:
    nodes = _nodes(Pipeline(steps=[Stub(name="a", terminate_with_failure=True)]))
    assert nodes["a"]["next"] == "fail"


def test_on_failure_pipeline_is_embedded() -> None:
    handler = Pipeline(steps=[Stub(name="cleanup")])
    nodes = _nodes(Pipeline(steps=[ShellTask(command="false", name="risky", on_failure=handler), Stub(name="after")]))
    assert nodes["risky"]["on_failure"] == "cleanup"
    assert nodes["cleanup"]["next"] == "success"


def test_rshift_links_and_cycles_are_caught() -> None:
    a, b = Stub(name="a"), Stub(name="b")
    a >> b >> a
    with pytest.raises(DefinitionError, match="cycle"):
        Pipeline(steps=[a, b]).to_ir()


def test_explicit_terminals_are_accepted() -> None:
    a = Stub(name="a")
    a >> Success()
    nodes = _nodes(Pipeline(steps=[a, Success(), Fail()]))
    assert nodes["a"]["next"] == "success"


def test_lambdas_and_closures_are_refused_at_compile_time() -> None:
    with pytest.raises(DefinitionError, match="lambda"):
        PythonTask(function=lambda: None, name="a")

    def inner() -> None:
        return None

    with pytest.raises(DefinitionError, match="inside another function"):
        PythonJob(function=inner)


def test_functions_in_scripts_are_referenced_by_path(project: Path) -> None:
    from runnable.runtime.loading import load_script

    write_module(project, "my_script", "def work():\n    return 1\n")
    module = load_script(project / "my_script.py")
    assert PythonTask(function=module.work, name="a").command() == "my_script.py:work"


def test_missing_notebook_is_a_compile_time_error(project: Path) -> None:
    from runnable import NotebookTask

    with pytest.raises(DefinitionError, match="does not exist"):
        NotebookTask(notebook="nope.ipynb", name="nb")
    with pytest.raises(DefinitionError, match="ending in .ipynb"):
        NotebookTask(notebook="notebook.py", name="nb")


def test_catalog_get_is_refused_for_jobs() -> None:
    with pytest.raises(DefinitionError, match="not supported for jobs"):
        PythonJob(function=noop, catalog=Catalog(get=["x"]))


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        PythonTask(function=noop, name="a", retrns=["x"])  # type: ignore[call-arg]
