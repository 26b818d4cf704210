"""The file-system catalog: files and objects a run produces, kept per run id.

``put`` copies files matched under the compute folder into ``<catalog>/<run_id>/``,
hashing them as they are copied; ``get`` brings them back for a later step. Every
copy lands under a temporary name and is renamed into place, so a killed step
never leaves a half-written file in the catalog. Paths are plain strings: pathlib
is imported only when globs are matched.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable

from runnable.ir.errors import CatalogError
from runnable.stores.atomic import write_atomic
from runnable.stores.records import CatalogEntry

if TYPE_CHECKING:
    from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashing(source: str | os.PathLike[str], target: str) -> str:
    """Copy ``source`` to ``target`` atomically and return its sha256."""
    import hashlib

    folder, name = os.path.split(target)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(3).hex()}.tmp")
    digest = hashlib.sha256()
    try:
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return digest.hexdigest()


def _expand(root: str, pattern: str, exclude: Iterable[str] = ()) -> list["Path"]:
    """Files matched by ``pattern`` under ``root``; a matched folder contributes its files."""
    from pathlib import Path

    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        raise CatalogError(f"Catalog glob {pattern!r} must be relative to the data folder and stay inside it.")
    excluded = [Path(e).resolve() for e in exclude]
    found: set[Path] = set()
    for match in Path(root).glob(pattern):
        candidates = [match] if match.is_file() else [p for p in match.rglob("*") if p.is_file()]
        for candidate in candidates:
            resolved = candidate.resolve()
            if any(resolved == e or e in resolved.parents for e in excluded):
                continue
            if candidate.name.startswith(".") and candidate.name.endswith(".tmp"):
                continue
            found.add(candidate)
    return sorted(found)


class FileSystemCatalog:
    """``<catalog_location>/<run_id>/...`` on the local file system."""

    def __init__(self, catalog_location: str = ".catalog", compute_data_folder: str = ".") -> None:
        self.root = os.fspath(catalog_location)
        self.compute = os.fspath(compute_data_folder)
        self.excluded: list[str] = [self.root]

    def exclude(self, *paths: str | os.PathLike[str]) -> None:
        """Never put these folders (the run-log store, say) even when a glob matches them."""
        self.excluded.extend(os.fspath(p) for p in paths)

    def run_folder(self, run_id: str) -> str:
        return os.path.join(self.root, run_id)

    def match_put(self, patterns: list[str]) -> list["Path"]:
        """Every file the put globs select; raises before anything is copied if one selects nothing."""
        return self._match(self.compute, patterns, "put", self.excluded)

    def put(self, run_id: str, patterns: list[str], store_copy: bool = True) -> list[CatalogEntry]:
        return self.put_files(run_id, self.match_put(patterns), store_copy)

    def put_files(self, run_id: str, sources: list["Path"], store_copy: bool = True) -> list[CatalogEntry]:
        entries: list[CatalogEntry] = []
        for source in sources:
            relative = source.relative_to(self.compute).as_posix()
            if store_copy:
                digest = _copy_hashing(source, os.path.join(self.run_folder(run_id), relative))
            else:
                digest = sha256_file(source)
            entries.append(
                CatalogEntry(name=relative, sha256=digest, stage="put", catalog_path=f"{run_id}/{relative}",
                             copied=store_copy)
            )
        return entries

    def get(self, run_id: str, patterns: list[str]) -> list[CatalogEntry]:
        folder = self.run_folder(run_id)
        entries: list[CatalogEntry] = []
        for source in self._match(folder, patterns, "get", [], run_id):
            relative = source.relative_to(folder).as_posix()
            digest = _copy_hashing(source, os.path.join(self.compute, relative))
            entries.append(
                CatalogEntry(name=relative, sha256=digest, stage="get", catalog_path=f"{run_id}/{relative}")
            )
        return entries

    def _match(self, root: str, patterns: list[str], stage: str, exclude: list[str], run_id: str = "") -> list["Path"]:
        selected: dict[Path, None] = {}
        for pattern in patterns:
            matches = _expand(root, pattern, exclude) if os.path.isdir(root) else []
            if not matches:
                if stage == "put":
                    raise CatalogError(
                        f"Catalog put {pattern!r} matched no file under {os.path.abspath(root)}; "
                        "check the glob or that the step wrote the file."
                    )
                raise CatalogError(
                    f"Catalog get {pattern!r} matched nothing in run {run_id!r}'s catalog; "
                    "an earlier step must put it first."
                )
            selected.update(dict.fromkeys(matches))
        return list(selected)

    def put_text(self, run_id: str, name: str, text: str) -> str:
        """Store a captured log or other text produced by the runtime itself."""
        target = os.path.join(self.run_folder(run_id), name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_atomic(target, text.encode("utf-8", "replace"), durable=False)
        return target

    def get_text(self, run_id: str, name: str) -> str | None:
        """A text stored with :meth:`put_text` (a step's output); None when there is none."""
        try:
            with open(os.path.join(self.run_folder(run_id), name), encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def put_object(self, run_id: str, file_name: str, value: Any) -> str:
        """Pickle a returned object into the run's catalog under ``file_name``."""
        import pickle

        self.put_object_bytes(run_id, file_name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        return file_name

    def put_object_bytes(self, run_id: str, file_name: str, data: bytes) -> None:
        target = os.path.join(self.run_folder(run_id), file_name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_atomic(target, data)

    def get_object(self, run_id: str, file_name: str) -> Any:
        import pickle

        return pickle.loads(self.get_object_bytes(run_id, file_name))

    def get_object_bytes(self, run_id: str, file_name: str) -> bytes:
        try:
            with open(os.path.join(self.run_folder(run_id), file_name), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise CatalogError(f"Object {file_name!r} is missing from run {run_id!r}'s catalog.") from None


class DoNothingCatalog(FileSystemCatalog):
    """Copies no files; runtime outputs (logs, objects) still need a place and use the catalog folder."""

    def match_put(self, patterns: list[str]) -> list["Path"]:
        return []

    def get(self, run_id: str, patterns: list[str]) -> list[CatalogEntry]:
        return []
