"""Find a run to show: a run id in the configured store, a run's folder, or a run log saved as JSON.

A run is shown from its records alone, so the same page works for local, container, compose and
cluster runs whose store is reachable from here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from runnable.ir.errors import RunnableError, RunNotFoundError
from runnable.stores.records import RunLog


class DamagedRunLogError(RunnableError):
    """A run log that cannot be read back (a truncated or hand-edited file)."""


@dataclass
class LoadedRun:
    """A run log with what helps to show it: its definition (task commands) and its catalog (log tails)."""

    run: RunLog
    definition: Any = None  # runnable.ir.model.Definition, or None when the IR is missing or unreadable
    catalog_folder: str = ""  # the run's catalog folder, "" when unknown


def load_run(run_id_or_path: str, config: Any = None) -> LoadedRun:
    """The run named by a run id (looked up in ``config``'s store) or by a path on disk."""
    if os.path.isfile(run_id_or_path):
        return _from_json_file(run_id_or_path)
    if os.path.isdir(run_id_or_path) and os.path.isfile(os.path.join(run_id_or_path, "run.json")):
        folder = os.path.abspath(run_id_or_path)
        from runnable.stores.run_log import FileSystemRunLogStore

        return _from_store(FileSystemRunLogStore(os.path.dirname(folder)), os.path.basename(folder), "")
    if os.sep in run_id_or_path or run_id_or_path.endswith(".json"):
        raise RunNotFoundError(f"{run_id_or_path!r} is neither a run id, a run's folder (with run.json) nor a run "
                               "log file.")
    from runnable.stores.build import build_stores

    store, catalog, _ = build_stores(config)
    folder = catalog.run_folder(run_id_or_path) if hasattr(catalog, "run_folder") else ""
    return _from_store(store, run_id_or_path, folder)


def _from_store(store: Any, run_id: str, catalog_folder: str) -> LoadedRun:
    try:
        run = store.get_run(run_id)
    except RunnableError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DamagedRunLogError(f"The run log of {run_id!r} is damaged and cannot be read: {exc}.") from None
    definition = None
    try:
        from runnable.ir.serialize import loads

        definition = loads(store.get_ir(run_id), f"the IR of run {run_id}")
    except RunnableError:
        definition = None  # an old or missing IR: the page shows the run without task commands
    return LoadedRun(run, definition, catalog_folder)


def _from_json_file(path: str) -> LoadedRun:
    """A run log saved with ``runnable show --json``."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if not isinstance(data, dict) or "run_id" not in data:
            raise ValueError("no run_id")
        return LoadedRun(RunLog.from_dict(data))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DamagedRunLogError(f"{path} is not a readable run log ({exc}); save one with "
                                 "'runnable show RUN_ID --json'.") from None
