"""Everything one run needs while it executes, in one place."""

from __future__ import annotations

import sys
from typing import Any

from runnable.ir.model import Definition
from runnable.ir.record import Record, factory
from runnable.runtime.parameters import Parameters
from runnable.stores.catalog import FileSystemCatalog
from runnable.stores.records import RunLog, StepLog
from runnable.stores.run_log import RunLogStore

QUIET, INFO, DEBUG = 0, 1, 2
LOG_LEVELS = {"DEBUG": DEBUG, "INFO": INFO, "WARNING": QUIET, "ERROR": QUIET, "FATAL": QUIET, "CRITICAL": QUIET}


class RunContext(Record):
    definition: Definition
    run_log: RunLog
    store: RunLogStore
    catalog: FileSystemCatalog
    secrets: Any
    parameters: Parameters
    object_serialisation: bool = True
    verbosity: int = QUIET
    objects: dict[str, Any] = factory(dict)
    previous_steps: dict[str, StepLog] = factory(dict)
    patches: dict[str, Any] | None = None
    mock_job: bool = False  # a job executor's ``mock: true``: the job is recorded, not run (runnable's meaning)
    parallel_workers: int = 0
    # Runs a task elsewhere (a container) instead of in this process: (ctx, node, internal, task, scope) -> status
    task_runner: Any = None
    # One attempt per process: the orchestrator retries the step's pod (Argo's retryStrategy).
    single_attempt: bool = False

    @property
    def run_id(self) -> str:
        return self.run_log.run_id

    def load_object(self, name: str, spec: dict[str, Any]) -> Any:
        """A fresh copy of a stored object: a step that mutates it changes nothing for the next.

        Pickled bytes are cached, not objects, so that this holds in-process exactly as it
        does when every step runs in its own container.
        """
        import pickle

        file_name = spec["value"]
        data = self.objects.get(file_name)
        if data is None:
            data = self.objects[file_name] = self.catalog.get_object_bytes(self.run_id, file_name)
        return pickle.loads(data)

    def store_object(self, file_name: str, value: Any) -> None:
        import pickle

        self.store_object_bytes(file_name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def store_object_bytes(self, file_name: str, data: bytes) -> None:
        """Keep an already pickled object (the catalog too when steps may run in other processes)."""
        if self.object_serialisation or self.parallel_workers:
            self.catalog.put_object_bytes(self.run_id, file_name, data)
        self.objects[file_name] = data

    def say(self, text: str, level: int = INFO) -> None:
        """Progress lines go to stderr so that stdout stays the steps' own output."""
        if self.verbosity >= level:
            print(text, file=sys.stderr, flush=True)
