"""The file-system catalog: put/get globs, hashes, store_copy, objects, refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from runnable.ir.errors import CatalogError
from runnable.stores.catalog import FileSystemCatalog


@pytest.fixture
def catalog(tmp_path: Path) -> FileSystemCatalog:
    (tmp_path / "work" / "data" / "nested").mkdir(parents=True)
    (tmp_path / "work" / "data" / "a.csv").write_text("a\n")
    (tmp_path / "work" / "data" / "nested" / "b.csv").write_text("b\n")
    return FileSystemCatalog(str(tmp_path / "cat"), str(tmp_path / "work"))


def test_put_copies_and_hashes(catalog: FileSystemCatalog, tmp_path: Path) -> None:
    entries = catalog.put("run", ["data/**/*.csv"])
    assert [e.name for e in entries] == ["data/a.csv", "data/nested/b.csv"]
    assert entries[0].sha256 == hashlib.sha256(b"a\n").hexdigest()
    assert (tmp_path / "cat" / "run" / "data" / "nested" / "b.csv").read_text() == "b\n"


def test_folders_put_their_files(catalog: FileSystemCatalog) -> None:
    assert [e.name for e in catalog.put("run", ["data"])] == ["data/a.csv", "data/nested/b.csv"]


def test_store_copy_false_records_without_copying(catalog: FileSystemCatalog, tmp_path: Path) -> None:
    entries = catalog.put("run", ["data/a.csv"], store_copy=False)
    assert entries[0].copied is False and entries[0].sha256
    assert not (tmp_path / "cat" / "run" / "data" / "a.csv").exists()


def test_get_restores_files(catalog: FileSystemCatalog, tmp_path: Path) -> None:
    catalog.put("run", ["data/a.csv"])
    (tmp_path / "work" / "data" / "a.csv").unlink()
    catalog.get("run", ["data/*.csv"])
    assert (tmp_path / "work" / "data" / "a.csv").read_text() == "a\n"


def test_globs_that_match_nothing_are_errors(catalog: FileSystemCatalog) -> None:
    with pytest.raises(CatalogError, match="matched no file"):
        catalog.put("run", ["nothing/*.parquet"])
    with pytest.raises(CatalogError, match="matched nothing"):
        catalog.get("run", ["data/*.csv"])


@pytest.mark.parametrize("pattern", ["../outside/*", "/etc/passwd"])
def test_globs_cannot_leave_the_data_folder(catalog: FileSystemCatalog, pattern: str) -> None:
    with pytest.raises(CatalogError, match="stay inside"):
        catalog.put("run", [pattern])


def test_the_catalog_never_catalogues_itself(tmp_path: Path) -> None:
    catalog = FileSystemCatalog(str(tmp_path / "cat"), str(tmp_path))
    (tmp_path / "x.txt").write_text("x")
    catalog.put("run", ["*"])
    assert sorted(e.name for e in catalog.put("run", ["**/*"])) == ["x.txt"]


def test_objects_round_trip(catalog: FileSystemCatalog) -> None:
    name = catalog.put_object("run", "objects/step/model.pickle", {"weights": [1, 2]})
    assert catalog.get_object("run", name) == {"weights": [1, 2]}
    with pytest.raises(CatalogError, match="missing"):
        catalog.get_object("run", "other.pickle")
