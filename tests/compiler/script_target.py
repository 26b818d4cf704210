"""A small target registered from the tests: a POSIX shell script that runs a definition step by step.

It proves that a new target is one module and one registry line: it declares its executor's
configuration, renders from the plan with the container contract's command line, expands no
composite (each runs whole in one ``execute-step``), and honours no override (so it refuses them).
"""

from __future__ import annotations

import shlex

from runnable.compiler.base import Rendered, RenderRequest, Target
from runnable.compiler.container import command
from runnable.compiler.plan import RUN, lower
from runnable.ir.checkers import STR, TypeSpec
from runnable.ir.model import Definition
from runnable.ir.serialize import to_json

SCRIPT, IR = "run.sh", "ir.json"


class ScriptTarget(Target):
    name = "script"
    executors = {"pipeline-executor": {"script": TypeSpec({"shell": STR})}}
    output = "folder"

    def render(self, definition: Definition, request: RenderRequest) -> Rendered:
        plan = lower(definition, TARGET)
        steps = [plan.job] if plan.job is not None else [s for s in plan.graph.steps if s.mode == RUN]
        lines = ["#!/bin/sh", "# Rendered by runnable; run: sh run.sh RUN_ID", "set -e", 'cd "$(dirname "$0")/.."',
                 'RUN_ID="${1:?give a run id}"', _line(IR, "--start")]
        lines += [_line(IR, "--step", step.name, "--exit-zero") for step in steps]
        lines.append(_line(IR, "--finish"))
        return Rendered(files={SCRIPT: "\n".join(lines) + "\n", IR: to_json(definition)})


def _line(ir: str, *args: str) -> str:
    folder = '"$(dirname "$0")"'
    parts = command(f"{{folder}}/{ir}", "--run-id", "{run_id}", *args)
    return " ".join(shlex.quote(p) for p in parts).replace("'{folder}/", folder + "/'").replace(
        "'{run_id}'", '"$RUN_ID"')


TARGET = ScriptTarget()
