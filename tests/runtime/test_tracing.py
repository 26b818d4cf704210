"""OpenTelemetry: one trace per run, spans nested run > step > attempt, the context carried into tasks and
containers through TRACEPARENT; nothing imported when tracing is off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from runnable import Parallel, Pipeline, PythonTask, ShellTask
from tests.helpers import run_in_memory

trace = pytest.importorskip("opentelemetry.trace")
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # one provider per process: set once for every test here
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    os.environ.pop("TRACEPARENT", None)
    yield EXPORTER
    os.environ.pop("TRACEPARENT", None)


def noop() -> None:
    return None


def _by_name(finished: Any) -> dict[str, Any]:
    return {span.name: span for span in finished}


def _traceparent(text: str) -> tuple[str, str]:
    version, trace_id, span_id, flags = text.strip().split("-")
    return trace_id, span_id


def test_a_run_is_one_trace_of_nested_spans_and_tasks_see_their_span(project: Path, spans) -> None:
    pipeline = Pipeline(steps=[
        PythonTask(name="first", function=noop),
        Parallel(name="fan", branches={
            "a": Pipeline(steps=[ShellTask(name="show", command='echo "tp=$TRACEPARENT"')]),
            "b": Pipeline(steps=[ShellTask(name="fails", command="exit 1")]),
        }),
    ])
    run_log = run_in_memory(pipeline)
    assert run_log.status == "FAIL"
    finished = spans.get_finished_spans()
    named = _by_name(finished)
    run = next(s for s in finished if s.name.startswith("runnable pipeline"))
    assert run.parent is None and run.attributes["runnable.run_id"] == run_log.run_id
    assert {s.context.trace_id for s in finished} == {run.context.trace_id}  # one trace
    assert named["step first"].parent.span_id == run.context.span_id
    assert named["step fan"].parent.span_id == run.context.span_id
    shown = named["step fan.a.show"]
    assert shown.parent.span_id == named["step fan"].context.span_id  # branch steps under their composite
    attempt = named["attempt 1 of fan.a.show"]
    assert attempt.parent.span_id == shown.context.span_id
    assert named["step fan.b.fails"].attributes["runnable.status"] == "FAIL"
    assert named["step fan"].status.status_code.name == "ERROR" and run.status.status_code.name == "ERROR"
    # the shell task ran inside its attempt's span and saw it as TRACEPARENT
    log = (project / ".catalog" / run_log.run_id / "fan.a.show.execution.log").read_text()
    trace_id, parent = _traceparent(log.split("tp=")[1])
    assert int(trace_id, 16) == run.context.trace_id and int(parent, 16) == attempt.context.span_id
    assert "TRACEPARENT" not in os.environ  # restored after the run


def test_the_run_continues_a_trace_given_by_traceparent(project: Path, spans) -> None:
    os.environ["TRACEPARENT"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    run_in_memory(Pipeline(steps=[PythonTask(name="only", function=noop)]))
    run = next(s for s in spans.get_finished_spans() if s.name.startswith("runnable pipeline"))
    assert format(run.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert format(run.parent.span_id, "016x") == "b7ad6b7169203331"
    assert os.environ["TRACEPARENT"].startswith("00-0af7651916cd43dd8448eb211c80319c-b7ad")  # given back as it was


def test_a_local_container_run_carries_the_trace_into_its_containers(project: Path, spans, docker_image: str) -> None:
    from tests.helpers import run_in_memory as run

    pipeline = Pipeline(steps=[ShellTask(name="inside", command='echo "tp=$TRACEPARENT"')])
    run_log = run(pipeline, {"pipeline-executor": {"type": "local-container", "config": {
        "docker_image": docker_image}}, "run-log-store": {"type": "file-system"}})
    assert run_log.status == "SUCCESS"
    named = _by_name(spans.get_finished_spans())
    run_span = next(s for s in named.values() if s.name.startswith("runnable pipeline"))
    step = named["step inside"]
    assert step.parent.span_id == run_span.context.span_id
    log = (project / ".catalog" / run_log.run_id / "inside.execution.log").read_text()
    trace_id, parent = _traceparent(log.split("tp=")[1])
    # the container's task continues the run's trace under the step's span
    assert int(trace_id, 16) == run_span.context.trace_id and int(parent, 16) == step.context.span_id


def test_without_tracing_nothing_of_opentelemetry_is_imported(project: Path) -> None:
    code = ("import sys, runnable\n"
            "from runnable import Pipeline, ShellTask\n"
            "Pipeline(steps=[ShellTask(name='s', command='true')]).execute()\n"
            "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "RUNNABLE_", "TRACEPARENT"))}
    result = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
