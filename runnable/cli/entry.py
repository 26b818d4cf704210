"""The ``runnable`` console script: a fast path for ``execute-step``, the full CLI otherwise.

``execute-step`` runs once per container, so its start-up cost is paid per step; it is
parsed here without importing click (about a third of a container step's own time).
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "execute-step" and not {"-h", "--help"} & set(argv):
        sys.exit(execute_step(argv[1:]))
    if argv and argv[0] == "compile":
        _compile(argv[1:])
    from runnable.cli.commands import main as full_cli

    full_cli()


_COMPILE_OPTIONS = {"--target": "target_name", "-o": "output", "--output": "output", "--format": "fmt",
                    "-c": "config_file", "--config": "config_file", "--image": "image", "--kind": "kind"}


def _compile(argv: list[str]) -> None:
    """``compile`` without click (a third of a large compile's time), when its arguments are plain.

    It builds and dumps many small objects and then exits: the cyclic collector finds
    nothing to free in that time, and freeing a 5,000-step manifest object by object at
    exit costs more than writing it, so both are skipped. Anything unusual (--help, an
    unknown option) goes to the full command line instead.
    """
    import gc
    import os

    from runnable.compiler.container import exit_code, split_arguments

    try:
        positional, flags, given = split_arguments(argv, set(_COMPILE_OPTIONS), {"--check", "--force"})
    except ValueError:
        return
    if len(positional) != 1:
        return
    options: dict[str, object] = {_COMPILE_OPTIONS[name]: value for name, value in given.items()}
    options["check"] = "--check" in flags
    options["force"] = "--force" in flags
    gc.disable()
    try:
        from runnable.cli.compiling import compile_target

        code = compile_target(positional[0], **options)  # type: ignore[arg-type]
    except (Exception, KeyboardInterrupt) as exc:  # the same one-line errors as the full command line
        failed = exit_code(exc)
        if failed is None:
            raise
        code = failed
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        from runnable.compiler.container import quiet_broken_pipe

        code = quiet_broken_pipe()
    sys.stderr.flush()
    os._exit(code)


def execute_step(argv: list[str]) -> int:
    """``runnable execute-step ...``: the one command every container runs (see compiler/container.py)."""
    import json

    from runnable.compiler.container import SUCCEEDED, exit_code, parse
    from runnable.config import load_config
    from runnable.runtime.lifecycle import execute_step as run_one
    from runnable.runtime.lifecycle import write_decision
    from runnable.runtime.local import NotOnPathError

    try:
        call = parse(argv)
        code, payload = run_one(
            call.ir_file, _run_id(call), load_config(call.config_file or None),
            step=call.step, start=call.start, finish=call.finish, decide=call.decide, run_all=call.run_all,
            single_attempt=call.one_attempt, parameters_file=call.parameters_file, tag=call.tag,
            log_level=call.log_level,
        )
    except NotOnPathError as exc:
        print(f"runnable: {exc}", file=sys.stderr)
        return SUCCEEDED
    except Exception as exc:
        failed = exit_code(exc)
        if failed is None:
            raise
        return failed
    if call.decide:
        if call.decision_dir:
            write_decision(payload, call.decision_dir)
        print(json.dumps(payload, sort_keys=True))
    return SUCCEEDED if call.exit_zero else code


def _run_id(call: "object") -> str:
    """The run id given; else, with --run-id-file, the one --start chose and left in that file.

    Plain ``docker compose up`` has no way to give every service one new value, so the start
    service chooses the run id and writes it to a volume all services mount; each later service
    starts after it (``service_completed_successfully``) and reads it there.
    """
    given = call.run_id or call.default_run_id  # type: ignore[attr-defined]
    path = call.run_id_file  # type: ignore[attr-defined]
    if given or not path:
        return call.chosen_run_id  # type: ignore[attr-defined]
    from runnable.ir.errors import RunnableError

    if call.start:  # type: ignore[attr-defined]
        from runnable.runtime.run_ids import new_run_id
        from runnable.stores.atomic import write_atomic

        run_id = new_run_id()
        try:
            write_atomic(path, run_id.encode())
        except OSError as exc:
            raise RunnableError(f"Cannot record the chosen run id in {path!r} ({exc.strerror}); set "
                                "RUNNABLE_RUN_ID instead.") from None
        print(f"runnable: run {run_id} (chosen here: RUNNABLE_RUN_ID was not set)", file=sys.stderr, flush=True)
        return run_id
    try:
        with open(path, encoding="utf-8") as handle:
            run_id = handle.read().strip()
    except OSError:
        run_id = ""
    if not run_id:
        raise RunnableError(f"No run id: --run-id is empty and the start step left none in {path!r}; "
                            "set RUNNABLE_RUN_ID or start the run first.")
    return run_id
