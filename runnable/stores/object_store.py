"""Run log and catalog in an S3-compatible object store (AWS S3, MinIO, GCS's S3 API, Ceph).

Objects cannot be appended to, so the run log keeps one object per step record:

    <prefix><run_id>/run.json                 the header, replaced whole (one PUT)
    <prefix><run_id>/ir.json                  what ran
    <prefix><run_id>/steps/<ns>-<writer>-<n>.json   one step record (or a removal)
    <prefix><run_id>/steps.json               a merge of the records, written when a run ends

``<ns>`` is the write time in nanoseconds, 20 digits, so a listing by prefix returns the
records in the order they were written; ``<writer>`` names the process, so concurrent
writers (parallel branches, map items, pods) never write the same key. A PUT is atomic:
a writer killed mid-upload leaves no object, and readers never see half a record. Readers
merge as the file-system journals do: the latest record of a step wins, a removal hides it.

A task step costs one PUT for its record and one for its captured output. Reading a run
lists its records and fetches only those this process has not seen: a run that ended
has ``steps.json``, so showing a finished 1,000-step run is a handful of requests.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any, Iterable

from runnable.ir.errors import CatalogError, RunLogExistsError, RunNotFoundError
from runnable.stores.catalog import FileSystemCatalog
from runnable.stores.records import FAIL, SUCCESS, CatalogEntry, RunLog, StepLog
from runnable.stores.run_log import check_run_id
from runnable.stores.s3 import ObjectNotFound, S3Client, S3Location

if TYPE_CHECKING:
    from pathlib import Path

_FETCH_THREADS = 16
_SNAPSHOT = "steps.json"


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str).encode()


class ObjectRunLogStore:
    """The run log in a bucket: one object per step record (see the module docstring)."""

    def __init__(self, location: S3Location) -> None:
        self.location = location
        self.s3 = S3Client(location)
        self.root = f"s3://{location.bucket}/{location.prefix}"
        self._writer = ""
        self._writer_pid = 0
        self._sequence = 0
        self._seen: dict[str, dict[str, Any] | None] = {}  # record key -> record (None: unreadable)

    # -- writing -----------------------------------------------------------------------------

    def create_run(self, run: RunLog, ir_text: str) -> None:
        run_id = check_run_id(run.run_id)
        # A listing, not a HEAD: a HEAD's error has no body, so a refused key would read as 'access denied'.
        if f"{run_id}/run.json" in self.s3.list(f"{run_id}/run.json"):
            raise RunLogExistsError(
                f"A run with id {run_id!r} already exists in {self.root}; choose another run id "
                f"or use 'runnable retry {run_id}' to retry it.")
        self.s3.put_bytes(f"{run_id}/ir.json", ir_text.encode())
        self.s3.put_bytes(f"{run_id}/run.json", _dumps(run.header()))

    def put_run(self, run: RunLog) -> None:
        self.s3.put_bytes(f"{check_run_id(run.run_id)}/run.json", _dumps(run.header()))
        if run.status in (SUCCESS, FAIL):
            self._write_snapshot(run.run_id)

    def put_step(self, run_id: str, step: StepLog) -> None:
        self._append(run_id, step.to_dict())

    def remove_step(self, run_id: str, internal_name: str) -> None:
        self._append(run_id, {"_removed": internal_name})

    def close(self) -> None:
        return None

    def _append(self, run_id: str, record: dict[str, Any]) -> None:
        written = time.time_ns()
        record["_written"] = written
        if self._writer_pid != os.getpid():  # a forked worker is a writer of its own
            self._writer, self._writer_pid, self._sequence = f"{os.getpid()}{os.urandom(4).hex()}", os.getpid(), 0
        self._sequence += 1
        key = f"{check_run_id(run_id)}/steps/{written:020d}-{self._writer}-{self._sequence:06d}.json"
        self.s3.put_bytes(key, _dumps(record))
        self._seen[key] = record

    def _write_snapshot(self, run_id: str) -> None:
        """Merge every record into one object, so later readers fetch one object, not one per step."""
        keys, latest = self._merged(run_id, use_snapshot=False)
        self.s3.put_bytes(f"{run_id}/{_SNAPSHOT}", _dumps({"keys": keys, "latest": latest}))

    # -- reading -----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunLog:
        check_run_id(run_id)
        try:
            header = json.loads(self.s3.get_bytes(f"{run_id}/run.json"))
        except ObjectNotFound:
            raise RunNotFoundError(
                f"No run with id {run_id!r} in {self.root}; 'runnable runs' lists the known runs.") from None
        run = RunLog.from_dict(header)
        _, latest = self._merged(run_id, use_snapshot=True)
        steps = [StepLog.from_dict(record) for _, record in latest.values() if record is not None]
        steps.sort(key=lambda s: (s.start_time, s.internal_name))
        run.steps = {s.internal_name: s for s in steps}
        return run

    def _merged(self, run_id: str, use_snapshot: bool) -> tuple[list[str], dict[str, Any]]:
        """(record keys merged, step name -> [written, record or None]): the latest record wins."""
        keys = self.s3.list(f"{run_id}/steps/")
        latest: dict[str, Any] = {}
        merged: set[str] = set()
        unseen = [k for k in keys if k not in self._seen]
        if use_snapshot and len(unseen) > 8:
            try:
                snapshot = json.loads(self.s3.get_bytes(f"{run_id}/{_SNAPSHOT}"))
                latest, merged = snapshot["latest"], set(snapshot["keys"])
            except (ObjectNotFound, ValueError, KeyError, TypeError):
                latest, merged = {}, set()
            unseen = [k for k in unseen if k not in merged]
        self._fetch(unseen)
        for key in keys:
            record = self._seen.get(key) if key not in merged else None
            if record is None:
                continue
            record = dict(record)
            written = record.pop("_written", 0)
            name = record.get("_removed") or record.get("internal_name")
            if name is not None and (name not in latest or latest[name][0] <= written):
                latest[name] = [written, None if "_removed" in record else record]
        return keys, latest

    def _fetch(self, keys: list[str]) -> None:
        """Read records this process has not seen, several at once."""
        def one(key: str) -> None:
            try:
                record = json.loads(self.s3.get_bytes(key))
                self._seen[key] = record if isinstance(record, dict) and "_written" in record else None
            except ObjectNotFound:
                pass  # removed since the listing
            except ValueError:
                self._seen[key] = None  # not a record: never taken as one

        if len(keys) <= 2:
            for key in keys:
                one(key)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(_FETCH_THREADS, len(keys))) as pool:
            list(pool.map(one, keys))

    def get_ir(self, run_id: str) -> str:
        try:
            return self.s3.get_bytes(f"{check_run_id(run_id)}/ir.json").decode()
        except ObjectNotFound:
            raise RunNotFoundError(f"No run with id {run_id!r} in {self.root}.") from None

    def list_runs(self) -> list[RunLog]:
        folders = [name.rstrip("/") for name in self.s3.list("", recursive=False) if name.endswith("/")]

        def header(run_id: str) -> RunLog | None:
            try:
                return RunLog.from_dict(json.loads(self.s3.get_bytes(f"{run_id}/run.json")))
            except (ObjectNotFound, ValueError, TypeError):
                return None

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max(1, min(_FETCH_THREADS, len(folders)))) as pool:
            runs = [r for r in pool.map(header, folders) if r is not None]
        runs.sort(key=lambda r: (r.start_time, r.run_id))
        return runs


class _HashingReader:
    """A file read in order, hashed on the way: the upload and the sha256 take one pass."""

    def __init__(self, handle: Any) -> None:
        import hashlib

        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


class ObjectCatalog(FileSystemCatalog):
    """``<prefix><run_id>/<file>`` in a bucket, with the file-system catalog's globs and hashes.

    Files are matched under the compute folder exactly as the file-system catalog does;
    uploads and downloads stream in parts, so a large file is never read whole into memory.
    """

    def __init__(self, location: S3Location, compute_data_folder: str = ".") -> None:
        super().__init__(catalog_location=f"s3://{location.bucket}/{location.prefix}",
                         compute_data_folder=compute_data_folder)
        self.excluded = []
        self.location = location
        self.s3 = S3Client(location)

    def put_files(self, run_id: str, sources: list["Path"], store_copy: bool = True) -> list[CatalogEntry]:
        from runnable.stores.catalog import sha256_file

        entries: list[CatalogEntry] = []
        for source in sources:
            relative = source.relative_to(self.compute).as_posix()
            if store_copy:
                with open(source, "rb") as handle:
                    reader = _HashingReader(handle)
                    self.s3.put_stream(f"{run_id}/{relative}", reader, os.fstat(handle.fileno()).st_size)
                digest = reader.digest.hexdigest()
            else:
                digest = sha256_file(source)
            entries.append(CatalogEntry(name=relative, sha256=digest, stage="put", catalog_path=f"{run_id}/{relative}",
                                        copied=store_copy))
        return entries

    def get(self, run_id: str, patterns: list[str]) -> list[CatalogEntry]:
        names = [name[len(run_id) + 1:] for name in self.s3.list(f"{check_run_id(run_id)}/")]
        selected: dict[str, None] = {}
        for pattern in patterns:
            matches = match_names(names, pattern)
            if not matches:
                raise CatalogError(f"Catalog get {pattern!r} matched nothing in run {run_id!r}'s catalog; "
                                   "an earlier step must put it first.")
            selected.update(dict.fromkeys(matches))
        return [self._download(run_id, relative) for relative in selected]

    def _download(self, run_id: str, relative: str) -> CatalogEntry:
        import hashlib

        target = os.path.join(self.compute, relative)
        folder, name = os.path.split(target)
        os.makedirs(folder or ".", exist_ok=True)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(3).hex()}.tmp")
        digest = hashlib.sha256()
        try:
            with open(tmp, "wb") as handle:
                for chunk in self.s3.get_chunks(f"{run_id}/{relative}"):
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except ObjectNotFound:
            raise CatalogError(f"Catalog file {relative!r} vanished from run {run_id!r}'s catalog.") from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return CatalogEntry(name=relative, sha256=digest.hexdigest(), stage="get", catalog_path=f"{run_id}/{relative}")

    def put_text(self, run_id: str, name: str, text: str) -> str:
        self.s3.put_bytes(f"{check_run_id(run_id)}/{name}", text.encode("utf-8", "replace"))
        return f"{self.root}{run_id}/{name}"

    def get_text(self, run_id: str, name: str) -> str | None:
        try:
            return self.s3.get_bytes(f"{check_run_id(run_id)}/{name}").decode("utf-8", "replace")
        except ObjectNotFound:
            return None

    def put_object_bytes(self, run_id: str, file_name: str, data: bytes) -> None:
        self.s3.put_bytes(f"{check_run_id(run_id)}/{file_name}", data)

    def get_object_bytes(self, run_id: str, file_name: str) -> bytes:
        try:
            return self.s3.get_bytes(f"{check_run_id(run_id)}/{file_name}")
        except ObjectNotFound:
            raise CatalogError(f"Object {file_name!r} is missing from run {run_id!r}'s catalog.") from None


def match_names(names: Iterable[str], pattern: str) -> list[str]:
    """Names matched by a glob as ``Path.glob`` matches files: a matched folder gives all its files."""
    import re
    from pathlib import PurePosixPath

    parts = list(PurePosixPath(pattern).parts)
    if PurePosixPath(pattern).is_absolute() or ".." in parts:
        raise CatalogError(f"Catalog glob {pattern!r} must be relative to the data folder and stay inside it.")
    while parts and parts[-1] == "**":  # a folder's match already brings everything under it
        parts.pop()
    pieces = ["(?:[^/]+/)*" if part == "**" else _segment(part) + "/" for part in parts]
    regex = re.compile("".join(pieces).removesuffix("/") + ("(?:/.*)?" if parts else ".*") + "\\Z", re.S)
    return sorted(name for name in names if regex.match(name))


def _segment(part: str) -> str:
    """One path segment of a glob as a regular expression: wildcards never cross a '/'."""
    import re

    out, index = [], 0
    while index < len(part):
        char = part[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in part[index + 2:]:
            end = part.index("]", index + 2)  # '[]]' and '[!]]' hold a ']'
            body = part[index + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
