"""Shared fixtures: every test runs in its own project folder with a clean environment."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean_runnable_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("RUNNABLE_"):
            monkeypatch.delenv(key)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project holding a copy of the examples, as the working directory."""
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    # Examples imported from the repository by earlier tests must be found in this copy instead.
    for name in [m for m in sys.modules if m == "examples" or m.startswith("examples.")]:
        monkeypatch.delitem(sys.modules, name)
    return tmp_path


EXAMPLES_IMAGE = "runnable-examples:latest"
BASE_IMAGE = os.environ.get("RUNNABLE_TEST_BASE_IMAGE", "runnable-base:local")


def _docker_ready() -> str:
    """'' when a Docker engine answers and compose v2 is installed, else why not."""
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as exc:  # no SDK, no daemon, no permission
        return f"no Docker engine ({exc.__class__.__name__})"
    import subprocess

    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        return "docker compose v2 is not installed"
    return ""


@pytest.fixture(scope="session")
def docker_image() -> str:
    """The examples' image, built once from the base image. In CI a missing Docker fails the test."""
    problem = _docker_ready()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"container tests need Docker in CI: {problem}")
        pytest.skip(problem)
    import docker

    from runnable.apply.image import SOURCE_LABEL, build_image, source_digest

    client = docker.from_env()
    try:
        current = client.images.get(EXAMPLES_IMAGE).labels.get(SOURCE_LABEL) == source_digest()
    except docker.errors.ImageNotFound:
        current = False
    if not current:  # missing, or built from other runnable code than this checkout's
        build_image(EXAMPLES_IMAGE, BASE_IMAGE, ["notebook"], [str(REPO / "examples" / "requirements.txt")], False,
                    say=lambda text: None)
    return EXAMPLES_IMAGE


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 API server (moto) on 127.0.0.1 for the whole session."""
    from tests.s3_server import S3Server

    server = S3Server(tmp_path_factory.mktemp("s3") / "access.log")
    yield server
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch: pytest.MonkeyPatch):
    """The server's credentials in this process's environment, and no instance-metadata look-ups."""
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return s3_server
