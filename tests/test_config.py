"""Configuration files: precedence, defaults, and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from runnable.config import load_config, parse_config
from runnable.ir.errors import ConfigError, NotAvailableError
from runnable.stores.build import build_stores
from runnable.stores.run_log import FileSystemRunLogStore


def test_defaults() -> None:
    config = parse_config(None, "defaults")
    assert {k: s.type for k, s in config.sections.items()} == {
        "pipeline-executor": "local", "job-executor": "local", "run-log-store": "file-system",
        "catalog": "file-system", "secrets": "env-secrets", "pickler": "pickle",
    }


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runnable-config.yaml").write_text("run-log-store: {type: buffered}\n")
    (tmp_path / "arg.yaml").write_text("catalog: {type: do-nothing}\n")
    (tmp_path / "env.yaml").write_text("secrets: {type: dotenv}\n")
    assert load_config().source == "runnable-config.yaml"
    assert load_config("arg.yaml").source == "arg.yaml"
    monkeypatch.setenv("RUNNABLE_CONFIGURATION_FILE", "env.yaml")
    assert load_config("arg.yaml")["secrets"].type == "dotenv"


def test_variables_are_substituted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNABLE_VAR_folder", "/data/logs")
    config = parse_config({"run-log-store": {"type": "file-system", "config": {"log_folder": "${folder}/x"}}}, "f")
    assert config["run-log-store"].config["log_folder"] == "/data/logs/x"


def test_aliases_and_underscored_keys(tmp_path: Path) -> None:
    config = parse_config({"run_log_store": {"type": "chunked-fs", "config": {"log_folder": str(tmp_path)}}}, "f")
    assert config["run-log-store"].type == "file-system"
    assert isinstance(build_stores(config)[0], FileSystemRunLogStore)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"run-log-stor": {"type": "file-system"}}, "Unknown configuration key 'run-log-stor'.*Did you mean 'run-log-store'"),
        ({"catalog": {"type": "file-sytem"}}, "Unknown type 'file-sytem'.*Did you mean 'file-system'"),
        ({"catalog": {"type": "file-system", "config": {"catalog_locaton": "x"}}},
         "no config key 'catalog_locaton'.*Did you mean 'catalog_location'"),
        ({"pipeline-executor": {"type": "local", "config": {"enable_parallel": "yes"}}}, "must be a boolean"),
        ({"catalog": {"tpye": "file-system"}}, "unknown key 'tpye'.*Did you mean 'type'"),
        ({"catalog": "file-system"}, "must be a mapping"),
        ([1, 2], "must be a mapping of sections"),
    ],
)
def test_errors_name_the_key_and_suggest(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(data, "config.yaml")


def test_file_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("catalog: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(tmp_path / "bad.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "missing.yaml"))


def test_every_store_and_executor_type_of_runnable_050_is_available() -> None:
    for key, kind in [("job-executor", "mini-k8s-job"), ("catalog", "s3"), ("run-log-store", "minio"),
                      ("pipeline-executor", "emulator")]:
        parse_config({key: {"type": kind}}, "types.yaml").require_available(key)


def test_example_configs_parse() -> None:
    for path in sorted(Path(__file__).resolve().parents[1].glob("examples/**/*.yaml")):
        if "parameters" in path.name or path.read_text().lstrip("# \n").startswith("dag:") or "\ndag:" in path.read_text():
            continue
        load_config(str(path))
