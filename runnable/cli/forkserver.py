"""``python -m runnable.cli.forkserver REQUEST_FD REPLY_FD``: fresh step processes without the start-up cost.

The emulator's steps each run in a new process through ``execute-step``. Most of a new
interpreter's time goes into importing the runtime, so this server imports it once and
then, for every request, forks a child that runs :func:`runnable.cli.entry.execute_step`
with the step's arguments, working directory and environment, exactly as
``runnable execute-step ARGS...`` would, and reports the child's exit code. Nothing of the
user's is imported here: each child imports the step's own modules itself, as a
container does. Steps run one at a time; the server ends when its request pipe closes.

Requests are a 4-byte length and a JSON object ``{argv, env, cwd}``; replies a signed
4-byte exit code (negative: killed by that signal).
"""

from __future__ import annotations

import os
import sys

#: What a step process always needs; the task kinds' own modules are added when they are cheap.
WARM_MODULES = (
    "runnable.cli.entry",
    "runnable.compiler.container",
    "runnable.config",
    "runnable.compiler.base",
    "runnable.compiler.local",
    "runnable.compiler.local_container",
    "runnable.compiler.emulator",
    "runnable.ir.serialize",
    "runnable.runtime.lifecycle",
    "runnable.runtime.local",
    "runnable.runtime.composites",
    "runnable.runtime.step",
    "runnable.runtime.parameters",
    "runnable.runtime.identity",
    "runnable.runtime.tasks.python",
    "runnable.runtime.tasks.shell",
    "runnable.stores.build",
    "runnable.stores.catalog",
    "runnable.stores.run_log",
    "runnable.stores.secrets",
    "json",
    "pickle",
)


def serve(request_fd: int, reply_fd: int) -> None:
    import gc
    import importlib
    import signal

    interrupt = signal.getsignal(signal.SIGINT)  # what a step process started by the walker would have
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the step child and the walker, not the server
    for name in WARM_MODULES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()  # children do not touch (and so copy) the server's objects when they collect
    requests = os.fdopen(request_fd, "rb")
    replies = os.fdopen(reply_fd, "wb")
    while True:
        header = requests.read(4)
        if len(header) < 4:
            return
        body = requests.read(int.from_bytes(header, "big"))
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            requests.close()
            replies.close()
            signal.signal(signal.SIGINT, interrupt)
            os._exit(_child(body))
        _, status = os.waitpid(pid, 0)
        try:
            replies.write(os.waitstatus_to_exitcode(status).to_bytes(4, "big", signed=True))
            replies.flush()
        except BrokenPipeError:  # the walker stopped (Ctrl-C): nothing is waiting for the answer
            return


def _child(body: bytes) -> int:
    """One step, as ``runnable execute-step ARGS`` runs it, in the caller's directory and environment."""
    import atexit
    import json

    code = 1
    try:
        request = json.loads(body)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["runnable", "execute-step", *request["argv"]]
        from runnable.cli.entry import execute_step

        code = execute_step(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        code = 130
    except BaseException:
        import traceback

        traceback.print_exc()
    try:
        atexit._run_exitfuncs()  # what interpreter shutdown would run (the user's handlers too)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
