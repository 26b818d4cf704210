"""``Pipeline``: links steps into a graph and compiles it to IR."""

from __future__ import annotations

from typing import Any

from runnable.dsl.steps import Fail, Step, Success
from runnable.ir.errors import DefinitionError
from runnable.ir.model import Definition, FailNode, Graph, Node, SuccessNode, make_node
from runnable.ir.validate import validate_definition

SUCCESS = "success"
FAIL = "fail"


class Pipeline:
    """Steps run in list order (or as linked with ``>>``), ending in success or fail."""

    def __init__(self, *, steps: list[Step], name: str = "", description: str = "") -> None:
        if not isinstance(steps, (list, tuple)) or not steps:
            raise DefinitionError("Pipeline(steps=...) needs a non-empty list of steps.")
        for step in steps:
            if not isinstance(step, Step):
                raise DefinitionError(f"Pipeline steps must be tasks or Stub/Success/Fail, got {step!r}.")
        self.steps = list(steps)
        self.name = name
        self.description = description
        self._graph = self._build_graph()

    # -- graph construction -------------------------------------------------------------

    def _build_graph(self) -> Graph:
        nodes: dict[str, Node] = {}
        for node in self._link(SUCCESS, FAIL):
            if node.name in nodes:
                raise DefinitionError(f"Step name {node.name!r} is used twice; step names must be unique.")
            nodes[node.name] = node
        for terminal, node_class in ((SUCCESS, SuccessNode), (FAIL, FailNode)):
            if terminal not in nodes:
                nodes[terminal] = node_class(name=terminal)
            elif not isinstance(nodes[terminal], node_class):
                raise DefinitionError(
                    f"Step name {terminal!r} is reserved for the pipeline's {node_class.type} step; rename that step."
                )
        return Graph(start_at=self.steps[0].name, nodes=nodes)

    def _link(self, success: str, fail: str) -> list[Node]:
        """IR nodes of this pipeline (and its on_failure pipelines) with terminals mapped.

        An embedded on_failure pipeline calls this with the parent's terminal names, so
        its own success/fail lead to the parent's.
        """
        terminating = [s.name for s in self.steps if s.terminate_with_success or s.terminate_with_failure]
        if len(terminating) > 1:
            raise DefinitionError(
                f"Steps {', '.join(repr(n) for n in terminating)} all terminate the pipeline; "
                "only one step may set terminate_with_success or terminate_with_failure."
            )
        nodes: list[Node] = []
        extra: list[Node] = []
        for index, step in enumerate(self.steps):
            if isinstance(step, (Success, Fail)):
                nodes.append(make_node(step.node_type, step.name))
                continue
            node = make_node(step.node_type, step.name, **step.node_fields())
            node.next = self._next_of(step, index, success, fail)
            if step.on_failure is not None:
                handler = step.on_failure._link(success, fail)
                node.on_failure = step.on_failure.steps[0].name
                extra.extend(handler)
            nodes.append(node)
        return nodes + extra

    def _next_of(self, step: Step, index: int, success: str, fail: str) -> str:
        if step.terminate_with_success:
            return success
        if step.terminate_with_failure:
            return fail
        if step.next_step is not None:
            target = step.next_step
            if isinstance(target, Success):
                return success if target.name == SUCCESS else target.name
            if isinstance(target, Fail):
                return fail if target.name == FAIL else target.name
            return target.name
        if index + 1 < len(self.steps):
            return self.steps[index + 1].name
        return success

    # -- public API ---------------------------------------------------------------------

    def to_ir(self) -> Definition:
        """The validated IR of this pipeline."""
        definition = Definition(
            kind="pipeline", name=self.name, description=self.description, graph=self._graph
        )
        return validate_definition(definition)

    def execute(
        self,
        configuration_file: str = "",
        run_id: str = "",
        tag: str = "",
        parameters_file: str = "",
        log_level: str = "WARNING",
    ) -> Any:
        """Run the pipeline with the configured executor and return its run log."""
        from runnable.dsl.launcher import launch

        return launch(
            self,
            configuration_file=configuration_file,
            run_id=run_id,
            tag=tag,
            parameters_file=parameters_file,
            log_level=log_level,
        )

    def graph(self) -> Graph:
        """This pipeline as an IR graph (a branch of a composite step uses it as is)."""
        return self._graph

    def __repr__(self) -> str:
        return f"Pipeline(steps={[s.name for s in self.steps]!r})"
