"""The compose engine: run a rendered compose folder with ``docker compose`` and return the run's status.

The run id is chosen here (or given) and reaches the services as ``RUNNABLE_RUN_ID``; when a
container is killed compose stops before ``runnable-finish``, so the run is finished here.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from runnable.compiler.compose import COMPOSE_FILE, IR_FILE, RUN_ID_VOLUME
from runnable.ir.errors import RunnableError


def recognises(path: str) -> bool:
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, COMPOSE_FILE))


def apply_path(path: str, *, run_id: str = "", parameters_file: str = "", tag: str = "",
               say: Callable[[str], None] = print, **cluster_options: Any) -> int:
    """``runnable apply FOLDER`` for a compose folder; Kubernetes options (namespace, wait...) do not apply."""
    if tag:
        raise RunnableError("--tag is not passed to compose runs: the rendered services have no tag argument. "
                            "Tag the run with a local or cluster target, or leave --tag out.")
    return apply(path, run_id, parameters_file, say=say)


def apply(folder: str, run_id: str = "", parameters_file: str = "", say: Any = print) -> int:
    """Check the folder's compose file, run it with ``docker compose`` and return the run's exit code."""
    import subprocess

    from runnable.runtime.run_ids import choose_run_id

    compose_file = os.path.join(folder, COMPOSE_FILE)
    if not os.path.isfile(compose_file) or not os.path.isfile(os.path.join(folder, IR_FILE)):
        raise RunnableError(f"{folder!r} has no {COMPOSE_FILE} and {IR_FILE}; render it with "
                            "'runnable compile FILE --target compose -o DIR'.")
    run_id = choose_run_id(run_id)
    env = dict(os.environ, RUNNABLE_RUN_ID=run_id, RUNNABLE_UID=str(os.getuid()), RUNNABLE_GID=str(os.getgid()))
    if parameters_file:
        env["RUNNABLE_PARAMETERS_FILE"] = parameters_file
    project = f"runnable-{run_id}".lower()[:60]
    base = ["docker", "compose", "-f", compose_file, "-p", project]
    checked = subprocess.run([*base, "config", "-q"], env=env, capture_output=True, text=True)
    if checked.returncode != 0:
        raise RunnableError(f"{compose_file} is not a valid compose file:\n{checked.stderr.strip()}")
    say(f"runnable: run {run_id} with docker compose ({compose_file})")
    try:
        up = subprocess.run([*base, "up", "--abort-on-container-failure", "--no-color", "--quiet-pull"], env=env)
    finally:
        subprocess.run([*base, "down", "--remove-orphans", "--timeout", "5"], env=env, capture_output=True)
        # the run id is given here, so the run-id volume stayed empty; the store's volumes are kept
        subprocess.run(["docker", "volume", "rm", "-f", f"{project}_{RUN_ID_VOLUME}"], capture_output=True)
    return finish_if_needed(folder, run_id, up.returncode)


def finish_if_needed(folder: str, run_id: str, code: int) -> int:
    """When a container was killed, compose stops before runnable-finish: finish the run here."""
    from runnable.config import load_config
    from runnable.ir.errors import RunNotFoundError
    from runnable.runtime.lifecycle import execute_step
    from runnable.stores.build import open_store

    config = load_config(None)
    try:
        status = open_store(config).get_run(run_id).status
    except RunNotFoundError:
        raise RunnableError(f"docker compose exited {code} before run {run_id!r} started.") from None
    if status in ("SUCCESS", "FAIL"):
        return 0 if status == "SUCCESS" else 1
    finished, _ = execute_step(os.path.join(folder, IR_FILE), run_id, config, finish=True)
    return finished
