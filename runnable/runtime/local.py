"""The local scheduler: walk a pipeline's graph (or run a job) in this process.

Node types are dispatched by method name (``_run_<type>``), so an IR node type
without a handler fails loudly instead of being skipped.
"""

from __future__ import annotations

from runnable.ir.errors import DefinitionError
from runnable.ir.model import Graph, Node
from runnable.runtime.context import RunContext
from runnable.runtime.step import record_simple_step, run_task_step
from runnable.stores.records import FAIL, SUCCESS

JOB_STEP = "job"


def run_job(ctx: RunContext) -> str:
    """Run the job's single task; the job's status is the task's."""
    task = ctx.definition.job
    assert task is not None
    step = run_task_step(ctx, JOB_STEP, JOB_STEP, task)
    return step.status


class GraphWalker:
    """Follows ``next``/``on_failure`` from ``start_at`` until a terminal step."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def run(self, graph: Graph, prefix: str = "") -> str:
        name: str | None = graph.start_at
        fail_target = next((n for n, node in graph.nodes.items() if node.type == "fail"), None)
        while name is not None:
            node = graph.nodes[name]
            handler = getattr(self, f"_run_{node.type}", None)
            if handler is None:
                raise DefinitionError(f"Step {name!r}: the local executor cannot run {node.type!r} steps.")
            outcome = handler(node, prefix + node.name)
            if node.type in ("success", "fail"):
                return outcome
            if outcome == SUCCESS:
                name = node.next
            else:
                name = node.on_failure or fail_target
                self.ctx.say(f"  {prefix + node.name}: failed, going to {name}")
        return FAIL

    def _run_task(self, node: Node, internal_name: str) -> str:
        assert node.task is not None
        self.ctx.say(f"  {internal_name}: running")
        step = run_task_step(self.ctx, node.name, internal_name, node.task)
        self.ctx.say(f"  {internal_name}: {step.status}")
        return step.status

    def _run_stub(self, node: Node, internal_name: str) -> str:
        return record_simple_step(self.ctx, node.name, internal_name, "stub").status

    def _run_success(self, node: Node, internal_name: str) -> str:
        record_simple_step(self.ctx, node.name, internal_name, "success")
        return SUCCESS

    def _run_fail(self, node: Node, internal_name: str) -> str:
        record_simple_step(self.ctx, node.name, internal_name, "fail")
        return FAIL


def run_pipeline(ctx: RunContext) -> str:
    graph = ctx.definition.graph
    assert graph is not None
    return GraphWalker(ctx).run(graph)
