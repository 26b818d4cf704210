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
            call.ir_file, call.chosen_run_id, load_config(call.config_file or None),
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
