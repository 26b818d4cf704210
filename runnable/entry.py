"""The ``runnable`` console script: a fast path for ``execute-step``, the full CLI otherwise.

``execute-step`` runs once per container, so its start-up cost is paid per step; it is
parsed here without importing click (about a third of a container step's own time).
"""

from __future__ import annotations

import sys

_FLAGS = {"--start", "--finish", "--decide", "--exit-zero", "--all", "--one-attempt"}
_OPTIONS = {"--run-id", "--default-run-id", "--step", "-c", "--config", "-p", "--parameters", "--tag", "--log-level",
            "--decision-dir"}


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "execute-step" and not {"-h", "--help"} & set(argv):
        sys.exit(execute_step(argv[1:]))
    if argv and argv[0] == "compile":
        _compile(argv[1:])
    from runnable.cli import main as full_cli

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

    try:
        positional, flags, given = _split(argv, set(_COMPILE_OPTIONS), {"--check"})
    except ValueError:
        return
    if len(positional) != 1:
        return
    options: dict[str, object] = {_COMPILE_OPTIONS[name]: value for name, value in given.items()}
    options["check"] = "--check" in flags
    gc.disable()
    try:
        from runnable.compiling import compile_target

        code = compile_target(positional[0], **options)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        code = 130
    except Exception as exc:  # the same one-line errors as the full command line
        failed = _error_code(exc)
        if failed is None:
            raise
        code = failed
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def execute_step(argv: list[str]) -> int:
    import json

    from runnable.config import load_config
    from runnable.launch import execute_step as run_one
    from runnable.launch import pick_run_id, write_decision
    from runnable.runtime.local import NotOnPathError

    try:
        ir_file, flags, options = _parse(argv)
        code, payload = run_one(
            ir_file, pick_run_id(options.get("--run-id", ""), options.get("--default-run-id", "")),
            load_config(options.get("-c") or options.get("--config") or None),
            step=options.get("--step", ""), start="--start" in flags, finish="--finish" in flags,
            decide="--decide" in flags, run_all="--all" in flags, single_attempt="--one-attempt" in flags,
            parameters_file=options.get("-p") or options.get("--parameters") or "",
            tag=options.get("--tag", ""), log_level=options.get("--log-level", "WARNING"),
        )
    except NotOnPathError as exc:
        print(f"runnable: {exc}", file=sys.stderr)
        return 0
    except Exception as exc:
        code = _error_code(exc)
        if code is None:
            raise
        return code
    if "--decide" in flags:
        if options.get("--decision-dir"):
            write_decision(payload, options["--decision-dir"])
        print(json.dumps(payload, sort_keys=True))
    return 0 if "--exit-zero" in flags else code


def _error_code(exc: BaseException) -> int | None:
    """Print a user's mistake as one line and give its exit code; None for a real bug."""
    from runnable.ir.errors import RunnableError

    if isinstance(exc, RunnableError):
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"Error: {exc.strerror or exc}{where}.", file=sys.stderr)
        return 2
    return None


def _split(argv: list[str], value_options: set[str], flag_options: set[str]
           ) -> tuple[list[str], set[str], dict[str, str]]:
    """Positional arguments, flags and ``--option value``/``--option=value``; ValueError when unsure."""
    positional: list[str] = []
    flags: set[str] = set()
    options: dict[str, str] = {}
    items = iter(argv)
    for item in items:
        name, eq, value = item.partition("=")
        if name in value_options:
            if not eq:
                value = next(items, None)  # type: ignore[assignment]
                if value is None:
                    raise ValueError(f"{name} needs a value.")
            options[name] = value
        elif item in flag_options:
            flags.add(item)
        elif item.startswith("-"):
            raise ValueError(f"unknown option {item!r}; see 'runnable execute-step --help'.")
        else:
            positional.append(item)
    return positional, flags, options


def _parse(argv: list[str]) -> tuple[str, set[str], dict[str, str]]:
    from runnable.ir.errors import RunnableError

    try:
        positional, flags, options = _split(argv, _OPTIONS, _FLAGS)
    except ValueError as exc:
        raise RunnableError(f"execute-step: {exc}") from None
    if len(positional) != 1:
        raise RunnableError("execute-step takes exactly one IR file.")
    return positional[0], flags, options
