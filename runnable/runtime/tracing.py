"""OpenTelemetry traces of runs (the ``otel`` extra): a span per run, step and attempt.

A run is one trace wherever its steps run. The run's span continues the trace named by the
``TRACEPARENT`` variable when it is set (W3C trace context), and while a step or attempt is
open ``TRACEPARENT`` names it, so shell and notebook tasks, containers and pods started from
here continue the trace (a container's own ``execute-step`` opens its spans under it).

Tracing is on when the application has set a tracer provider of its own, or when the
standard variables ask for an exporter (``OTEL_TRACES_EXPORTER``, ``OTEL_EXPORTER_OTLP_*``);
``OTEL_SDK_DISABLED=true`` turns it off. Nothing of OpenTelemetry is imported otherwise, so
``import runnable`` and untraced runs pay nothing. Forked workers (``enable_parallel``)
record no spans of their own: the parent's step span covers each composite.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Iterator

from runnable.runtime import events

TRACEPARENT = "TRACEPARENT"
_EXPORTER_VARIABLES = ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def enabled() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if os.environ.get("OTEL_TRACES_EXPORTER", "").lower() == "none":
        return False
    if any(os.environ.get(name) for name in _EXPORTER_VARIABLES):
        return True
    if "opentelemetry.trace" not in sys.modules:  # nobody in this process uses OpenTelemetry
        return False
    from opentelemetry import trace

    return hasattr(trace.get_tracer_provider(), "add_span_processor")  # the application configured an SDK


@contextlib.contextmanager
def traced(what: str = "run") -> Iterator[None]:
    """Record the runs started inside this block as spans, when tracing is on."""
    if not enabled():
        yield
        return
    try:
        tracer, flush = _tracer()
    except ImportError:
        yield  # asked for by the environment, but the 'otel' extra is not installed
        return
    watcher = SpanWatcher(tracer, what)
    stop = events.watch(watcher)
    try:
        yield
    finally:
        stop()
        watcher.close()
        flush()


def _tracer() -> tuple[Any, Any]:
    """Our tracer, configuring an SDK provider from the OTEL_* variables when the application set none."""
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if not hasattr(provider, "add_span_processor"):  # the API's no-op proxy: nobody configured the SDK
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get(
            "OTEL_SERVICE_NAME", "runnable")}))
        provider.add_span_processor(BatchSpanProcessor(_exporter()))
        trace.set_tracer_provider(provider)
        provider = trace.get_tracer_provider()
    flush = getattr(provider, "force_flush", lambda *a, **k: True)
    return trace.get_tracer("runnable"), flush


def _exporter() -> Any:
    kind = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")[0].strip().lower()
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers and timeouts from the OTEL_EXPORTER_OTLP_* variables


class SpanWatcher:
    """Turns run events into spans, nested as the run is: run > step (> branch steps) > attempt."""

    def __init__(self, tracer: Any, what: str) -> None:
        self.tracer = tracer
        self.what = what
        self.run: Any = None
        self.steps: dict[str, Any] = {}  # open step spans by internal name
        self.attempts: dict[str, Any] = {}  # open attempt spans by step
        self.saved_parent = os.environ.get(TRACEPARENT)

    def __call__(self, event: events.Event) -> None:
        kind = event.kind
        if kind == events.RUN_STARTED:
            self.run = self._start(f"runnable {self.what} {event.detail}".rstrip(), _inherited(), {
                "runnable.run_id": event.run_id, "runnable.definition": event.detail})
        elif kind == events.STEP_STARTED:
            self.steps[event.step] = self._start(f"step {event.step}", self._parent_of(event.step), {
                "runnable.run_id": event.run_id, "runnable.step": event.step, "runnable.node_type": event.detail})
        elif kind == events.ATTEMPT_STARTED and event.step in self.steps:
            self.attempts[event.step] = self._start(f"attempt {event.attempt} of {event.step}", self.steps[event.step], {
                "runnable.run_id": event.run_id, "runnable.step": event.step, "runnable.attempt": event.attempt})
        elif kind == events.ATTEMPT_FINISHED:
            self._end(self.attempts.pop(event.step, None), event.status)
        elif kind == events.STEP_FINISHED:
            self._end(self.attempts.pop(event.step, None), event.status)
            self._end(self.steps.pop(event.step, None), event.status)
        elif kind == events.RUN_FINISHED:
            self.close(event.status)
            return
        self._propagate()

    def close(self, status: str = "") -> None:
        for span in [*self.attempts.values(), *self.steps.values()]:
            self._end(span, status or "FAIL")
        self.attempts.clear()
        self.steps.clear()
        if self.run is not None:
            self._end(self.run, status or "FAIL")
            self.run = None
        if self.saved_parent is None:
            os.environ.pop(TRACEPARENT, None)
        else:
            os.environ[TRACEPARENT] = self.saved_parent

    def _parent_of(self, step: str) -> Any:
        """The innermost open composite step holding ``step``, else the run."""
        holders = [name for name in self.steps if step.startswith(name + ".")]
        if holders:
            return self.steps[max(holders, key=len)]
        return self.run if self.run is not None else _inherited()  # a container's step: the caller's span

    def _start(self, name: str, parent: Any, attributes: dict[str, Any]) -> Any:
        from opentelemetry import trace

        context = trace.set_span_in_context(parent) if parent is not None and not isinstance(parent, dict) else (
            parent.get("context") if isinstance(parent, dict) else None)
        return self.tracer.start_span(name, context=context, attributes=attributes)

    @staticmethod
    def _end(span: Any, status: str) -> None:
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("runnable.status", status)
        if status and status != "SUCCESS":
            span.set_status(Status(StatusCode.ERROR, status))
        span.end()

    def _propagate(self) -> None:
        """TRACEPARENT names the innermost open span: what a task, container or pod started now continues."""
        from opentelemetry import trace
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        innermost = (list(self.attempts.values()) or list(self.steps.values()) or [self.run])[-1]
        if innermost is None:
            return
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier, context=trace.set_span_in_context(innermost))
        if "traceparent" in carrier:
            os.environ[TRACEPARENT] = carrier["traceparent"]


def _inherited() -> Any:
    """The trace context named by TRACEPARENT, as a parent for the run's span."""
    value = os.environ.get(TRACEPARENT)
    if not value:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return {"context": TraceContextTextMapPropagator().extract({"traceparent": value})}
