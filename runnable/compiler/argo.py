"""The argo target: a Workflow, WorkflowTemplate or CronWorkflow that runs one pod per step.

Shape of the document:

- ``main`` is the pipeline's DAG: ``runnable-start`` creates the run, then one task per
  step. ``next`` becomes ``depends: X.Succeeded`` and ``on_failure`` ``depends: X.Failed``;
  stubs need no pod, their successors depend on what led to them. ``runnable-finish``
  records the run's final status and exits with it, as the DAG's last task (so the
  workflow's phase is the run's) and again as the exit handler, which finishes runs that
  never reached it (an unhandled failure, a killed pod); finishing twice changes nothing.
- Every task step runs the shared ``step`` container template (one per distinct
  override/secrets/retry combination), with the step's internal name as its argument:
  the document grows by one small DAG task per step, so 5,000 steps stay far below the
  object-size limit. The step names reach Argo only %-quoted (no ``{{``, quotes, spaces).
- Composites fan out natively. A Parallel runs a DAG template per branch side by side;
  a Map asks ``decide`` for the item indices and runs its branch template ``withParam``
  over them (the pod reads the item itself from the run, so items keep their JSON
  types); a Conditional's branches carry ``when`` on the chosen branch's index; a Loop is
  a recursive template (body, ``decide`` again?, itself with the next index). After the
  branches, a join task runs the composite step itself, which only replays the recorded
  branches, records the composite like a local run does, and passes or fails.
- Retries are Argo's: ``retryStrategy`` from ``max_attempts`` and the backoff, each pod
  making one attempt that the run log numbers after the earlier ones.
- The run id is the ``run_id`` workflow parameter, by default the workflow's own name.
"""

from __future__ import annotations

from typing import Any

from runnable.compiler import kube
from runnable.compiler.base import COMPOSITES, Rendered, RenderRequest, Target
from runnable.compiler.names import short_hash, slug, unique_names
from runnable.compiler.plan import END, PASS, RUN, Plan, PlannedGraph, PlannedStep, lower
from runnable.ir.checkers import LIST, MAP, STR, TypeSpec, one_of
from runnable.ir.errors import ConfigError, DefinitionError
from runnable.ir.model import ConditionalNode, Definition, LoopNode, MapNode, ParallelNode, TaskSpec
from runnable.ir.names import JOB_STEP, quote_step_path
from runnable.ir.record import Record, factory

API_VERSION = "argoproj.io/v1alpha1"
KINDS = ("Workflow", "WorkflowTemplate", "CronWorkflow")
MAIN, START, FINISH, STEP, DECIDE = "main", "runnable-start", "runnable-finish", "step", "decide"
PREFIX = "{{inputs.parameters.prefix}}"
DECISION_DIR = "/tmp/runnable-decision"
RUN_ID_ARGS = ["--run-id", "{{workflow.parameters.run_id}}", "--default-run-id", "{{workflow.name}}"]
DECISION_OUTPUTS = {"indices": "[]", "branch_index": "-1", "again": "false", "next": "0"}
#: keys of ``defaults`` and of an override that shape a template rather than its pod (Argo's own names)
TEMPLATE_KEYS = {"failFast", "parallelism", "retryStrategy", "timeout"}
_DEFAULTS_KEYS = kube.OVERRIDE_KEYS | TEMPLATE_KEYS
_WORKFLOW_META_KEYS = {"generateName", "name", "namespace", "labels", "annotations"}
_WORKFLOW_SPEC_KEYS = {"activeDeadlineSeconds", "nodeSelector", "parallelism", "podGC", "serviceAccountName",
                       "tolerations", "ttlStrategy", "priority", "imagePullSecrets", "automountServiceAccountToken",
                       "executor", "retryStrategy", "templateDefaults", "arguments"}
#: what an override on a composite step may set: its DAG template's own settings
COMPOSITE_KEYS = {"parallelism", "failFast"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
OWN_ARGUMENTS = ("run_id", "parameters_file", "log_level")
#: runnable 0.50 settings accepted with a notice, and why they change nothing here
NOTICES = {
    "configmap_cache_name": "resubmitting a run under its run id ('runnable retry') skips the steps that "
                            "succeeded from the run log, so no memoization ConfigMap is used.",
}
_FAIL_FAST_NOTICE = ("failFast: true is how runs end here already (a failure stops the run unless on_failure "
                     "handles it); the DAGs keep Argo's failFast off so on_failure steps and the run's finish "
                     "still start after a failure.")
_NAME_LIMIT = 48  # step task names; helper tasks add "--" and a suffix of at most 12 within 63


_ARGO_KEYS = TypeSpec({
    "pvc_for_runnable": STR,
    "custom_volumes": LIST,
    "expose_parameters_as_inputs": ("a boolean", lambda v: isinstance(v, bool)),
    "configmap_cache_name": STR,
    "secret_from_k8s": STR,
    "output_file": STR,
    "log_level": one_of(*LOG_LEVELS),
    "cron_schedule": MAP,
    "defaults": MAP,
    "overrides": MAP,
    "argoWorkflow": MAP,
    "project_dir": STR,
    "instance": STR,
    "part_of": STR,
    "kind": one_of(*KINDS),
})


class ArgoTarget(Target):
    """An Argo Workflow, WorkflowTemplate or CronWorkflow with one pod per step."""

    name = "argo"
    executors = {"pipeline-executor": {"argo": _ARGO_KEYS}}
    expands = COMPOSITES
    override_key = "argo"
    composite_overrides = True
    output = "manifests"
    submits = True
    engine = "runnable.apply.cluster"
    options = frozenset({"kind"})

    def render(self, definition: Definition, request: RenderRequest) -> Rendered:
        documents, settings = render_with_notices(definition, request.config, image=request.image,
                                                  source=request.source, kind=request.kind,
                                                  parameters=request.parameters)
        rendered = kube.manifests(documents, self.name, request.source)
        rendered.notices = settings.notices
        rendered.stream_file = settings.output_file
        return rendered


TARGET = ArgoTarget()


class _Settings(Record):
    pod: kube.PodSettings
    overrides: dict[str, Any]
    workflow_meta: dict[str, Any]
    workflow_spec: dict[str, Any]
    kind: str
    schedules: list[str]
    timezone: str
    template: dict[str, Any]  # defaults' template-level keys (TEMPLATE_KEYS)
    log_level: str = ""
    exposed: dict[str, str] = factory(dict)  # initial parameters as workflow arguments: name -> JSON text
    output_file: str = ""
    notices: list[str] = factory(list)


def render(definition: Definition, config: Any = None, image: str = "", source: str = "",
           kind: str = "", parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The target's objects: the IR ConfigMap, then the workflow document."""
    return render_with_notices(definition, config, image, source, kind, parameters)[0]


def render_with_notices(definition: Definition, config: Any = None, image: str = "", source: str = "",
                        kind: str = "", parameters: dict[str, Any] | None = None
                        ) -> tuple[list[dict[str, Any]], _Settings]:
    """The objects and the settings they were rendered with (notices, output_file)."""
    settings = _settings(config, image, kind, parameters or {})
    name = kube.base_name(definition, source)
    ir_text, ir_hash = kube.ir_identity(definition)
    config_map = kube.ir_config_map(ir_text, ir_hash, config, name, settings.pod,
                                    bool(kube.definition_secrets(definition)))
    builder = _Builder(definition, settings, name)
    spec = builder.workflow_spec(config_map["metadata"]["name"])
    return [config_map, _document(settings, name, ir_hash, spec)], settings


# -- configuration -----------------------------------------------------------------------------


def _settings(config: Any, image: str, kind: str, parameters: dict[str, Any]) -> _Settings:
    raw: dict[str, Any] = {}
    if config is not None and config.executor_for("pipeline").type == "argo":
        raw = dict(config.executor_for("pipeline").config)
    where = "pipeline-executor.config"
    notices = [f"{where}.{key} is accepted and changes nothing: {why}" for key, why in NOTICES.items() if key in raw]
    defaults = kube.expect_mapping(raw.get("defaults") or {}, f"{where}.defaults")
    kube.only_keys(defaults, _DEFAULTS_KEYS, f"{where}.defaults")
    template = template_settings(defaults, f"{where}.defaults", notices)
    pod = kube.read_settings({k: v for k, v in defaults.items() if k not in TEMPLATE_KEYS}, f"{where}.defaults",
                             image)
    pod.pvc = str(raw.get("pvc_for_runnable") or kube.DEFAULT_PVC)
    pod.project_dir = str(raw.get("project_dir") or kube.PROJECT_DIR)
    kube.read_identity(pod, raw)
    pod.secret_name = str(raw.get("secret_from_k8s") or "")
    for index, volume in enumerate(kube.expect_list(raw.get("custom_volumes") or [], f"{where}.custom_volumes")):
        _custom_volume(pod, volume, f"{where}.custom_volumes[{index}]")
    workflow = kube.expect_mapping(raw.get("argoWorkflow") or {}, f"{where}.argoWorkflow")
    kube.only_keys(workflow, {"metadata", "spec"}, f"{where}.argoWorkflow")
    meta = kube.expect_mapping(workflow.get("metadata") or {}, f"{where}.argoWorkflow.metadata")
    kube.only_keys(meta, _WORKFLOW_META_KEYS, f"{where}.argoWorkflow.metadata")
    spec = kube.expect_mapping(workflow.get("spec") or {}, f"{where}.argoWorkflow.spec")
    kube.only_keys(spec, _WORKFLOW_SPEC_KEYS, f"{where}.argoWorkflow.spec")
    pod.namespace = str(meta.get("namespace") or "")
    pod.labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    pod.annotations = {str(k): str(v) for k, v in (meta.get("annotations") or {}).items()}
    cron = kube.expect_mapping(raw.get("cron_schedule") or {}, f"{where}.cron_schedule")
    kube.only_keys(cron, {"schedules", "schedule", "timezone"}, f"{where}.cron_schedule")
    schedules = cron.get("schedules") or ([cron["schedule"]] if cron.get("schedule") else [])
    if not isinstance(schedules, list) or not all(isinstance(s, str) and s.strip() for s in schedules):
        raise ConfigError(f"{where}.cron_schedule.schedules must be a list of cron expressions.")
    chosen = kind or raw.get("kind") or ("CronWorkflow" if schedules else "Workflow")
    if chosen not in KINDS:
        raise ConfigError(f"Unknown Argo kind {chosen!r}; use one of {', '.join(KINDS)}.")
    if chosen == "CronWorkflow" and not schedules:
        raise ConfigError(f"A CronWorkflow needs {where}.cron_schedule.schedules (a list of cron expressions).")
    overrides = kube.expect_mapping(raw.get("overrides") or {}, f"{where}.overrides")
    exposed = _exposed_parameters(parameters) if raw.get("expose_parameters_as_inputs", True) else {}
    _check_arguments(spec, exposed, f"{where}.argoWorkflow.spec.arguments")
    return _Settings(pod=pod, overrides=overrides, workflow_meta=meta, workflow_spec=spec, kind=chosen,
                     schedules=list(schedules), timezone=str(cron.get("timezone") or ""), template=template,
                     log_level=str(raw.get("log_level") or ""), exposed=exposed,
                     output_file=str(raw.get("output_file") or ""), notices=notices)


def template_settings(raw: dict[str, Any], where: str, notices: list[str] | None = None) -> dict[str, Any]:
    """The template-level keys of ``defaults`` or an override, checked: Argo's names and shapes."""
    found: dict[str, Any] = {}
    if "failFast" in raw:
        if not isinstance(raw["failFast"], bool):
            raise ConfigError(f"{where}.failFast must be true or false, got {raw['failFast']!r}.")
        if raw["failFast"] and notices is not None:
            notices.append(f"{where}.{_FAIL_FAST_NOTICE}")
    if "parallelism" in raw:
        value = raw["parallelism"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}.parallelism must be a whole number of at least 1, got {value!r}.")
        found["parallelism"] = value
    if "timeout" in raw:
        if not isinstance(raw["timeout"], (str, int)) or isinstance(raw["timeout"], bool):
            raise ConfigError(f"{where}.timeout must be a duration such as 30m or 2h, got {raw['timeout']!r}.")
        found["timeout"] = str(raw["timeout"])
    if "retryStrategy" in raw:
        found["retryStrategy"] = kube.expect_mapping(raw["retryStrategy"], f"{where}.retryStrategy")
    return found


def _exposed_parameters(parameters: dict[str, Any]) -> dict[str, str]:
    """runnable's ``expose_parameters_as_inputs``: the initial parameters known when rendering, as JSON text
    (the first pod reads each back from ``RUNNABLE_PRM_<name>``, so a value given to ``argo submit -p`` wins)."""
    import json

    return {name: json.dumps(value, ensure_ascii=False) for name, value in parameters.items()}


def _check_arguments(spec: dict[str, Any], exposed: dict[str, str], where: str) -> None:
    """The user's own workflow arguments: a list of parameters, none named like ours or an exposed parameter."""
    arguments = kube.expect_mapping(spec.get("arguments") or {}, where)
    kube.only_keys(arguments, {"parameters"}, where)
    for index, parameter in enumerate(kube.expect_list(arguments.get("parameters") or [], f"{where}.parameters")):
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            raise ConfigError(f"{where}.parameters[{index}] must be a mapping with a 'name'.")
        if parameter["name"] in OWN_ARGUMENTS or parameter["name"] in exposed:
            raise ConfigError(f"{where}.parameters[{index}]: {parameter['name']!r} is a workflow argument runnable "
                              "sets itself (run_id, parameters_file, log_level and the exposed initial parameters); "
                              "choose another name.")
    for name in exposed:
        if name in OWN_ARGUMENTS:
            raise ConfigError(f"The initial parameter {name!r} would be exposed as a workflow argument that runnable "
                              "uses itself; rename it, or set expose_parameters_as_inputs: false.")


def _custom_volume(pod: kube.PodSettings, volume: Any, where: str) -> None:
    volume = kube.expect_mapping(volume, where)
    claim = kube.expect_mapping(volume.get("persistent_volume_claim") or {}, f"{where}.persistent_volume_claim")
    if not volume.get("mount_path") or not claim.get("claim_name"):
        raise ConfigError(f"{where} needs mount_path and persistent_volume_claim.claim_name.")
    name = f"custom-{len(pod.volumes)}"
    pod.volumes.append({"name": name, "persistentVolumeClaim": {"claimName": str(claim["claim_name"]),
                                                               "readOnly": bool(claim.get("read_only", False))}})
    pod.volume_mounts.append({"name": name, "mountPath": str(volume["mount_path"]),
                              "readOnly": bool(claim.get("read_only", False))})


# -- the document --------------------------------------------------------------------------------


def _document(settings: _Settings, name: str, ir_hash: str, spec: dict[str, Any]) -> dict[str, Any]:
    kind = settings.kind
    chosen_name = str(settings.workflow_meta.get("name") or settings.workflow_meta.get("generateName") or name)
    chosen_name = slug(chosen_name, 52 if kind == "CronWorkflow" else 58)
    generate = kind == "Workflow"
    metadata = kube.metadata(chosen_name + ("-" if generate else ""), name, settings.pod, ir_hash, generate=generate)
    if kind == "CronWorkflow":
        cron_spec: dict[str, Any] = {"schedules": settings.schedules, "concurrencyPolicy": "Forbid"}
        if settings.timezone:
            cron_spec["timezone"] = settings.timezone
        cron_spec["workflowSpec"] = spec
        spec = cron_spec
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


class _Builder:
    """Builds the templates of one workflow; every name derives from the user's names."""

    def __init__(self, definition: Definition, settings: _Settings, app: str) -> None:
        self.definition = definition
        self.app = app
        self.settings = settings
        self.templates: dict[str, dict[str, Any]] = {}
        self.step_templates: dict[tuple[str, tuple[str, ...], tuple[Any, ...]], str] = {}
        self.plan = lower(definition, TARGET)
        self.branch_names = unique_names(_branch_paths(self.plan), {MAIN, START, FINISH, STEP, DECIDE})

    def workflow_spec(self, config_map_name: str) -> dict[str, Any]:
        self._container_template(START, ["--start", "--parameters", "{{workflow.parameters.parameters_file}}"])
        self._container_template(FINISH, ["--finish"])
        started = [f"{START}.Succeeded"]
        if self.plan.graph is not None:
            tasks, ends = self.tasks(self.plan.graph, "", started)
        else:  # a job: one step
            job = self.plan.job
            assert job is not None
            tasks = [_task(JOB_STEP, self._step_template(job), started[0], step=JOB_STEP)]
            ends = [f"{JOB_STEP}.Succeeded"]
        # The run's end is a task too, the DAG's only leaf: a failure that on_failure handled leaves
        # omitted tasks behind, which would otherwise fail the DAG of a run that succeeded. An
        # unhandled failure never reaches it; the exit handler then records the run as failed.
        end = _task(FINISH, FINISH, _any(ends)) if ends else None
        main = self._dag_template(MAIN, [{"name": START, "template": START}, *tasks, *([end] if end else [])])
        self.templates = {MAIN: main, **self.templates}
        pod = self.settings.pod
        spec: dict[str, Any] = {"entrypoint": MAIN, "onExit": FINISH}
        spec["arguments"] = {"parameters": self._arguments()}
        for key in sorted(self.settings.workflow_spec):
            if key != "arguments":
                spec[key] = self.settings.workflow_spec[key]
        if pod.service_account and "serviceAccountName" not in spec:
            spec["serviceAccountName"] = pod.service_account
        # Steps get no service-account token; Argo's own containers in each pod (which report the
        # step's outcome) get the workflow's account through `executor`. Either can be changed in config.
        spec.setdefault("automountServiceAccountToken", False)
        if spec["automountServiceAccountToken"] is False:
            spec.setdefault("executor", {"serviceAccountName": spec.get("serviceAccountName") or "default"})
        spec["securityContext"] = pod.pod_security()
        spec["volumes"] = kube.volumes(config_map_name, pod)
        spec["templates"] = list(self.templates.values())
        return spec

    def _arguments(self) -> list[dict[str, Any]]:
        """Ours (run_id, parameters_file, log_level when configured), the exposed initial parameters, the user's."""
        arguments = [{"name": "run_id", "value": ""}, {"name": "parameters_file", "value": ""}]
        if self.settings.log_level:
            arguments.append({"name": "log_level", "value": self.settings.log_level})
        arguments.extend({"name": name, "value": value} for name, value in self.settings.exposed.items())
        user = (self.settings.workflow_spec.get("arguments") or {}).get("parameters") or []
        return arguments + list(user)

    def _dag_template(self, name: str, tasks: list[dict[str, Any]], template: dict[str, Any] | None = None,
                      inputs: list[str] | None = None) -> dict[str, Any]:
        """A DAG template; ``template`` holds its template-level settings (defaults', or a composite's override)."""
        chosen = {**self.settings.template, **(template or {})}
        result: dict[str, Any] = {"name": name}
        if inputs:
            result["inputs"] = {"parameters": [{"name": item} for item in inputs]}
        for key in ("parallelism", "timeout"):
            if key in chosen:
                result[key] = chosen[key]
        result["dag"] = {"failFast": False, "tasks": tasks}
        return result

    # -- DAG tasks of a graph ----------------------------------------------------------------

    def tasks(self, graph: PlannedGraph, prefix: str, start_terms: list[str]) -> tuple[list[dict[str, Any]],
                                                                                    list[str]]:
        """DAG tasks for ``graph`` and the terms under which it reaches its success or fail step.

        ``prefix`` is the internal-name prefix as Argo text.
        """
        task_names = unique_names([step.name for step in graph.in_definition_order() if step.mode != END],
                                  {START, FINISH}, _NAME_LIMIT)
        arrive: dict[str, list[str]] = {}
        outcomes: dict[str, tuple[list[str], list[str]]] = {}  # step -> (terms when it succeeded, when it failed)
        result: list[dict[str, Any]] = []
        for step in graph.steps:
            terms = list(start_terms) if step.name == graph.start_at else []
            for edge in sorted(step.after, key=lambda e: graph.position[e.source]):
                terms.extend(outcomes[edge.source][0 if edge.on == "success" else 1])
            arrive[step.name] = terms
            if step.mode == END:
                continue
            if step.mode == PASS:
                outcomes[step.name] = (terms, [])
                continue
            base = task_names[step.name]
            internal = prefix + quote_step_path(step.name)
            result.extend(self._step_tasks(step, base, internal, _any(terms)))
            outcomes[step.name] = ([f"{base}.Succeeded"], [f"{base}.Failed"])
        ends = [term for step in graph.ends() for term in arrive[step.name]]
        return result, ends

    def _step_tasks(self, step: PlannedStep, base: str, internal: str, depends: str) -> list[dict[str, Any]]:
        if step.mode == RUN:
            return [_task(base, self._step_template(step), depends, step=internal)]
        handler = _EXPANDERS.get(type(step.node))
        if handler is None:
            raise DefinitionError(f"Step {step.path!r}: the argo target cannot render {step.node.type!r} steps.")
        shaping = self._composite_settings(step)
        if not shaping:
            return handler(self, step, base, internal, depends)
        # The composite gets a DAG template of its own, which carries its settings (parallelism).
        name = self.branch_names[f"{step.path}.composite"]
        if name not in self.templates:
            self.templates[name] = {}
            self.templates[name] = self._dag_template(name, handler(self, step, base, internal, ""), shaping,
                                                      inputs=["prefix"])
        outer = internal[:-len(quote_step_path(step.name))]  # '' at the top, the branch's prefix inside one
        return [_task(base, name, depends, prefix=outer)]

    def _composite_settings(self, step: PlannedStep) -> dict[str, Any]:
        """The template-level settings of a composite: its override's, else its own max_parallel."""
        shaping: dict[str, Any] = {}
        if getattr(step.node, "max_parallel", 0):
            shaping["parallelism"] = step.node.max_parallel
        if step.override:
            where = f"pipeline-executor.config.overrides.{step.override}"
            if step.override not in self.settings.overrides:
                known = ", ".join(sorted(self.settings.overrides)) or "none"
                raise ConfigError(f"Step {step.path!r} asks for Argo override {step.override!r}, which the config "
                                  f"does not define under pipeline-executor.config.overrides (defined: {known}).")
            override = kube.expect_mapping(self.settings.overrides[step.override], where)
            kube.only_keys(override, _DEFAULTS_KEYS, where)
            pod_keys = sorted(k for k in override if k not in COMPOSITE_KEYS)
            if pod_keys:
                raise ConfigError(
                    f"Step {step.path!r} is a {step.node.type} with Argo override {step.override!r}, which sets "
                    f"{', '.join(pod_keys)}: on a composite step only {', '.join(sorted(COMPOSITE_KEYS))} apply (its "
                    f"template's). Put pod settings in an override on the task steps inside it.")
            shaping.update(template_settings(override, where, self.settings.notices))
        return shaping

    def _parallel_tasks(self, step: PlannedStep, base: str, internal: str, depends: str) -> list[dict[str, Any]]:
        keys = unique_names(list(step.branches), set(), 12)
        tasks = []
        for key, graph in step.branches.items():
            template = self._branch_template(graph)
            tasks.append(_task(f"{base}--{keys[key]}", template, depends, prefix=f"{internal}.{quote_step_path(key)}."))
        join = " && ".join(f"({t['name']}.Succeeded || {t['name']}.Failed)" for t in tasks)
        return [*tasks, _task(base, self._join_template(), join, step=internal)]

    def _map_tasks(self, step: PlannedStep, base: str, internal: str, depends: str) -> list[dict[str, Any]]:
        fan_out, items = f"{base}--fan-out", f"{base}--items"
        template = self._branch_template(step.branches["branch"])
        each = _task(items, template, f"{fan_out}.Succeeded", prefix=f"{internal}.{{{{item}}}}.")
        each["withParam"] = f"{{{{tasks.{fan_out}.outputs.parameters.indices}}}}"
        join = f"{items}.Succeeded || {items}.Failed || {items}.Skipped"
        return [self._decide_task(fan_out, internal, depends), each, _task(base, self._join_template(), join, step=internal)]

    def _conditional_tasks(self, step: PlannedStep, base: str, internal: str, depends: str) -> list[dict[str, Any]]:
        choose = f"{base}--choose"
        keys = unique_names(list(step.branches), set(), 12)
        tasks = [self._decide_task(choose, internal, depends)]
        for index, (key, graph) in enumerate(step.branches.items()):  # the default branch last, as decide counts
            template = self._branch_template(graph)
            task = _task(f"{base}--{keys[key]}", template, f"{choose}.Succeeded",
                         prefix=f"{internal}.{quote_step_path(key)}.")
            task["when"] = f"{{{{tasks.{choose}.outputs.parameters.branch_index}}}} == {index}"
            tasks.append(task)
        join = " && ".join(f"({t['name']}.Succeeded || {t['name']}.Failed || {t['name']}.Skipped)" for t in tasks[1:])
        return [*tasks, _task(base, self._join_template(), join, step=internal)]

    def _loop_tasks(self, step: PlannedStep, base: str, internal: str, depends: str) -> list[dict[str, Any]]:
        template = self._loop_template(step)
        loop = _task(f"{base}--loop", template, depends)
        loop["arguments"] = {"parameters": [{"name": "loop", "value": internal}, {"name": "index", "value": "0"}]}
        join = f"{base}--loop.Succeeded || {base}--loop.Failed"
        return [loop, _task(base, self._join_template(), join, step=internal)]

    def _join_template(self) -> str:
        """The plain step template: a composite's own step replays its branches and records it."""
        return self._template_for(TaskSpec(kind="python", command=""), "", "")

    def _decide_task(self, name: str, internal: str, depends: str) -> dict[str, Any]:
        self._decide_template()
        return _task(name, DECIDE, depends, step=internal)

    def _decide_template(self) -> None:
        if DECIDE not in self.templates:
            template = self._container_template(DECIDE, ["--step", "{{inputs.parameters.step}}", "--decide",
                                                         "--decision-dir", DECISION_DIR], inputs=["step"])
            template["outputs"] = {"parameters": [
                {"name": key, "valueFrom": {"path": f"{DECISION_DIR}/{key}", "default": default}}
                for key, default in DECISION_OUTPUTS.items()]}
            self._reorder_outputs(template)

    # -- templates ---------------------------------------------------------------------------

    def _branch_template(self, graph: PlannedGraph) -> str:
        name = self.branch_names[graph.path[:-1]]
        if name not in self.templates:
            self.templates[name] = {}  # reserve the position: parents before children
            tasks, _ = self.tasks(graph, PREFIX, [])
            self.templates[name] = self._dag_template(name, tasks, inputs=["prefix"])
        return name

    def _loop_template(self, step: PlannedStep) -> str:
        name = self.branch_names[f"{step.path}.loop"]
        if name not in self.templates:
            self.templates[name] = {}
            body_template = self._branch_template(step.branches["branch"])
            self._decide_template()
            check = _task("check", DECIDE, "body.Succeeded", step="{{inputs.parameters.loop}}")
            again = _task("next", name, "check.Succeeded")
            again["when"] = "{{tasks.check.outputs.parameters.again}} == true"
            again["arguments"] = {"parameters": [{"name": "loop", "value": "{{inputs.parameters.loop}}"},
                                                 {"name": "index", "value": "{{tasks.check.outputs.parameters.next}}"}]}
            body_task = _task("body", body_template, "",
                              prefix="{{inputs.parameters.loop}}.{{inputs.parameters.index}}.")
            self.templates[name] = self._dag_template(name, [body_task, check, again], inputs=["loop", "index"])
        return name

    def _step_template(self, step: PlannedStep) -> str:
        return self._template_for(step.node.task, step.override, step.path)

    def _template_for(self, task: TaskSpec, override_key: str, path: str) -> str:
        secrets = tuple(sorted(set(task.secrets)))
        retry = (task.max_attempts, task.backoff_seconds, task.backoff_factor) if task.max_attempts > 1 else ()
        key = (override_key, secrets, retry)
        if key in self.step_templates:
            return self.step_templates[key]
        parts = [STEP] + ([slug(override_key, 20)] if override_key else []) + (
            [f"retry{task.max_attempts}"] if retry else []) + ([short_hash(",".join(secrets))] if secrets else [])
        name = "-".join(parts)
        if retry and (task.backoff_seconds, task.backoff_factor) != (0.0, 2.0):
            name += "-" + short_hash(repr(retry))
        taken = set(self.step_templates.values()) | set(self.branch_names.values())
        if name in taken:  # another override key or a branch template slugs to the same name
            name += "-" + short_hash(repr(key))
        pod = self.settings.pod
        shaping = {k: v for k, v in self.settings.template.items() if k in ("timeout", "retryStrategy")}
        if override_key:
            if override_key not in self.settings.overrides:
                known = ", ".join(sorted(self.settings.overrides)) or "none"
                raise ConfigError(f"Step {path!r} asks for Argo override {override_key!r}, which the config does not "
                                  f"define under pipeline-executor.config.overrides (defined: {known}).")
            where = f"pipeline-executor.config.overrides.{override_key}"
            override = kube.expect_mapping(self.settings.overrides[override_key], where)
            kube.only_keys(override, _DEFAULTS_KEYS, where)
            shaping = {**shaping, **template_settings(override, where)}
            pod = pod.overridden({k: v for k, v in override.items() if k not in TEMPLATE_KEYS}, where)
        mounted = kube.secret_volume(list(secrets), pod, f"Step {path!r}")  # this step's keys only
        template = self._container_template(name, ["--step", "{{inputs.parameters.step}}", "--one-attempt"],
                                            inputs=["step"], pod=pod, secrets=mounted)
        if "timeout" in shaping:
            template["timeout"] = shaping["timeout"]
        if retry:  # the step's own max_attempts wins over the configured strategy
            template["retryStrategy"] = _retry_strategy(task, path)
        elif "retryStrategy" in shaping:
            template["retryStrategy"] = shaping["retryStrategy"]
        self._reorder_outputs(template)
        self.step_templates[key] = name
        return name

    def _container_template(self, name: str, args: list[str], inputs: list[str] | None = None,
                            pod: kube.PodSettings | None = None,
                            secrets: tuple[dict[str, Any], dict[str, Any]] | None = None) -> dict[str, Any]:
        pod = pod or self.settings.pod
        template: dict[str, Any] = {"name": name}
        # Pods carry the recommended labels and their template's name; Argo's own annotation
        # workflows.argoproj.io/node-name names the step.
        template["metadata"] = {"labels": {**kube.object_labels(self.app, pod), **pod.labels,
                                           "runnable/template": name}}
        if pod.annotations:
            template["metadata"]["annotations"] = dict(sorted(pod.annotations.items()))
        if inputs:
            template["inputs"] = {"parameters": [{"name": item} for item in inputs]}
        if pod.service_account and pod.service_account != self.settings.pod.service_account:
            template["serviceAccountName"] = pod.service_account
        if pod.node_selector:
            template["nodeSelector"] = dict(sorted(pod.node_selector.items()))
        if pod.tolerations:
            template["tolerations"] = pod.tolerations
        if pod.active_deadline_seconds:
            template["activeDeadlineSeconds"] = pod.active_deadline_seconds
        if pod.pod_security() != self.settings.pod.pod_security():
            template["securityContext"] = pod.pod_security()  # a step's own relaxation, visible here
        if secrets:
            template["volumes"] = [secrets[0]]
        log_level = ["--log-level", "{{workflow.parameters.log_level}}"] if self.settings.log_level else []
        # The exposed initial parameters reach the run where it starts, after its parameters file.
        exposed = [{"name": f"RUNNABLE_PRM_{key}", "value": f"{{{{workflow.parameters.{key}}}}}"}
                   for key in self.settings.exposed] if name == START else []
        template["container"] = kube.container("main", pod, [*args, *RUN_ID_ARGS, *log_level], exposed,
                                               [secrets[1]] if secrets else None)
        self.templates[name] = template
        return template

    @staticmethod
    def _reorder_outputs(template: dict[str, Any]) -> None:
        """Keep the container last in a template, after inputs, outputs and retryStrategy."""
        template["container"] = template.pop("container")


def _retry_strategy(task: TaskSpec, path: str) -> dict[str, Any]:
    strategy: dict[str, Any] = {"limit": task.max_attempts - 1, "retryPolicy": "Always"}
    if task.backoff_seconds:
        factor = task.backoff_factor
        if factor != int(factor):
            raise DefinitionError(f"Step {path!r}: Argo's retry backoff factor must be a whole number, got {factor}.")
        strategy["backoff"] = {"duration": f"{task.backoff_seconds:g}s", "factor": int(factor)}
    return strategy


def _task(name: str, template: str, depends: str, step: str | None = None, prefix: str | None = None
          ) -> dict[str, Any]:
    task: dict[str, Any] = {"name": name, "template": template}
    if depends:
        task["depends"] = depends
    if step is not None:
        task["arguments"] = {"parameters": [{"name": "step", "value": step}]}
    if prefix is not None:
        task["arguments"] = {"parameters": [{"name": "prefix", "value": prefix}]}
    return task


def _any(terms: list[str]) -> str:
    unique = list(dict.fromkeys(terms))
    return " || ".join(unique)


def _branch_paths(plan: Plan) -> list[str]:
    """Static paths of every branch graph (and loop template) in the plan, parents first."""
    paths: list[str] = []

    def visit(graph: PlannedGraph) -> None:
        for step in graph.in_definition_order():
            if isinstance(step.node, LoopNode):
                paths.append(f"{step.path}.loop")
            if step.override or getattr(step.node, "max_parallel", 0):
                paths.append(f"{step.path}.composite")
            for sub in step.branches.values():
                paths.append(sub.path[:-1])
                visit(sub)

    if plan.graph is not None:
        visit(plan.graph)
    return paths


_EXPANDERS: dict[type, Any] = {ParallelNode: _Builder._parallel_tasks, MapNode: _Builder._map_tasks,
                               ConditionalNode: _Builder._conditional_tasks, LoopNode: _Builder._loop_tasks}
