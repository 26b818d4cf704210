"""Run-log stores: where run headers and step records live.

The file-system store keeps one folder per run. Step records are appended, one JSON
line per record, to a journal that belongs to the writing process
(``steps/<writer>.jsonl``), each append followed by an fsync:

- a step's write costs the same at step 1 and at step 10,000 (nothing is rewritten);
- concurrent writers (parallel branches, map items, containers) never share a file;
- a process killed mid-write leaves at most a torn last line, which readers skip, so
  that step counts as not run and a retry runs it again;
- no file is created per step: creating files is the slow part of most file systems,
  and a map over a thousand items would otherwise spend most of its time there.

The latest record of a step wins; ``remove_step`` appends a tombstone.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Protocol

from runnable.ir.errors import RunLogExistsError, RunnableError, RunNotFoundError
from runnable.stores.atomic import write_all, write_atomic
from runnable.stores.records import RunLog, StepLog


class RunLogStore(Protocol):
    def create_run(self, run: RunLog, ir_text: str) -> None: ...
    def put_run(self, run: RunLog) -> None: ...
    def put_step(self, run_id: str, step: StepLog) -> None: ...
    def get_run(self, run_id: str) -> RunLog: ...
    def remove_step(self, run_id: str, internal_name: str) -> None: ...
    def close(self) -> None: ...
    def get_ir(self, run_id: str) -> str: ...
    def list_runs(self) -> list[RunLog]: ...


def _dumps(data: Any) -> bytes:
    # Compact separators keep json on its C encoder; 'runnable show --json' pretty-prints.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def read_record(path: str) -> Any:
    """A JSON record of the store, or one clear error naming the file, line and column that is damaged."""
    from runnable.ir.reading import parse_json

    try:
        return parse_json(_read(path), path)
    except ValueError as exc:
        raise RunnableError(_damaged(str(exc))) from None


def _damaged(located_problem: str) -> str:
    return f"A run record is damaged: {located_problem}. Restore it or remove the run's folder."


def check_run_id(run_id: str) -> str:
    """Run ids name folders and Kubernetes objects later: keep them simple."""
    if (
        not run_id
        or len(run_id) > 128
        or run_id.startswith((".", "-"))
        or not all(c.isalnum() or c in "-_." for c in run_id)
    ):
        raise RunnableError(
            f"Run id {run_id!r} is not valid: use letters, digits, '-', '_' or '.', "
            "at most 128 characters, not starting with '.' or '-'."
        )
    return run_id


def _never_started(run_id: str, folder: str) -> str:
    return (f"Run {run_id!r} never started: its folder {folder} has no run.json (the process that created it "
            "stopped before writing it, or is starting right now), so none of its steps ran. Remove that folder to use the run id again.")


class FileSystemRunLogStore:
    """``<log_folder>/<run_id>/run.json``, ``ir.json`` and ``steps/<writer>.jsonl`` journals."""

    persistent = True  # runs outlive the process: 'runnable show' finds them

    def __init__(self, log_folder: str = ".run_log_store") -> None:
        self.root = os.fspath(log_folder)
        self._journals: dict[str, int] = {}
        self._journal_pid = 0

    def _run_dir(self, run_id: str) -> str:
        return os.path.join(self.root, check_run_id(run_id))

    def create_run(self, run: RunLog, ir_text: str) -> None:
        folder = self._run_dir(run.run_id)
        try:
            os.makedirs(self.root, exist_ok=True)
            os.mkdir(folder)  # atomic claim of the run id
        except FileExistsError:
            if not os.path.isdir(self.root):
                raise RunnableError(f"The run-log folder {self.root!r} exists but is not a folder.") from None
            if not os.path.exists(os.path.join(folder, "run.json")):
                raise RunLogExistsError(_never_started(run.run_id, folder)) from None
            raise RunLogExistsError(
                f"A run with id {run.run_id!r} already exists in {self.root}; choose another run id "
                f"or use 'runnable retry {run.run_id}' to retry it."
            ) from None
        except OSError as exc:
            raise RunnableError(f"Cannot create the run-log folder {folder!r}: {exc.strerror}.") from None
        os.mkdir(os.path.join(folder, "steps"))
        # Atomic but not fsynced: both are rewritten or superseded by durable records.
        write_atomic(os.path.join(folder, "ir.json"), ir_text.encode(), durable=False)
        write_atomic(os.path.join(folder, "run.json"), _dumps(run.header()), durable=False)

    def put_run(self, run: RunLog) -> None:
        write_atomic(os.path.join(self._run_dir(run.run_id), "run.json"), _dumps(run.header()))

    def _journal(self, run_id: str) -> int:
        """This process's append-only journal for ``run_id`` (a forked worker opens its own)."""
        pid = os.getpid()
        if self._journal_pid != pid:
            self._journals = {}
            self._journal_pid = pid
        fd = self._journals.get(run_id)
        if fd is None:
            name = f"{pid}-{os.urandom(4).hex()}.jsonl"
            path = os.path.join(self._run_dir(run_id), "steps", name)
            fd = self._journals[run_id] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o644)
        return fd

    def _append(self, run_id: str, record: dict[str, Any]) -> None:
        record["_written"] = time.time_ns()
        fd = self._journal(run_id)
        write_all(fd, _dumps(record) + b"\n")
        os.fsync(fd)

    def put_step(self, run_id: str, step: StepLog) -> None:
        self._append(run_id, step.to_dict())

    def close(self) -> None:
        """Close this process's journals (a long-lived process running many runs must not leak them)."""
        if self._journal_pid == os.getpid():
            for fd in self._journals.values():
                os.close(fd)
        self._journals = {}

    def remove_step(self, run_id: str, internal_name: str) -> None:
        self._append(run_id, {"_removed": internal_name})

    def get_run(self, run_id: str) -> RunLog:
        folder = self._run_dir(run_id)
        try:
            header = read_record(os.path.join(folder, "run.json"))
        except FileNotFoundError:
            if os.path.isdir(folder):
                raise RunnableError(_never_started(run_id, folder)) from None
            raise RunNotFoundError(
                f"No run with id {run_id!r} in {self.root}; 'runnable runs' lists the known runs."
            ) from None
        try:
            run = RunLog.from_dict(header)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise RunnableError(_damaged(f"{os.path.join(folder, 'run.json')}: not a run header ({exc})")) from None
        latest: dict[str, tuple[int, dict[str, Any] | None]] = {}
        for entry in os.scandir(os.path.join(folder, "steps")):
            if not entry.name.endswith(".jsonl"):
                continue
            for line in _read(entry.path).split(b"\n"):
                try:
                    record = json.loads(line)
                    written = record.pop("_written")
                except (ValueError, KeyError):
                    continue  # a torn last line from a killed writer: that step counts as not run
                name = record.get("_removed") or record.get("internal_name")
                if name is not None and (name not in latest or latest[name][0] <= written):
                    latest[name] = (written, None if "_removed" in record else record)
        steps = [StepLog.from_dict(record) for _, record in latest.values() if record is not None]
        steps.sort(key=lambda s: (s.start_time, s.internal_name))
        run.steps = {s.internal_name: s for s in steps}
        return run

    def get_ir(self, run_id: str) -> str:
        try:
            return _read(os.path.join(self._run_dir(run_id), "ir.json")).decode()
        except FileNotFoundError:
            raise RunNotFoundError(f"No run with id {run_id!r} in {self.root}.") from None

    def list_runs(self) -> list[RunLog]:
        runs = []
        if not os.path.isdir(self.root):
            return runs
        for entry in os.scandir(self.root):
            header = os.path.join(entry.path, "run.json")
            if entry.is_dir() and os.path.isfile(header):
                try:
                    runs.append(RunLog.from_dict(json.loads(_read(header))))
                except (ValueError, TypeError):
                    continue
        runs.sort(key=lambda r: (r.start_time, r.run_id))
        return runs


class MemoryRunLogStore:
    """Keeps everything in this process: for tests and throw-away runs (runnable's ``buffered``).

    Nothing is written anywhere, so no other command can find such a run afterwards.
    """

    persistent = False

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}

    def create_run(self, run: RunLog, ir_text: str) -> None:
        check_run_id(run.run_id)
        if run.run_id in self.runs:
            raise RunLogExistsError(f"A run with id {run.run_id!r} already exists in memory.")
        self.runs[run.run_id] = {"ir": ir_text, "steps": {}}
        self.put_run(run)

    def put_run(self, run: RunLog) -> None:
        self.runs[run.run_id]["header"] = json.loads(_dumps(run.header()))

    def put_step(self, run_id: str, step: StepLog) -> None:
        self.runs[run_id]["steps"][step.internal_name] = json.loads(_dumps(step.to_dict()))

    def remove_step(self, run_id: str, internal_name: str) -> None:
        self.runs[run_id]["steps"].pop(internal_name, None)

    def close(self) -> None:
        return None

    def get_run(self, run_id: str) -> RunLog:
        if run_id not in self.runs:
            raise RunNotFoundError(f"No run with id {run_id!r} in memory.")
        stored = self.runs[run_id]
        run = RunLog.from_dict(stored["header"])
        steps = [StepLog.from_dict(s) for s in stored["steps"].values()]
        steps.sort(key=lambda s: (s.start_time, s.internal_name))
        run.steps = {s.internal_name: s for s in steps}
        return run

    def get_ir(self, run_id: str) -> str:
        if run_id not in self.runs:
            raise RunNotFoundError(f"No run with id {run_id!r} in memory.")
        return self.runs[run_id]["ir"]

    def list_runs(self) -> list[RunLog]:
        return sorted(
            (RunLog.from_dict(s["header"]) for s in self.runs.values()), key=lambda r: (r.start_time, r.run_id)
        )
