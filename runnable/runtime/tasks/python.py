"""Python tasks: call the function in this process with parameters bound by name."""

from __future__ import annotations

from typing import Any

from runnable.ir.model import TaskSpec
from runnable.runtime.capture import captured_output
from runnable.runtime.loading import resolve_callable
from runnable.runtime.parameters import bind_arguments, split_returns
from runnable.runtime.tasks import TaskEnv, environment


def run(task: TaskSpec, env: TaskEnv) -> dict[str, Any]:
    function = resolve_callable(task.command, env.where)
    kwargs, env.used = bind_arguments(function, env.parameters, env.load_object, env.where)
    with environment({**env.extra_env, **env.secrets}), captured_output(env.mask) as buffer:
        try:
            result = function(**kwargs)
        finally:
            env.output.append(buffer.getvalue())
    return split_returns(result, task.returns, env.where)
