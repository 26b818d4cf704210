"""``runnable image build``: an image for the current project, without hand-writing a Dockerfile.

The Dockerfile comes from ``runnable/templates/image/Dockerfile.j2``. Everything the
image installs is first collected as wheels on this machine (``pip wheel``) and installed
from them with ``--no-index``, so the build itself needs no network and no registry
beyond the base image.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from runnable.ir.errors import RunnableError


def _source_tree() -> Path | None:
    """The checkout runnable runs from, when it is installed from source (editable)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "runnable").is_dir() else None


SOURCE_LABEL = "org.runnable.source-sha256"


def source_digest() -> str:
    """A digest of the installed runnable package's files: images record it as a label, so a
    stale image (built from older runnable code) can be told from a current one."""
    import hashlib

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def runnable_requirement(extras: list[str]) -> tuple[str, str]:
    """(what pip wheel builds, what the image installs) for runnable itself."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("runnable")
    except PackageNotFoundError:  # running from a source tree that is not installed
        __version__ = "0"

    extra = f"[{','.join(sorted(extras))}]" if extras else ""
    tree = _source_tree()
    if tree is not None:
        return f"{tree}{extra}", f"runnable{extra}"
    return f"runnable{extra}=={__version__}", f"runnable{extra}=={__version__}"


def render_dockerfile(base: str, requirements: list[str], include_project: bool, workdir: str = "/project") -> str:
    import jinja2

    for value in [base, workdir, *requirements]:
        if not value or any(c in value for c in "\n\r\0"):
            raise RunnableError(f"{value!r} cannot go into a Dockerfile (empty, or it contains a line break).")
    loader = jinja2.PackageLoader("runnable", "templates/image")
    env = jinja2.Environment(loader=loader, autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["shell_quote"] = shlex.quote
    return env.get_template("Dockerfile.j2").render(
        base=base, requirements=requirements, include_project=include_project, workdir=workdir
    )


def build_image(
    tag: str,
    base: str,
    extras: list[str],
    requirement_files: list[str],
    include_project: bool,
    say: Any = print,
) -> str:
    """Build ``tag`` and return its image id."""
    from runnable.runtime.container import docker_client

    client = docker_client()
    try:
        client.images.get(base)
    except Exception:
        raise RunnableError(f"Base image {base!r} is not available locally; pull or build it first.") from None
    _check_python(client, base)
    build_spec, install_spec = runnable_requirement(extras)
    with tempfile.TemporaryDirectory(prefix="runnable-image-") as context:
        wheels = Path(context, "wheels")
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels), build_spec]
        for path in requirement_files:
            command += ["-r", path]
        say(f"collecting wheels: {' '.join(shlex.quote(c) for c in command[3:])}")
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RunnableError(f"pip wheel failed:\n{done.stderr.strip()[-2000:]}")
        requirements = [install_spec] + [f"--requirement=/tmp/runnable-wheels/{Path(p).name}" for p in requirement_files]
        for path in requirement_files:
            (wheels / Path(path).name).write_bytes(Path(path).read_bytes())
        if include_project:
            _copy_project(Path(context, "project"))
        Path(context, "Dockerfile").write_text(render_dockerfile(base, requirements, include_project))
        say(f"building {tag} from {base}")
        try:
            image, logs = client.images.build(path=context, tag=tag, rm=True, forcerm=True, pull=False,
                                              labels={SOURCE_LABEL: source_digest()})
        except Exception as exc:
            raise RunnableError(f"docker build failed: {exc}") from None
    return str(image.id)


def _check_python(client: Any, base: str) -> None:
    """Wheels are collected for this interpreter: the image's Python must be the same minor version."""
    try:
        output = client.containers.run(base, ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                       remove=True)
    except Exception as exc:
        raise RunnableError(f"Base image {base!r} cannot run python3: {exc}") from None
    theirs = output.decode().strip()
    ours = "%d.%d" % sys.version_info[:2]
    if theirs != ours:
        raise RunnableError(
            f"Base image {base!r} has Python {theirs}, this runnable runs on Python {ours}; wheels are collected "
            f"here, so use a base with Python {ours} (e.g. python:{ours}-slim) or run this from Python {theirs}."
        )


def _copy_project(target: Path) -> None:
    """The project without its run logs, catalogs, virtual envs and VCS data."""
    import shutil

    ignore = shutil.ignore_patterns(".git", ".venv*", ".run_log_store", ".catalog", "__pycache__", "*.pyc")
    shutil.copytree(os.getcwd(), target, ignore=ignore, symlinks=True)
