"""The one family of errors that users see.

Every mistake a user can make raises a subclass of :class:`RunnableError` whose
message names the step, file or key at fault and what to do about it. The CLI
prints these without a traceback.
"""

from __future__ import annotations

from typing import Iterable


class RunnableError(Exception):
    """Base of all errors meant for people, not for debugging."""

    exit_code = 2


class DefinitionError(RunnableError):
    """The job or pipeline definition is invalid (names, graph, callables, returns)."""


class ConfigError(RunnableError):
    """A configuration file or value is invalid."""


class ParameterError(RunnableError):
    """Parameters are missing, malformed or of the wrong kind."""


class CatalogError(RunnableError):
    """A catalog get/put could not be satisfied."""


class RunLogExistsError(RunnableError):
    """A run with this id already exists."""


class RunNotFoundError(RunnableError):
    """No run with this id exists in the run-log store."""


class NotAvailableError(RunnableError):
    """A configured type is known but not implemented in this version."""


class ExecutionFailedError(RunnableError):
    """The run finished with status FAIL; ``run_log`` holds the details."""

    exit_code = 1

    def __init__(self, message: str, run_log: object = None) -> None:
        super().__init__(message)
        self.run_log = run_log


def closest(word: str, choices: Iterable[str]) -> str:
    """Return a ' Did you mean X?' hint, or an empty string when nothing is close."""
    import difflib  # only on the error path

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""


def unknown_choice(what: str, word: str, choices: Iterable[str]) -> str:
    """Format 'unknown X' with the valid choices and the closest one."""
    options = sorted(choices)
    return f"Unknown {what} '{word}'. Valid: {', '.join(options)}.{closest(word, options)}"
