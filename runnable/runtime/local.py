"""The local scheduler: walk a pipeline's graph (or run a job) in this process.

Steps are dispatched on their node class (``_HANDLERS``), so an IR node class
without a handler fails loudly instead of being skipped.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from runnable.ir.errors import DefinitionError, RunnableError
from runnable.ir.model import (
    ConditionalNode,
    FailNode,
    Graph,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    StubNode,
    SuccessNode,
    TaskNode,
    TaskSpec,
)
from runnable.ir.names import JOB_STEP
from runnable.runtime import composites, events, streaming
from runnable.runtime.context import RunContext
from runnable.runtime.scope import Scope
from runnable.runtime.step import record_instant, record_not_finished, record_simple_step, run_task_step
from runnable.stores.records import FAIL, SUCCESS


def run_job(ctx: RunContext) -> str:
    """Run the job's single task; the job's status is the task's."""
    task = ctx.definition.job
    assert task is not None
    if ctx.mock_job:
        record_instant(ctx, JOB_STEP, JOB_STEP, "task", SUCCESS, "mocked: not run (mock: true)", mock=True)
        return SUCCESS
    events.emit(events.STEP_STARTED, ctx.run_id, JOB_STEP, detail="task")
    status = run_one_task(ctx, TaskNode(name=JOB_STEP, task=task), JOB_STEP, task, Scope(ctx.parameters))
    events.emit(events.STEP_FINISHED, ctx.run_id, JOB_STEP, status)
    return status


def run_one_task(ctx: RunContext, node: Node, internal: str, task: TaskSpec, scope: Scope) -> str:
    """Run a task here, or hand it to the configured task runner (a container per task)."""
    sink = streaming.current()
    if sink is not None:
        return _streamed_task(ctx, node, internal, task, scope, sink)
    if ctx.task_runner is not None:
        return ctx.task_runner(ctx, node, internal, task, scope)
    return run_task_step(ctx, node.name, internal, task, scope).status


def _streamed_task(ctx: RunContext, node: Node, internal: str, task: TaskSpec, scope: Scope,
                   sink: streaming.Sink) -> str:
    """A task of a streamed run: its start and its end are events too."""
    sink.put({"type": streaming.TASK_STARTED, "step": internal, "name": node.name})
    record = None
    if ctx.task_runner is not None:  # a container: its outcome is known here, its record is in the store
        status = ctx.task_runner(ctx, node, internal, task, scope)
    else:
        record = run_task_step(ctx, node.name, internal, task, scope)
        status = record.status
    event: dict[str, Any] = {"type": streaming.TASK_COMPLETED if status == SUCCESS else streaming.TASK_ERROR,
                             "step": internal, "name": node.name, "status": status}
    attempt = record.attempts[-1] if record is not None and record.attempts else None
    if status == SUCCESS and attempt is not None:
        event["outputs"] = {name: spec["value"] for name, spec in attempt.output_parameters.items()}
    elif attempt is not None:
        event["error"] = attempt.message
    sink.put(event)
    return status


def run_pipeline(ctx: RunContext) -> str:
    graph = ctx.definition.graph
    assert graph is not None
    return GraphWalker(ctx).run(graph, "", Scope(ctx.parameters), top=True)


class TargetReached(Exception):
    """Raised when the one step a walker was asked to run has run; carries its status."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class StepNotRunError(RunnableError):
    """Replaying a run met a step that has no record yet."""


class NotOnPathError(RunnableError):
    """The step asked for is not on the path this run took (an earlier failure or choice)."""


class GraphWalker:
    """Follows ``next``/``on_failure`` from ``start_at`` until a terminal step.

    Steps already recorded in ``ctx.previous_steps`` are not run again: a success puts
    its recorded outputs back into the scope. How other steps are treated depends on
    the mode:

    - a new run or a retry (``target`` None, ``finish`` False): everything else runs;
      failed steps get new attempts;
    - one step (``target`` set, as ``runnable execute-step`` in a container does): the
      run is replayed from its records up to ``target``, which alone runs; composite
      steps are entered only towards the branch that holds it;
    - finishing (``finish`` True): the run is replayed to its end and its final step
      recorded; a step without a record did not finish (its container was killed, say)
      and counts as failed.
    """

    def __init__(self, ctx: RunContext, target: str | None = None, finish: bool = False,
                 on_target: Any = None) -> None:
        self.ctx = ctx
        self.in_worker = False
        self.target = target
        self.finish = finish
        self.on_target = on_target  # what to do at the target instead of running it
        # Replaying (one step, or finishing): a recorded failure is final, never re-run.
        self.keep_failures = target is not None or finish

    def run(self, graph: Graph, prefix: str, scope: Scope, top: bool = False) -> str:
        """Run ``graph`` with step names prefixed by ``prefix``; returns SUCCESS or FAIL.

        Only the top-level graph records its success/fail step: a branch's outcome is
        recorded on the composite step that ran it.
        """
        name = graph.start_at
        fail_target = next((n for n, node in graph.nodes.items() if isinstance(node, FailNode)), None)
        while True:
            node = graph.nodes[name]
            if node.terminal:
                if top and self.target is None:
                    record_simple_step(self.ctx, node, prefix + node.name)
                return SUCCESS if isinstance(node, SuccessNode) else FAIL
            outcome = self._visit(node, prefix + node.name, scope)
            if outcome == SUCCESS:
                assert node.next is not None
                name = node.next
            else:
                target = node.on_failure or fail_target
                if target is None:
                    return FAIL
                self.ctx.say(f"  {prefix + node.name}: failed, going to {target}")
                name = target

    def _visit(self, node: Node, internal: str, scope: Scope) -> str:
        previous = self.ctx.previous_steps.get(internal)
        if self.target is not None:
            if internal == self.target and previous is not None and previous.status == SUCCESS \
                    and self.on_target is None:
                # A step that succeeded in this run never runs again: a pod the orchestrator
                # starts again, or a workflow resubmitted with the same run id, resumes the run.
                self.ctx.say(f"  {internal}: succeeded before, skipped")
                raise TargetReached(SUCCESS)
            if internal == self.target:
                act = self.on_target or self._handler(node)
                self.target = None  # inside the target (a whole composite) everything runs
                raise TargetReached(act(node, internal, scope))
            if self.target.startswith(internal + "."):
                return composites.descend(self, node, internal, scope, self.target)
            if previous is None and isinstance(node, StubNode):
                return self._run_stub(node, internal, scope)  # nothing to run: record it in passing
            if previous is None:
                raise StepNotRunError(
                    f"Step {internal!r} has no record in run {self.ctx.run_id!r}; it must run before {self.target!r}."
                )
        if previous is not None and previous.status == SUCCESS:
            scope.update(previous.attempts[-1].output_parameters if previous.attempts else {})
            self.ctx.say(f"  {internal}: succeeded before, skipped")
            events.emit(events.STEP_SKIPPED, self.ctx.run_id, internal, SUCCESS)
            return SUCCESS
        if previous is not None and self.keep_failures:
            return FAIL
        if self.finish and not isinstance(node, StubNode):
            record_not_finished(self.ctx, node, internal)
            return FAIL
        events.emit(events.STEP_STARTED, self.ctx.run_id, internal, detail=node.type)
        status = self._handler(node)(node, internal, scope)
        events.emit(events.STEP_FINISHED, self.ctx.run_id, internal, status)
        return status

    def _handler(self, node: Node) -> Callable[[Node, str, Scope], str]:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise DefinitionError(f"Step {node.name!r}: the local executor cannot run {node.type!r} steps.")
        return partial(handler, self)

    def run_branches(self, internal: str, children: list[tuple[str, Graph, Scope]], fail_fast: bool,
                     limit: int = 0) -> list[tuple[str, str, Any]]:
        """Run branch graphs, concurrently when configured (at most ``limit`` at once when given);
        (key, status, returned) per branch."""
        from runnable.runtime.pool import run_branches

        return run_branches(self, internal, children, fail_fast, limit)

    # -- leaf steps (composites are in runnable.runtime.composites) ------------------------

    def _run_task(self, node: TaskNode, internal_name: str, scope: Scope) -> str:
        task = node.task
        if self.ctx.patches is not None:
            patched = self._patched(node, internal_name)
            if patched is None:
                return SUCCESS
            task = patched
        return run_one_task(self.ctx, node, internal_name, task, scope)

    def _patched(self, node: TaskNode, internal_name: str) -> TaskSpec | None:
        """Mocked runs: a patched task runs with its patch; any other task is recorded as mocked."""
        from runnable.runtime.mocking import apply_patch

        assert self.ctx.patches is not None
        patch = self.ctx.patches.get(node.name)
        if patch is None:
            record_instant(self.ctx, node.name, internal_name, node.type, SUCCESS, "mocked: not run", mock=True)
            return None
        return apply_patch(node.task, patch, node.name)

    def _run_stub(self, node: StubNode, internal_name: str, scope: Scope) -> str:
        return record_simple_step(self.ctx, node, internal_name).status


#: How each runnable node class is run: (walker, node, internal name, scope) -> status.
#: Terminal steps are not here: :meth:`GraphWalker.run` ends a graph at them.
_HANDLERS: dict[type[Node], Callable[[GraphWalker, Any, str, Scope], str]] = {
    TaskNode: GraphWalker._run_task,
    StubNode: GraphWalker._run_stub,
    ParallelNode: composites.run_parallel,
    MapNode: composites.run_map,
    ConditionalNode: composites.run_conditional,
    LoopNode: composites.run_loop,
}
