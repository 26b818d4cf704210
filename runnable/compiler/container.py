"""The container contract: what every container of every target runs, and how it answers.

Whatever the target (a local container, a compose service, a Kubernetes Job, an Argo
pod), a container runs ``runnable execute-step IR_FILE`` with the options below, in an
image holding runnable (:data:`DEFAULT_IMAGE` unless configured), with the project's code
at :data:`PROJECT_DIR` when the image carries it. Its exit code is one of
:data:`EXIT_CODES`. Renderers build the command line with :func:`command`; the console
script parses it with :func:`parse`, without importing click (it runs once per step).
"""

from __future__ import annotations

from typing import Any

from runnable.ir.errors import ConfigError, RunnableError
from runnable.ir.record import Record

PROGRAM = ["runnable", "execute-step"]
DEFAULT_IMAGE = "runnable-project:latest"
PROJECT_DIR = "/project"  # where `runnable image build --include-project` puts the code

SUCCEEDED, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command whose reader went away
EXIT_CODES = {SUCCEEDED: "the step (or run) succeeded", FAILED: "it failed (the run log says how)",
              USAGE: "a usage or configuration error: nothing ran", INTERRUPTED: "interrupted"}

#: Flags: name -> help. Options taking a value: names -> (field, help). The click command shows both.
FLAGS = {
    "--start": "Create the run (once) before any step runs.",
    "--finish": "Record the run's final step and status.",
    "--decide": "Print the fan-out decision of a composite step as JSON.",
    "--exit-zero": "Exit 0 even when the step fails (the run log has the truth).",
    "--all": "Run the whole definition here (start, every step, finish).",
    "--one-attempt": "One attempt per process: the orchestrator retries the step.",
}
OPTIONS = {
    ("--run-id",): ("run_id", "The run this step belongs to."),
    ("--default-run-id",): ("default_run_id", "Run id to use when --run-id is empty (the orchestrator's own)."),
    ("--run-id-file",): ("run_id_file", "When --run-id is empty: --start chooses a run id and writes it here, "
                                        "every other step reads it (compose run without runnable)."),
    ("--step",): ("step", "Internal name of the step to run (dotted inside composites)."),
    ("-c", "--config"): ("config_file", "Configuration file (YAML or JSON)."),
    ("-p", "--parameters"): ("parameters_file", "Initial parameters (with --start)."),
    ("--tag",): ("tag", "Tag stored with the run (with --start)."),
    ("--log-level",): ("log_level", "DEBUG, INFO, WARNING or ERROR."),
    ("--decision-dir",): ("decision_dir", "With --decide: also write each decision field to a file here."),
}


class StepCall(Record):
    """One parsed ``execute-step`` command line."""

    ir_file: str
    run_id: str = ""
    default_run_id: str = ""
    run_id_file: str = ""
    step: str = ""
    config_file: str = ""
    parameters_file: str = ""
    tag: str = ""
    log_level: str = "WARNING"
    decision_dir: str = ""
    start: bool = False
    finish: bool = False
    decide: bool = False
    exit_zero: bool = False
    run_all: bool = False
    one_attempt: bool = False

    @property
    def chosen_run_id(self) -> str:
        """The run id given, else the orchestrator's own (an Argo workflow's name)."""
        chosen = self.run_id or self.default_run_id
        if not chosen:
            raise RunnableError("execute-step needs --run-id (or --default-run-id).")
        return chosen


_FLAG_FIELDS = {"--start": "start", "--finish": "finish", "--decide": "decide", "--exit-zero": "exit_zero",
                "--all": "run_all", "--one-attempt": "one_attempt"}
_OPTION_FIELDS = {name: field for names, (field, _) in OPTIONS.items() for name in names}


def command(ir_file: str, *args: str, config_file: str = "") -> list[str]:
    """The full command line of a container: ``runnable execute-step IR ARGS... [-c CONFIG]``."""
    return [*PROGRAM, ir_file, *args, *(["-c", config_file] if config_file else [])]


def parse(argv: list[str]) -> StepCall:
    """The arguments after ``execute-step``; a :class:`RunnableError` (exit 2) for anything unknown."""
    try:
        positional, flags, options = split_arguments(argv, set(_OPTION_FIELDS), set(_FLAG_FIELDS))
    except ValueError as exc:
        raise RunnableError(f"execute-step: {exc}") from None
    if len(positional) != 1:
        raise RunnableError("execute-step takes exactly one IR file.")
    values: dict[str, object] = {_OPTION_FIELDS[name]: value for name, value in options.items()}
    values.update({_FLAG_FIELDS[flag]: True for flag in flags})
    return StepCall(ir_file=positional[0], **values)


def split_arguments(argv: list[str], value_options: set[str], flag_options: set[str]
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


def quiet_broken_pipe() -> int:
    """The reader of our output went away (``runnable show X | head -1``): stop without a word, as ``cat`` does.

    Standard output is pointed at /dev/null so that the interpreter's last flush cannot fail again.
    """
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return BROKEN_PIPE


def exit_code(exc: BaseException) -> int | None:
    """Print a user's mistake as one ``Error:`` line and give its exit code; None for a real bug."""
    import sys

    if isinstance(exc, RunnableError):
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):
        return quiet_broken_pipe()
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"Error: {exc.strerror or exc}{where}.", file=sys.stderr)
        return USAGE
    if isinstance(exc, KeyboardInterrupt):
        print("Interrupted.", file=sys.stderr)
        return INTERRUPTED
    return None


# -- a container's settings: the local-container executor's config, read by every Docker runner -----

#: Keys a step override may set (``overrides={"local-container": "gpu"}``), on top of the executor's.
OVERRIDE_KEYS = ("docker_image", "environment", "resources", "network")
RESOURCE_KEYS = ("cpus", "memory")


def step_settings(executor_config: dict[str, Any], override: str, where: str) -> dict[str, Any]:
    """The executor's settings with a step's override on top (its environment merged, the rest replaced)."""
    merged = {key: value for key, value in executor_config.items() if key != "overrides"}
    if not override:
        return merged
    defined = executor_config.get("overrides") or {}
    if override not in defined:
        known = ", ".join(sorted(defined)) or "none"
        raise ConfigError(f"{where} asks for override {override!r}, which local-container config.overrides does "
                          f"not define (defined: {known}).")
    extra = defined[override]
    if not isinstance(extra, dict):
        raise ConfigError(f"local-container config.overrides.{override} must be a mapping of "
                          f"{', '.join(OVERRIDE_KEYS)}.")
    unknown = sorted(set(extra) - set(OVERRIDE_KEYS))
    if unknown:
        raise ConfigError(f"local-container config.overrides.{override} has no key {unknown[0]!r}; valid: "
                          f"{', '.join(OVERRIDE_KEYS)}.")
    merged.update({key: value for key, value in extra.items() if key != "environment"})
    merged["environment"] = {**executor_config.get("environment", {}), **extra.get("environment", {})}
    return merged
