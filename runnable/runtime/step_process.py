"""Running one task in a process of its own: what the container and emulator runners share.

The walk stays in this process. Each task becomes ``runnable execute-step IR --run-id ID
--step NAME -c CONFIG`` (the container contract, ``runnable.compiler.container``) in a new
process, which replays the run from the shared records, runs that one step and records it.
This process then reads the step's record back: its status, and on success its outputs
into the scope. A subclass says only how the process is started (:meth:`launch`).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from runnable.compiler import container as contract
from runnable.ir.errors import ConfigError
from runnable.ir.model import Node, TaskSpec
from runnable.runtime.context import RunContext
from runnable.runtime.scope import Scope
from runnable.runtime.step import record_not_finished
from runnable.stores.records import FAIL, SUCCESS


class StepProcessRunner:
    """A task runner (``RunContext.task_runner``) that runs every task through ``execute-step``."""

    #: the executor type, and what runs one step, for messages
    executor = ""
    what = "process"

    def __init__(self, executor_config: dict[str, Any], full_config: dict[str, Any]) -> None:
        self.config = executor_config
        self.full_config = full_config

    def __call__(self, ctx: RunContext, node: Node, internal: str, task: TaskSpec, scope: Scope) -> str:
        run_folder = self.run_folder(ctx)
        command = contract.command(os.path.join(run_folder, "ir.json"), "--run-id", ctx.run_id, "--step", internal,
                                   config_file=self.step_config(run_folder))
        code = self.launch(ctx, task, internal, command)
        recorded = ctx.store.get_run(ctx.run_id).steps.get(internal)
        if recorded is None:
            record_not_finished(ctx, node, internal)
            sys.stderr.write(f"{internal}: the {self.what} exited with code {code} without recording a result.\n")
            return FAIL
        if recorded.status == SUCCESS and recorded.attempts:
            scope.update(recorded.attempts[-1].output_parameters)
        return recorded.status

    def launch(self, ctx: RunContext, task: TaskSpec, internal: str, command: list[str]) -> int:
        """Run ``command`` (``runnable execute-step ...``) for one task and return its exit code."""
        raise NotImplementedError

    @staticmethod
    def run_folder(ctx: RunContext) -> str:
        return os.path.join(ctx.store.root, ctx.run_id)  # type: ignore[attr-defined]

    def step_config(self, run_folder: str) -> str:
        """The resolved config as JSON in the run's folder: steps read it without a YAML parser."""
        path = os.path.join(run_folder, "config.json")
        if not os.path.exists(path):
            import json

            from runnable.stores.atomic import write_atomic

            write_atomic(path, json.dumps(self.full_config, sort_keys=True).encode(), durable=False)
        return path


def refuse_memory_store(store: Any, executor: str) -> None:
    """Steps in other processes read and write the run through the stores: an in-memory one cannot be shared."""
    if not hasattr(store, "root"):
        raise ConfigError(
            f"The {executor} executor runs every step in its own process, which cannot see the in-memory "
            "('buffered') run-log store; use run-log-store type 'file-system' (or 'chunked-fs')."
        )
