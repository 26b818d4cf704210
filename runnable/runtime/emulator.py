"""The emulator: every task in a fresh process, through the entrypoint a container runs, without Docker.

The walk happens here as for the local target; each task runs as ``runnable execute-step``
(the container contract) in a new Python process that shares nothing with this one but
the working directory, the environment and the stores. A step that only works because it
ran in the walker's process (a module global set by an earlier step, an object that never
reached the catalog) fails here as it would in a container: the fast way to test
container behaviour.

Starting a Python process and importing the runtime costs more than a small step itself,
so the processes come from a fork server (``runnable.cli.forkserver``, started as a process): a process
that has imported the runtime once forks a new child for every step, which runs the same
``execute-step`` entry function with the same arguments. Each step still gets a process of
its own. ``RUNNABLE_EMULATOR_SPAWN=1`` starts a new interpreter per step instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from runnable.ir.errors import RunnableError
from runnable.ir.model import TaskSpec
from runnable.runtime.context import RunContext
from runnable.runtime.step_process import StepProcessRunner, refuse_memory_store

EXECUTOR = "emulator"
SPAWN_ENV = "RUNNABLE_EMULATOR_SPAWN"
CONFIG_ENV = "RUNNABLE_CONFIGURATION_FILE"


class EmulatorRunner(StepProcessRunner):
    """Runs one task per fresh local process and reads its result back from the run log."""

    executor = EXECUTOR
    what = "process"

    def __init__(self, executor_config: dict[str, Any], full_config: dict[str, Any]) -> None:
        super().__init__(executor_config, full_config)
        self._server: Any = None
        self._server_pid = 0

    def launch(self, ctx: RunContext, task: TaskSpec, internal: str, command: list[str]) -> int:
        ctx.say(f"  {internal}: new process")
        argv = command[len(("runnable", "execute-step")):]
        sys.stdout.flush()
        sys.stderr.flush()
        # The step reads the resolved configuration given with -c, as a container does: the
        # variable naming the original file (which would win over -c) is not passed on.
        env = {k: v for k, v in os.environ.items() if k != CONFIG_ENV}
        if os.environ.get(SPAWN_ENV) == "1":
            return subprocess.call([sys.executable, "-m", "runnable.cli", "execute-step", *argv], env=env)
        return self.server.run(argv, env, os.getcwd())

    @property
    def server(self) -> Any:
        """This process's fork server (a forked pool worker starts its own)."""
        if self._server is None or self._server_pid != os.getpid():
            self._server, self._server_pid = ForkServer(), os.getpid()
        return self._server

    def close(self) -> None:
        if self._server is not None and self._server_pid == os.getpid():
            self._server.close()
        self._server = None


def runner_for(config: Any, definition_kind: str, store: Any) -> EmulatorRunner:
    refuse_memory_store(store, EXECUTOR)
    runner = EmulatorRunner(config.executor_for(definition_kind).config, config.to_dict())
    if os.environ.get(SPAWN_ENV) != "1":
        runner.server  # noqa: B018 - it starts importing while the run is set up
    return runner


class ForkServer:
    """The client side of ``runnable.cli.forkserver``: one server process, one step at a time."""

    def __init__(self) -> None:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        self.process = subprocess.Popen([sys.executable, "-m", "runnable.cli.forkserver", str(request_r),
                                         str(reply_w)], pass_fds=(request_r, reply_w))
        os.close(request_r)
        os.close(reply_w)
        self._requests = os.fdopen(request_w, "wb")
        self._replies = os.fdopen(reply_r, "rb")

    def run(self, argv: list[str], env: dict[str, str], cwd: str) -> int:
        """Run one step in a new child of the server; its exit code."""
        import json

        data = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
        try:
            self._requests.write(len(data).to_bytes(4, "big") + data)
            self._requests.flush()
        except BrokenPipeError:
            raise RunnableError("The emulator's step server stopped; see the errors above.") from None
        reply = self._replies.read(4)
        if len(reply) < 4:
            raise RunnableError("The emulator's step server stopped; see the errors above.")
        return int.from_bytes(reply, "big", signed=True)

    def close(self) -> None:
        for stream in (self._requests, self._replies):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)  # it ends when it reads the closed request pipe
        except subprocess.TimeoutExpired:  # a step child that ignores Ctrl-C keeps it waiting
            self.process.kill()
            self.process.wait()
