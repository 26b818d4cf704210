"""The local scheduler: walk a pipeline's graph (or run a job) in this process.

Node types are dispatched by method name (``_run_<type>``), so an IR node type
without a handler fails loudly instead of being skipped.
"""

from __future__ import annotations

from typing import Any

from runnable.ir.errors import DefinitionError
from runnable.ir.model import TERMINAL_TYPES, Graph, Node, TaskSpec
from runnable.runtime import composites
from runnable.runtime.context import RunContext
from runnable.runtime.scope import Scope
from runnable.runtime.step import record_simple_step, run_task_step
from runnable.stores.records import FAIL, SUCCESS, Attempt, StepLog, now

JOB_STEP = "job"


def run_job(ctx: RunContext) -> str:
    """Run the job's single task; the job's status is the task's."""
    task = ctx.definition.job
    assert task is not None
    return run_task_step(ctx, JOB_STEP, JOB_STEP, task, Scope(ctx.parameters)).status


def run_pipeline(ctx: RunContext) -> str:
    graph = ctx.definition.graph
    assert graph is not None
    return GraphWalker(ctx).run(graph, "", Scope(ctx.parameters), top=True)


class GraphWalker:
    """Follows ``next``/``on_failure`` from ``start_at`` until a terminal step."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.in_worker = False

    def run(self, graph: Graph, prefix: str, scope: Scope, top: bool = False) -> str:
        """Run ``graph`` with step names prefixed by ``prefix``; returns SUCCESS or FAIL.

        Only the top-level graph records its success/fail step: a branch's outcome is
        recorded on the composite step that ran it.
        """
        name = graph.start_at
        fail_target = next((n for n, node in graph.nodes.items() if node.type == "fail"), None)
        while True:
            node = graph.nodes[name]
            if node.type in TERMINAL_TYPES:
                if top:
                    record_simple_step(self.ctx, node.name, prefix + node.name, node.type)
                return SUCCESS if node.type == "success" else FAIL
            handler = getattr(self, f"_run_{node.type}", None)
            if handler is None:
                raise DefinitionError(f"Step {name!r}: the local executor cannot run {node.type!r} steps.")
            outcome = handler(node, prefix + node.name, scope)
            if outcome == SUCCESS:
                assert node.next is not None
                name = node.next
            else:
                target = node.on_failure or fail_target
                if target is None:
                    return FAIL
                self.ctx.say(f"  {prefix + node.name}: failed, going to {target}")
                name = target

    def run_branches(self, internal: str, children: list[tuple[str, Graph, Scope]], fail_fast: bool
                     ) -> list[tuple[str, str, Any]]:
        """Run branch graphs, concurrently when configured; (key, status, returned) per branch."""
        from runnable.runtime.pool import run_branches

        return run_branches(self, internal, children, fail_fast)

    # -- node types -----------------------------------------------------------------------

    def _run_task(self, node: Node, internal_name: str, scope: Scope) -> str:
        assert node.task is not None
        task = node.task
        if self.ctx.patches is not None:
            patched = self._patched(node, internal_name)
            if patched is None:
                return SUCCESS
            task = patched
        return run_task_step(self.ctx, node.name, internal_name, task, scope).status

    def _patched(self, node: Node, internal_name: str) -> TaskSpec | None:
        """Mocked runs: a patched task runs with its patch; any other task is recorded as mocked."""
        from runnable.runtime.mocking import apply_patch

        assert node.task is not None and self.ctx.patches is not None
        patch = self.ctx.patches.get(node.name)
        if patch is None:
            stamp = now()
            step = StepLog(name=node.name, internal_name=internal_name, type="task", status=SUCCESS, mock=True,
                           attempts=[Attempt(1, SUCCESS, stamp, stamp, "mocked: not run")])
            self.ctx.store.put_step(self.ctx.run_id, step)
            return None
        return apply_patch(node.task, patch, node.name)

    def _run_stub(self, node: Node, internal_name: str, scope: Scope) -> str:
        return record_simple_step(self.ctx, node.name, internal_name, "stub").status

    def _run_parallel(self, node: Node, internal_name: str, scope: Scope) -> str:
        return composites.run_parallel(self, node, internal_name, scope)

    def _run_map(self, node: Node, internal_name: str, scope: Scope) -> str:
        return composites.run_map(self, node, internal_name, scope)

    def _run_conditional(self, node: Node, internal_name: str, scope: Scope) -> str:
        return composites.run_conditional(self, node, internal_name, scope)

    def _run_loop(self, node: Node, internal_name: str, scope: Scope) -> str:
        return composites.run_loop(self, node, internal_name, scope)
