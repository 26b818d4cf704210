"""The local-container target: the local scheduler, with every task in its own container.

The walk happens on this machine exactly as for the local target; each task becomes
``runnable execute-step`` in a container of the configured image, which replays the
run from the shared records, runs that one step and records it. The project directory
is bind-mounted at the same path (``mount_project``, default on), so local development
needs no image rebuild, and relative store paths mean the same inside and out.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from runnable.compiler import container as contract
from runnable.ir.errors import ConfigError, RunnableError
from runnable.ir.model import TaskSpec
from runnable.runtime.context import RunContext
from runnable.runtime.step_process import StepProcessRunner, refuse_memory_store

EXECUTOR = "local-container"


class DockerError(RunnableError):
    """The Docker engine is unreachable, or an image is missing."""


def docker_client() -> Any:
    """A client for this process (forked workers need their own connection)."""
    try:
        import docker
    except ImportError:
        raise RunnableError("The local-container target needs the docker extra: pip install 'runnable[docker]'.") from None
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as exc:  # docker raises several types for an absent daemon
        raise DockerError(
            f"Cannot reach the Docker engine ({exc.__class__.__name__}); start Docker or set DOCKER_HOST."
        ) from None
    return client


def check_image(client: Any, image: str) -> None:
    """Refuse an image that is not on this machine rather than pulling (maybe forever)."""
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise DockerError(
            f"Image {image!r} is not available locally; build it with 'runnable image build --tag {image}' "
            f"or 'docker pull {image}'."
        ) from None


class ContainerRunner(StepProcessRunner):
    """Runs one task per container and reads its result back from the run log."""

    executor = EXECUTOR
    what = "container"

    def __init__(self, executor_config: dict[str, Any], full_config: dict[str, Any]) -> None:
        super().__init__(executor_config, full_config)
        self._client: Any = None
        self._client_pid = 0
        self._checked: set[str] = set()
        image = executor_config.get("docker_image")
        if not image:
            raise ConfigError(f"The {EXECUTOR} executor needs config.docker_image.")
        if executor_config.get("mount_project", True) is False:
            # The host reads each step's record from the shared run log: without the project
            # mount the container's records would stay inside it.
            raise ConfigError(
                f"The {EXECUTOR} executor needs mount_project: true in this version (the run log and catalog "
                "are shared through the project mount); the compose target supports mount_project: false."
            )

    @property
    def client(self) -> Any:
        if self._client is None or self._client_pid != os.getpid():
            self._client, self._client_pid = docker_client(), os.getpid()
        return self._client

    def settings(self, task: TaskSpec, internal: str = "") -> dict[str, Any]:
        """The executor's settings, with the task's override (overrides={'local-container': key}) on top."""
        return contract.step_settings(self.config, task.overrides.get(EXECUTOR, ""), f"Step {internal!r}")

    def launch(self, ctx: RunContext, task: TaskSpec, internal: str, command: list[str]) -> int:
        settings = self.settings(task, internal)
        env = {str(k): str(v) for k, v in settings.get("environment", {}).items()}
        env.update({name: ctx.secrets.get(name) for name in task.secrets})  # values at run time only
        env.setdefault("HOME", "/tmp")
        if os.environ.get("TRACEPARENT"):  # the step's span: the container's own spans continue the trace
            env.setdefault("TRACEPARENT", os.environ["TRACEPARENT"])
        ctx.say(f"  {internal}: container {settings['docker_image']}")
        labels = {"org.runnable.run-id": ctx.run_id, "org.runnable.step": internal}
        return self.run_container(settings, command, env, labels)

    def run_container(self, settings: dict[str, Any], command: list[str], env: dict[str, str],
                      labels: dict[str, str] | None = None) -> int:
        """Create, start, stream and remove one container; removed after failure and on Ctrl-C too."""
        client = self.client
        image = settings["docker_image"]
        if image not in self._checked:
            check_image(client, image)
            self._checked.add(image)
        project = os.getcwd()
        volumes = {project: {"bind": project, "mode": "rw"}} if settings.get("mount_project", True) else {}
        container = client.containers.create(
            image,
            command=command,
            environment=env,
            volumes=volumes,
            working_dir=project if volumes else None,
            network=settings.get("network") or None,
            init=True,
            user=f"{os.getuid()}:{os.getgid()}",
            labels=labels or {},
            detach=True,
            **_limits(settings.get("resources") or {}),
        )
        interrupted = False
        try:
            container.start()
            for chunk in container.logs(stream=True, follow=True):
                sys.stdout.write(chunk.decode("utf-8", "replace"))
            sys.stdout.flush()
            return int(container.wait().get("StatusCode", 1))
        except BaseException:
            interrupted = True
            raise
        finally:
            if interrupted or settings.get("auto_remove_container", True):
                try:
                    container.remove(force=True)
                except Exception:  # already gone
                    pass

    def preflight(self) -> None:
        """Fail before the run starts, with nothing written, when Docker or the image is missing."""
        check_image(self.client, self.config["docker_image"])
        for override in self.config.get("overrides", {}).values():
            if isinstance(override, dict) and override.get("docker_image"):
                check_image(self.client, override["docker_image"])


def _limits(resources: dict[str, Any]) -> dict[str, Any]:
    """A step's ``resources`` (cpus, memory) as Docker's limits."""
    limits: dict[str, Any] = {}
    if "cpus" in resources:
        limits["nano_cpus"] = int(float(resources["cpus"]) * 1e9)
    if "memory" in resources:
        limits["mem_limit"] = str(resources["memory"])
    return limits


def runner_for(config: Any, definition_kind: str, store: Any) -> ContainerRunner:
    refuse_memory_store(store, EXECUTOR)
    executor = config.executor_for(definition_kind)
    runner = ContainerRunner(executor.config, config.to_dict())
    runner.preflight()
    return runner
