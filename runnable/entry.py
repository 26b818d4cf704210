"""The ``runnable`` console script: a fast path for ``execute-step``, the full CLI otherwise.

``execute-step`` runs once per container, so its start-up cost is paid per step; it is
parsed here without importing click (about a third of a container step's own time).
"""

from __future__ import annotations

import sys
from typing import Callable

_FLAGS = {"--start", "--finish", "--decide", "--exit-zero", "--all", "--one-attempt"}
_OPTIONS = {"--run-id", "--default-run-id", "--step", "-c", "--config", "-p", "--parameters", "--tag", "--log-level",
            "--decision-dir"}


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "execute-step" and not {"-h", "--help"} & set(argv):
        sys.exit(execute_step(argv[1:]))
    from runnable.cli import main as full_cli

    if argv and argv[0] == "compile":
        sys.exit(_compile(full_cli))
    full_cli()


def _compile(full_cli: Callable[[], None]) -> int:
    """``compile`` builds and dumps many small objects and then exits.

    The cyclic collector finds nothing to free in that time, and freeing a 5,000-step
    manifest object by object at exit costs more than writing it: both are skipped.
    """
    import gc
    import os

    gc.disable()
    try:
        full_cli()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    sys.stdout.flush()
    sys.stderr.flush()
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr, flush=True)
        code = 0 if code is None else 1
    os._exit(code)


def execute_step(argv: list[str]) -> int:
    import json

    from runnable.config import load_config
    from runnable.ir.errors import RunnableError
    from runnable.launch import execute_step as run_one
    from runnable.launch import pick_run_id, write_decision
    from runnable.runtime.local import NotOnPathError

    try:
        ir_file, flags, options = _parse(argv)
        code, payload = run_one(
            ir_file, pick_run_id(options.get("--run-id", ""), options.get("--default-run-id", "")), load_config(options.get("-c") or options.get("--config") or None),
            step=options.get("--step", ""), start="--start" in flags, finish="--finish" in flags,
            decide="--decide" in flags, run_all="--all" in flags, single_attempt="--one-attempt" in flags,
            parameters_file=options.get("-p") or options.get("--parameters") or "",
            tag=options.get("--tag", ""), log_level=options.get("--log-level", "WARNING"),
        )
    except NotOnPathError as exc:
        print(f"runnable: {exc}", file=sys.stderr)
        return 0
    except RunnableError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"Error: {exc.strerror or exc} ({exc.filename}).", file=sys.stderr)
        return 2
    if "--decide" in flags:
        if options.get("--decision-dir"):
            write_decision(payload, options["--decision-dir"])
        print(json.dumps(payload, sort_keys=True))
    return 0 if "--exit-zero" in flags else code


def _parse(argv: list[str]) -> tuple[str, set[str], dict[str, str]]:
    from runnable.ir.errors import RunnableError

    positional: list[str] = []
    flags: set[str] = set()
    options: dict[str, str] = {}
    items = iter(argv)
    for item in items:
        name, eq, value = item.partition("=")
        if name in _OPTIONS:
            if not eq:
                value = next(items, None)  # type: ignore[assignment]
                if value is None:
                    raise RunnableError(f"execute-step: {name} needs a value.")
            options[name] = value
        elif item in _FLAGS:
            flags.add(item)
        elif item.startswith("-"):
            raise RunnableError(f"execute-step: unknown option {item!r}; see 'runnable execute-step --help'.")
        else:
            positional.append(item)
    if len(positional) != 1:
        raise RunnableError("execute-step takes exactly one IR file.")
    return positional[0], flags, options
