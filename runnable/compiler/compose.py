"""The compose target: a docker-compose.yaml that runs a pipeline with one service per step.

Every service runs ``runnable execute-step`` on the IR file next to the compose file.
Shapes known at compile time become services: each task, each branch of a Parallel (its
branches run side by side) and a join service that merges the branches. Map, Conditional
and Loop steps have a shape known only at run time (the items, the chosen branch, the
number of iterations), so each becomes one service that runs the whole composite inside
its container (concurrently there with ``enable_parallel``).

Control flow is decided by the run's records, not by compose: every step service exits 0
once it has recorded its result (``--exit-zero``), services wait for their predecessors
with ``service_completed_successfully``, and a step that is not on the path the run took
(the other side of an on_failure, say) exits without running. ``runnable-finish`` then
records the run's final status and exits with it; ``runnable apply`` returns that code.
The run id is given at apply time (``RUNNABLE_RUN_ID``), never written into the file.
"""

from __future__ import annotations

import os
from typing import Any

from runnable.compiler.base import Rendered, RenderRequest, Target
from runnable.compiler.checks.compose_schema import validate
from runnable.compiler.container import DEFAULT_IMAGE, PROJECT_DIR, command, step_settings
from runnable.compiler.gitops import one_line
from runnable.compiler.names import unique_names
from runnable.compiler.plan import END, EXPAND, PASS, RUN, PlannedGraph, PlannedStep, lower
from runnable.ir.errors import ConfigError, DefinitionError, RunnableError
from runnable.ir.model import Definition, ParallelNode, node_secrets
from runnable.ir.serialize import content_hash, dump_yaml, to_json

START, FINISH = "runnable-start", "runnable-finish"
IR_IN_CONTAINER = "/runnable/ir.json"
PROJECT_IN_CONTAINER = PROJECT_DIR
COMPOSE_FILE = "docker-compose.yaml"
IR_FILE = "ir.json"
#: A volume every service mounts: when no run id is given (plain ``docker compose up``), runnable-start
#: chooses one and leaves it here for the other services.
RUN_ID_VOLUME = "runnable-run"
RUN_ID_FILE = "/runnable/run/run-id"


class ServicePlan:
    """The step services of a planned graph, each with the services it waits for."""

    def __init__(self) -> None:
        self.steps: dict[str, list[str]] = {}  # internal step name -> internal names it depends on
        self.planned: dict[str, PlannedStep] = {}  # internal step name -> the step its service runs

    def add(self, internal: str, step: PlannedStep, after: list[str]) -> None:
        self.steps[internal] = sorted(set(after), key=after.index)
        self.planned[internal] = step

    def graph(self, graph: PlannedGraph, prefix: str, after: list[str]) -> list[str]:
        """Plan ``graph``'s services; returns the services its last steps end in."""
        ends: dict[str, list[str]] = {}
        for step in graph.steps:
            before = list(after) if step.name == graph.start_at else []
            for edge in step.after:
                before.extend(ends[edge.source])
            if step.mode in (END, PASS):
                ends[step.name] = before  # replays record stubs as they pass; no container needed
            elif step.mode == EXPAND:  # a Parallel: its branches side by side, then its join
                branch_ends: list[str] = []
                limit = getattr(step.node, "max_parallel", 0)
                per_branch: list[list[str]] = []
                for index, (key, branch) in enumerate(step.branches.items()):
                    # with max_parallel n, branch i starts once branch i-n has ended (steps exit 0 either way)
                    waits = before + (per_branch[index - limit] if limit and index >= limit else [])
                    per_branch.append(self.graph(branch, f"{prefix}{step.name}.{key}.", waits))
                    branch_ends.extend(per_branch[-1])
                self.add(prefix + step.name, step, branch_ends or before)
                ends[step.name] = [prefix + step.name]
            elif step.mode == RUN:  # a task, or a Map, Conditional or Loop run whole inside one container
                self.add(prefix + step.name, step, before)
                ends[step.name] = [prefix + step.name]
            else:
                raise DefinitionError(f"Step {step.path!r}: the compose target cannot render a {step.mode!r} step.")
        return sorted({service for end in graph.ends() for service in ends.get(end.name, [])})


class ComposeTarget(Target):
    """A docker-compose.yaml with one one-shot service per step, run by ``docker compose``."""

    name = "compose"
    expands = frozenset({ParallelNode})
    override_key = "local-container"
    output = "folder"
    engine = "runnable.apply.compose"

    def render(self, definition: Definition, request: RenderRequest) -> Rendered:
        return Rendered(files=render(definition, request.output or ".", request.config, image=request.image,
                                     source=request.source, config_file=request.config_file))


TARGET = ComposeTarget()


def container_settings(config: Any, image: str, kind: str = "pipeline") -> dict[str, Any]:
    section = config.executor_for(kind) if config is not None else None
    settings: dict[str, Any] = dict(section.config) if section is not None and section.type == "local-container" else {}
    if image:
        settings["docker_image"] = image
    settings.setdefault("docker_image", DEFAULT_IMAGE)
    return settings


def render(definition: Definition, output_dir: str, config: Any = None, image: str = "", source: str = "",
           config_file: str = "") -> dict[str, str]:
    """The files of the compose target, by name: the compose file and the IR it runs."""
    settings = container_settings(config, image, definition.kind)
    project = os.path.relpath(os.getcwd(), os.path.abspath(output_dir)).replace(os.sep, "/")
    plan = ServicePlan()
    lowered = lower(definition, TARGET)
    if lowered.job is not None:
        plan.add(lowered.job.name, lowered.job, [])
    else:
        assert lowered.graph is not None
        plan.graph(lowered.graph, "", [])
    names = unique_names(list(plan.steps), {START, FINISH})
    base = _base_service(settings, project, config_file)
    services: dict[str, Any] = {START: _service(base, ["--start", "--parameters", "${RUNNABLE_PARAMETERS_FILE:-}"], {})}
    for internal, after in plan.steps.items():
        step = plan.planned[internal]
        task_secrets = sorted(node_secrets(step.node))
        depends = {names[d]: {"condition": "service_completed_successfully"} for d in after} or {
            START: {"condition": "service_completed_successfully"}}
        own = _base_service(_with_override(settings, step), project, config_file) if step.override else base
        services[names[internal]] = _service(own, ["--step", literal(internal), "--exit-zero"], depends, task_secrets)
    services[FINISH] = _service(base, ["--finish"], {
        name: {"condition": "service_completed_successfully"} for name in [START, *(names[s] for s in plan.steps)]})
    header = (
        f"# Rendered by runnable from {one_line(source) or 'a definition'}; do not edit by hand.\n"
        f"# IR sha256:{content_hash(definition)}\n"
        "# Run: docker compose up --abort-on-container-failure   (a run id is chosen; RUNNABLE_RUN_ID=<id> picks one)\n"
        "#   or: runnable apply <this folder>\n"
    )
    named_volumes = sorted({v["source"] for v in base["volumes"] if v["type"] == "volume"})
    document = {"name": _project_name(definition, source), "services": services,
                "volumes": {name: {} for name in named_volumes}}
    validate(document)
    return {COMPOSE_FILE: header + dump_yaml(document), IR_FILE: to_json(definition)}


def _with_override(settings: dict[str, Any], step: PlannedStep) -> dict[str, Any]:
    return step_settings(settings, step.override, f"Step {step.path!r}")


def _project_name(definition: Definition, source: str) -> str:
    from runnable.compiler.names import slug

    stem = os.path.splitext(os.path.basename(source))[0] if source else ""
    return slug(definition.name or stem or "runnable")


def _base_service(settings: dict[str, Any], project: str, config_file: str) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = [
        {"type": "bind", "source": f"./{IR_FILE}", "target": IR_IN_CONTAINER, "read_only": True},
        {"type": "volume", "source": RUN_ID_VOLUME, "target": os.path.dirname(RUN_ID_FILE)},
    ]
    if settings.get("mount_project", True):
        volumes.insert(0, {"type": "bind", "source": literal(project), "target": PROJECT_IN_CONTAINER})
    else:
        volumes += [
            {"type": "volume", "source": "run-logs", "target": f"{PROJECT_IN_CONTAINER}/.run_log_store"},
            {"type": "volume", "source": "catalog", "target": f"{PROJECT_IN_CONTAINER}/.catalog"},
        ]
    environment = {_env_name(str(k)): literal(str(v)) for k, v in sorted(settings.get("environment", {}).items())}
    environment.setdefault("HOME", "/tmp")
    base: dict[str, Any] = {
        "image": literal(settings["docker_image"]),
        "init": True,
        "user": "${RUNNABLE_UID:-0}:${RUNNABLE_GID:-0}",
        "working_dir": PROJECT_IN_CONTAINER,
        "environment": environment,
        "volumes": volumes,
        "command_prefix": command(IR_IN_CONTAINER, "--run-id", "${RUNNABLE_RUN_ID:-}", "--run-id-file", RUN_ID_FILE,
                                  config_file=literal(config_file)),
    }
    if settings.get("network"):
        base["network_mode"] = literal(str(settings["network"]))
    resources = settings.get("resources") or {}
    if "cpus" in resources:
        base["cpus"] = str(resources["cpus"])
    if "memory" in resources:
        base["mem_limit"] = str(resources["memory"])
    security = {**SECURE_SERVICE, **settings.get("security", {})}
    base["security"] = {key: [literal(str(v)) for v in value] if isinstance(value, list) else value
                        for key, value in security.items()}
    return base


def _env_name(name: str) -> str:
    """Compose sets ``KEY=value`` items: a key must be non-empty, without '=' or '$' (compose would split or
    interpolate it) and printable."""
    if not name or "=" in name or "$" in name or not name.isprintable() or name != name.strip():
        raise ConfigError(f"Environment variable name {name!r} cannot be passed to a container: use letters, "
                          "digits and '_'.")
    return name


# Secure by default, as far as compose can say it: a read-only root filesystem (the project and
# the IR are mounts; /tmp, also HOME, is a tmpfs), no capabilities and no privilege escalation.
# The executor's ``security`` config relaxes any of them (e.g. {read_only: false}).
SECURE_SERVICE: dict[str, Any] = {"read_only": True, "tmpfs": ["/tmp"], "cap_drop": ["ALL"],
                                  "security_opt": ["no-new-privileges:true"]}


def literal(value: str) -> str:
    """A user's value, protected from compose's own ``$VAR`` interpolation."""
    return value.replace("$", "$$")


def _service(base: dict[str, Any], args: list[str], depends: dict[str, Any], secrets: list[str] | None = None
             ) -> dict[str, Any]:
    service: dict[str, Any] = {"image": base["image"], "init": True, "user": base["user"]}
    service["command"] = base["command_prefix"] + args
    service["working_dir"] = base["working_dir"]
    environment: list[str] = [f"{k}={v}" for k, v in base["environment"].items()]
    environment += sorted(secrets or [])  # names only: compose passes the host's value at run time
    service["environment"] = environment
    service["volumes"] = base["volumes"]
    for key in ("network_mode", "cpus", "mem_limit"):
        if key in base:
            service[key] = base[key]
    for key, value in base["security"].items():
        if value not in (None, False, []):
            service[key] = value
    if depends:
        service["depends_on"] = depends
    return service
