"""The run log's records: a run header and one record per step.

They are plain data with ``to_dict``/``from_dict`` so every store writes the same JSON,
and a run log read back from any store compares equal to the one that was written.
"""

from __future__ import annotations

import time
from typing import Any

from runnable.ir.record import Record, factory

CREATED = "CREATED"
PROCESSING = "PROCESSING"
SUCCESS = "SUCCESS"
FAIL = "FAIL"


def now() -> str:
    """UTC ISO-8601 timestamp with microseconds: sortable and unambiguous across machines.

    Formatted by hand: importing datetime costs more than the whole record write.
    """
    stamp = time.time_ns()
    seconds, nanos = divmod(stamp, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos // 1000:06d}+00:00"


class Attempt(Record):
    number: int
    status: str
    start_time: str
    end_time: str = ""
    message: str = ""
    input_parameters: dict[str, Any] = factory(dict)
    output_parameters: dict[str, Any] = factory(dict)
    metrics: dict[str, Any] = factory(dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Attempt":
        return cls(**data)


class CatalogEntry(Record):
    name: str
    sha256: str
    stage: str  # "get" or "put"
    catalog_path: str
    copied: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CatalogEntry":
        return cls(**data)


class StepLog(Record):
    name: str
    internal_name: str
    type: str
    status: str = CREATED
    message: str = ""
    attempts: list[Attempt] = factory(list)
    catalog: list[CatalogEntry] = factory(list)
    mock: bool = False
    branches: dict[str, str] = factory(dict)

    def to_dict(self) -> dict[str, Any]:
        return self.plain()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StepLog":
        data = dict(data)
        data["attempts"] = [Attempt.from_dict(a) for a in data.get("attempts", [])]
        data["catalog"] = [CatalogEntry.from_dict(c) for c in data.get("catalog", [])]
        return cls(**data)

    @property
    def start_time(self) -> str:
        return self.attempts[0].start_time if self.attempts else ""


class CodeIdentity(Record):
    type: str  # "git"
    identifier: str
    dirty: bool
    url: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CodeIdentity":
        return cls(**data)


class RunLog(Record):
    """What happened in one run. ``parameters`` hold ``{name: {kind, value}}``."""

    run_id: str
    kind: str
    status: str = CREATED
    name: str = ""
    tag: str = ""
    ir_hash: str = ""
    start_time: str = ""
    end_time: str = ""
    initial_parameters: dict[str, Any] = factory(dict)
    parameters: dict[str, Any] = factory(dict)
    code_identity: CodeIdentity | None = None
    executor: str = "local"
    source: str = ""
    retries: int = 0
    steps: dict[str, StepLog] = factory(dict)

    def header(self) -> dict[str, Any]:
        data = self.plain()
        data.pop("steps")
        return data

    def to_dict(self) -> dict[str, Any]:
        data = self.header()
        data["steps"] = {name: step.to_dict() for name, step in self.steps.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunLog":
        data = dict(data)
        steps = data.pop("steps", {}) or {}
        identity = data.get("code_identity")
        data["code_identity"] = CodeIdentity.from_dict(identity) if identity else None
        run = cls(**data)
        run.steps = {name: StepLog.from_dict(step) for name, step in steps.items()}
        return run

    def parameter_values(self) -> dict[str, Any]:
        """Final parameter values by name (objects appear as their catalog file name)."""
        return {name: spec["value"] for name, spec in self.parameters.items()}
