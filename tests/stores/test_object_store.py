"""Object stores against a real S3 API server (moto on 127.0.0.1): records, catalog, bad input."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from runnable.config import parse_config
from runnable.ir.errors import CatalogError, RunLogExistsError, RunNotFoundError
from runnable.stores.build import build_stores
from runnable.stores.catalog import FileSystemCatalog
from runnable.stores.object_store import ObjectCatalog, ObjectRunLogStore, match_names
from runnable.stores.records import FAIL, SUCCESS, Attempt, RunLog, StepLog
from runnable.stores.s3 import ObjectStoreError, S3Location
from tests.s3_server import store_config


def _bucket(server) -> str:
    return server.make_bucket(f"b-{uuid.uuid4().hex[:12]}")


def _run(run_id: str = "r1") -> RunLog:
    return RunLog(run_id=run_id, kind="pipeline", start_time="2026-01-01T00:00:00+00:00",
                  parameters={"x": {"kind": "json", "value": 1}})


def _step(name: str, start: str, message: str = "") -> StepLog:
    return StepLog(name=name, internal_name=name, type="task", status=SUCCESS, message=message,
                   attempts=[Attempt(1, SUCCESS, start, start)])


def _store(server, bucket: str, prefix: str = "logs") -> ObjectRunLogStore:
    return ObjectRunLogStore(S3Location("run-log-store 's3'", bucket, endpoint_url=server.endpoint, prefix=prefix))


def _objects(server, bucket: str, prefix: str = "") -> dict[str, bytes]:
    from runnable.stores.s3 import S3Client

    from tests.s3_server import ACCESS_KEY, SECRET_KEY

    s3 = S3Client(S3Location("test", bucket, endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                             aws_secret_access_key=SECRET_KEY))
    return {name: s3.get_bytes(name) for name in s3.list(prefix)}


def test_round_trip_and_one_object_per_record(s3_env) -> None:
    bucket = _bucket(s3_env)
    store = _store(s3_env, bucket)
    run = _run()
    store.create_run(run, '{"ir": 1}')
    store.put_step("r1", _step("second", "2026-01-01T00:00:02"))
    store.put_step("r1", _step("first", "2026-01-01T00:00:01"))
    reader = _store(s3_env, bucket)  # another process, another machine: nothing cached
    loaded = reader.get_run("r1")
    assert list(loaded.steps) == ["first", "second"]
    assert loaded.parameters == run.parameters and loaded.to_dict() == store.get_run("r1").to_dict()
    assert reader.get_ir("r1") == '{"ir": 1}'
    assert [r.run_id for r in reader.list_runs()] == ["r1"]
    records = [k for k in _objects(s3_env, bucket, "logs/r1/steps/")]
    assert len(records) == 2 and records == sorted(records)
    with pytest.raises(RunLogExistsError, match="already exists"):
        reader.create_run(_run(), "{}")
    with pytest.raises(RunNotFoundError, match="'runnable runs'"):
        reader.get_run("nope")


def test_latest_record_wins_removal_hides_and_junk_is_never_a_record(s3_env) -> None:
    bucket = _bucket(s3_env)
    store = _store(s3_env, bucket)
    store.create_run(_run(), "{}")
    for index in range(5):
        store.put_step("r1", _step(f"s{index}", f"2026-01-01T00:00:0{index}"))
    store.remove_step("r1", "s2")
    _store(s3_env, bucket).put_step("r1", _step("s0", "2026-01-01T00:00:00", "rewritten"))  # a later writer wins
    # Something that is not a whole record (a torn or foreign object) is skipped, never taken as one.
    store.s3.put_bytes("logs/r1/steps/99999999999999999999-x-000001.json"[5:], b'{"name": "s9", "internal_n')
    loaded = _store(s3_env, bucket).get_run("r1")
    assert sorted(loaded.steps) == ["s0", "s1", "s3", "s4"]
    assert loaded.steps["s0"].message == "rewritten"


def test_a_finished_run_is_read_from_its_merged_records_in_a_few_requests(s3_env) -> None:
    bucket = _bucket(s3_env)
    store = _store(s3_env, bucket)
    run = _run()
    store.create_run(run, "{}")
    for index in range(300):
        store.put_step("r1", _step(f"s{index:03d}", f"2026-01-01T00:{index // 60:02d}:{index % 60:02d}"))
    run.status = SUCCESS
    store.put_run(run)  # the run ended: its records are merged into one object
    before = len(s3_env.requests())
    loaded = _store(s3_env, bucket).get_run("r1")
    requests = s3_env.requests()[before:]
    assert len(loaded.steps) == 300 and loaded.status == SUCCESS
    assert len(requests) <= 4, requests  # header, listing, merged records (+ a listing page)
    store.put_step("r1", _step("late", "2026-01-01T01:00:00"))  # written after the merge: still read
    assert "late" in _store(s3_env, bucket).get_run("r1").steps


def test_catalog_put_and_get_match_the_file_system_catalog(s3_env, tmp_path: Path) -> None:
    bucket = _bucket(s3_env)
    work = tmp_path / "work"
    (work / "data" / "sub").mkdir(parents=True)
    (work / "data" / "a.csv").write_text("a,b\n1,2\n")
    (work / "data" / "sub" / "b.txt").write_text("hello")
    (work / "top.txt").write_text("top")
    objects = ObjectCatalog(S3Location("catalog 's3'", bucket, endpoint_url=s3_env.endpoint), str(work))
    files = FileSystemCatalog(str(tmp_path / "fs-catalog"), str(work))
    for patterns in (["data"], ["data/*.csv", "top.txt"], ["**/*.txt"]):
        put = objects.put("run", patterns)
        assert put == files.put("run", patterns)
    (work / "data" / "a.csv").unlink()
    got = objects.get("run", ["data/*.csv"])
    assert (work / "data" / "a.csv").read_text() == "a,b\n1,2\n"
    assert got == files.get("run", ["data/*.csv"])
    with pytest.raises(CatalogError, match="matched nothing"):
        objects.get("run", ["missing/*"])
    objects.put_text("run", "step.execution.log", "output")
    assert objects.get_text("run", "step.execution.log") == "output"
    assert objects.get_text("run", "other.log") is None
    objects.put_object("run", "objects/step/x.pickle", {"a": [1, 2]})
    assert objects.get_object("run", "objects/step/x.pickle") == {"a": [1, 2]}
    with pytest.raises(CatalogError, match="missing"):
        objects.get_object("run", "objects/none.pickle")


def test_large_files_stream_in_parts_never_whole_in_memory(s3_env, tmp_path: Path) -> None:
    import hashlib
    import tracemalloc

    bucket = _bucket(s3_env)
    size = 40 << 20
    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        for _ in range(size >> 20):
            handle.write(os.urandom(1 << 20))
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    catalog = ObjectCatalog(S3Location("catalog 's3'", bucket, endpoint_url=s3_env.endpoint), str(tmp_path))
    before = len(s3_env.requests())
    tracemalloc.start()
    [entry] = catalog.put("run", ["big.bin"])
    _, peak_put = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    big.unlink()
    [back] = catalog.get("run", ["big.bin"])
    _, peak_get = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert entry.sha256 == back.sha256 == digest == hashlib.sha256(big.read_bytes()).hexdigest()
    assert any("uploads" in r for r in s3_env.requests()[before:])  # multipart
    assert peak_put < size * 0.7 and peak_get < size / 4, (peak_put, peak_get)


def test_glob_matching_follows_path_glob() -> None:
    names = ["data/a.csv", "data/notes.txt", "data/sub/b.csv", "top.txt"]
    assert match_names(names, "data") == ["data/a.csv", "data/notes.txt", "data/sub/b.csv"]
    assert match_names(names, "data/*.csv") == ["data/a.csv"]
    assert match_names(names, "**/*.csv") == ["data/a.csv", "data/sub/b.csv"]
    assert match_names(names, "*.txt") == ["top.txt"]
    with pytest.raises(CatalogError, match="stay inside"):
        match_names(names, "../x")


def _config(server, bucket: str, **log_config) -> object:
    data = store_config(server.endpoint, bucket)
    data["run-log-store"]["config"].update(log_config)
    return parse_config(data, "test-config.yaml")


def test_wrong_endpoint_and_missing_bucket_are_one_clear_line(s3_env) -> None:
    from tests.s3_server import free_port

    bucket = _bucket(s3_env)
    cases = [
        (_config(s3_env, bucket, endpoint_url=f"http://127.0.0.1:{free_port()}"), "cannot reach.*endpoint_url"),
        (_config(s3_env, "no-such-bucket"), "bucket 'no-such-bucket' does not exist.*create it"),
        (_config(s3_env, bucket, endpoint_url="ftp://x"), "is not http"),
    ]
    for config, message in cases:
        store = build_stores(config)[0]
        with pytest.raises(ObjectStoreError, match=message) as caught:
            store.get_run("r1")
        assert "\n" not in str(caught.value) and "run-log-store 's3'" in str(caught.value)
    # Refused keys and denied writes need a server that checks them: tests/test_object_store_runs.py.


def test_keys_in_the_config_file_work_with_a_warning_and_stay_out_of_the_run_log(s3_env, monkeypatch, capsys) -> None:
    bucket = _bucket(s3_env)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    config = _config(s3_env, bucket, aws_access_key_id="testing-key", aws_secret_access_key="very-secret-value")
    store = build_stores(config)[0]
    assert "warning" in capsys.readouterr().err
    run = _run()
    store.create_run(run, "{}")
    run.status = FAIL
    store.put_run(run)
    everything = b"".join(_objects(s3_env, bucket).values())
    assert b"very-secret-value" not in everything


def test_no_credentials_anywhere_is_one_clear_line(s3_env, monkeypatch, tmp_path: Path) -> None:
    bucket = _bucket(s3_env)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    store = build_stores(_config(s3_env, bucket))[0]
    with pytest.raises(ObjectStoreError, match="no credentials found"):
        store.get_run("r1")


def test_an_aws_profile_is_a_credential_source(s3_env, monkeypatch, tmp_path: Path) -> None:
    bucket = _bucket(s3_env)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    profile = tmp_path / "credentials"
    profile.write_text("[team]\naws_access_key_id = testing-key\naws_secret_access_key = testing-secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(profile))
    monkeypatch.setenv("AWS_PROFILE", "team")
    store = build_stores(_config(s3_env, bucket))[0]
    store.create_run(_run(), "{}")
    assert store.get_run("r1").run_id == "r1"


def test_the_schema_takes_runnable_050_keys() -> None:
    config = parse_config({
        "run-log-store": {"type": "chunked-minio", "config": {"endpoint_url": "http://localhost:9002",
                                                              "bucket": "runnable/run-logs"}},
        "catalog": {"type": "minio", "config": {"bucket": "runnable", "compute_data_folder": "."}},
    }, "test")
    assert config["run-log-store"].type == "minio"
    store, catalog, _ = build_stores(config)
    assert store.location.bucket == "runnable" and store.location.prefix == "run-logs/"
    assert catalog.location.bucket == "runnable" and catalog.location.endpoint_url == "http://localhost:9002"
    assert json.dumps(config.to_dict())
