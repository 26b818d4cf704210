"""What runnable's users import and write works unchanged: runnable.sdk, runnable.returns, the async classes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from runnable.ir.errors import DefinitionError
from runnable.ir.model import Definition


def test_runnable_sdk_re_exports_the_public_api() -> None:
    import runnable
    from runnable.sdk import (  # noqa: F401  - the import is the test
        AsyncPipeline, AsyncPythonTask, BaseJob, BaseTask, BaseTraversal, Catalog, Conditional, Fail, Loop, Map,
        NotebookJob, NotebookTask, Parallel, Pipeline, PythonJob, PythonTask, ShellJob, ShellTask, Stub, Success,
        TaskReturns, json, metric, pickled,
    )

    assert Pipeline is runnable.Pipeline and AsyncPythonTask is runnable.AsyncPythonTask
    with pytest.raises(ImportError, match="NoSuchThing"):
        from runnable.sdk import NoSuchThing  # noqa: F401


def test_runnable_returns_holds_the_return_kinds() -> None:
    from runnable.returns import TaskReturns, json, metric, pickled

    assert [json("a").kind, pickled("b").kind, metric("c").kind] == ["json", "object", "metric"]
    assert isinstance(json("a"), TaskReturns)


def test_runnable_sdk_stays_lazy() -> None:
    code = "import sys, runnable.sdk; print(sorted(m for m in sys.modules if m.startswith('runnable.dsl.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['runnable.dsl.launcher']"


async def _fetch(x: int) -> int:
    return x


async def _stream():
    yield {"type": "end", "value": 1}


def _plain() -> int:
    return 1


def test_async_python_task_compiles_to_its_own_kind_and_keeps_old_ir_bytes() -> None:
    from runnable import AsyncPipeline, AsyncPythonTask, Pipeline, PythonTask

    definition = AsyncPipeline(steps=[
        AsyncPythonTask(name="fetch", function=_fetch, returns=["x"]),
        AsyncPythonTask(name="stream", function=_stream, returns=["value"], stream_end_type="end"),
    ]).to_ir()
    tasks = {name: node.to_dict()["task"] for name, node in definition.graph.nodes.items() if node.type == "task"}
    assert tasks["fetch"]["kind"] == "async-python" and "stream_end_type" not in tasks["fetch"]
    assert tasks["stream"]["stream_end_type"] == "end"
    assert Definition.from_dict(definition.to_dict()).to_dict() == definition.to_dict()
    plain = Pipeline(steps=[PythonTask(name="p", function=_plain)]).to_ir().to_dict()["graph"]["nodes"]["p"]["task"]
    assert plain == {"kind": "python", "command": f"{__name__}:_plain"}  # nothing new in existing IR


def test_async_python_task_refuses_a_plain_function() -> None:
    from runnable import AsyncPythonTask

    with pytest.raises(DefinitionError, match="needs an 'async def' function or async generator"):
        AsyncPythonTask(name="sync", function=_plain)


def test_yaml_pipelines_take_async_python_commands() -> None:
    from runnable.dsl.yaml_pipeline import definition_from_yaml

    definition = definition_from_yaml(
        "dag:\n  start_at: a\n  steps:\n    a: {type: task, command_type: async-python, "
        f"command: {__name__}._stream, returns: [value], stream_end_type: end, next: success}}\n"
        "    success: {type: success}\n    fail: {type: fail}\n", "p.yaml")
    task = definition.graph.nodes["a"].task
    assert (task.kind, task.command, task.stream_end_type) == ("async-python", f"{__name__}:_stream", "end")
