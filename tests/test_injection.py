"""Hostile input for every target: what a user writes reaches the output exactly, or is refused.

Step names, branch keys, commands, parameter names, definition names and descriptions,
override keys, notebook arguments, env values and annotations are drawn from hostile
alphabets (YAML specials, ``{{``, ``${``, ``$(``, quotes, backslashes, line breaks of
every kind, BOM, zero-width and right-to-left marks, emoji, CJK, YAML 1.1 null-ish words,
leading and trailing blanks, thousands of characters). For every generated definition and
every target (``ir``, ``compose``, ``k8s``, ``argo``) either

- building or compiling raises a :class:`RunnableError` whose one-line message names the
  offending value, or
- the rendered text parses back (PyYAML's safe loader, JSON) to exactly the intended
  values: the embedded IR equals ``definition.to_dict()``, step names (after
  ``unquote_step_path``, or compose's ``$$``) and env values are the strings the user
  wrote, no user text reaches a place where Argo (``{{``), Kubernetes (``$(``) or compose
  (``$``) would substitute it, and the output passes ``checks.problems`` (k8s, argo) or
  the Compose Specification schema (compose).

The bugs these properties found have focused regression tests at the end of this file.

The totals per target are printed at the end of the module (run with ``-s``).
"""

from __future__ import annotations

import copy
import json
import os
import re
import string
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from runnable import (
    Conditional,
    Loop,
    Map,
    NotebookJob,
    Parallel,
    Pipeline,
    PythonJob,
    PythonTask,
    ShellJob,
    ShellTask,
    Stub,
)
from runnable.compiler import compose, gitops, render
from tests.helpers import render_manifests
from runnable.compiler.checks import problems, validate_path
from runnable.apply.manifests import with_run_arguments
from runnable.compiler.names import slug
from runnable.config import parse_config
from runnable.ir.errors import RunnableError
from runnable.ir.model import Definition, Graph, LoopNode, MapNode, TaskNode
from runnable.ir.names import quote_step_path, unquote_step_path
from runnable.ir.serialize import content_hash, dump_yaml, loads

TARGETS = ("ir", "compose", "k8s", "argo")
CASES: Counter[str] = Counter()  # "<target> rendered|refused", "<finding>" -> generated cases
FOUND: Counter[str] = Counter()  # config values the properties saw pass through on purpose
REFUSALS: Counter[str] = Counter()  # refusal messages with the values left out -> how often
SETTINGS: dict[str, Any] = dict(deadline=None, database=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
# Whole definitions shrink for many minutes; their failures are reported as generated instead.
NO_SHRINK: dict[str, Any] = dict(SETTINGS, phases=[Phase.explicit, Phase.generate])


# PyYAML's safe loader, in C when PyYAML has libyaml (the pure-Python one is ten times slower; the
# ir target is read with both).
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def safe_load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=SAFE_LOADER))  # noqa: S506 - a safe loader


def noop() -> None:
    """The function every PythonTask and PythonJob of these tests refers to."""


# ---------------------------------------------------------------------------------------- alphabets

PIECES = (
    ": ", "- ", "#", " #", "&a", "*a", "!", "!!str ", "|", "|-", ">", ">-", "'", '"', "''", "%", "@", "`", "? ", ",",
    "[", "]", "{", "}", "{}", "[]", "<<", "=", ";", "{{", "}}", "{{item}}", "{{workflow.name}}",
    "{{inputs.parameters.step}}", "{{=sprig.env('X')}}", "${", "${HOME}", "${RUNNABLE_RUN_ID}", "$HOME", "$", "$$",
    "$(", "$(HOME)", "$$(HOME)", ")", "\\", "\\n", "\\u0041", "\n", "\n\n", "\t", "\r", "\r\n", "\x85", "\u2028",
    "\u2029", "\ufeff", "\u200b", "\u200d", "\u202e", "\u2066", "\u00a0", "\u3000", "\x00", "\x07", "\x1b", "\x7f",
    "\x9f", "\ufffe", "\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "漢字", "ｆｕｌｌ", "é", "e\u0301",
    "\u05e9\u05dc\u05d5\u05dd", " ", "  ", "---", "...", "--- ", "... ", "/", "./", "../", ".", "-", "--",
)
WORDS = (
    "yes", "no", "on", "off", "y", "n", "Y", "NO", "On", "true", "False", "null", "Null", "NULL", "~", "0123", "0o17",
    "0x1f", "1e3", "1_000", "1:20", ".inf", "-.inf", ".NaN", "+1", "-0", "0.", "12", "a", "step", "main", "job",
    "success", "fail", "runnable-start", "runnable-finish", "default",
)
_CHUNK = st.one_of(st.sampled_from(PIECES), st.sampled_from(WORDS), st.text(max_size=3),
                   st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=6))
SHORT = st.lists(_CHUNK, min_size=1, max_size=8).map("".join)
LONG = st.tuples(SHORT, st.integers(40, 700)).map(lambda pair: (pair[0] * pair[1])[:6000])
PADDED = st.tuples(st.sampled_from(["", " ", "  ", "\t", "\n", "\u3000"]), SHORT,
                   st.sampled_from(["", " ", "\t", "\n", "\n\n", " \n"])).map("".join)
_PRINTABLE = [piece for piece in PIECES if piece.isprintable()]
# Multi-line text of printable lines, as scripts are: what the YAML writer keeps as '|' blocks.
SCRIPT = st.tuples(st.lists(st.lists(st.one_of(st.sampled_from(_PRINTABLE), st.sampled_from(WORDS)), max_size=5)
                            .map("".join), min_size=2, max_size=6).map("\n".join),
                   st.sampled_from(["", "\n"])).map("".join)
HOSTILE = st.one_of(SHORT, PADDED, LONG, SCRIPT, st.sampled_from(PIECES + WORDS))

_FORBIDDEN_IN_NAMES = set("./%\\")


def as_step_name(text: str) -> str:
    """The hostile text made into a name the DSL accepts (the raw text is also tried, to be refused)."""
    kept = "".join(c for c in text if c not in _FORBIDDEN_IN_NAMES and ord(c) >= 32 and ord(c) != 127)
    return kept[:200].strip() or "s"


# Characters the YAML writer escapes in a quoted key, and how long each escape is.
_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def yaml_key_fits(text: str) -> bool:
    """A plain-style YAML key must end within 1024 characters; longer ones are a known bug (see the end)."""
    return len(text) + 5 * len(_ESCAPED.findall(text)) < 1000


def mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], one_in: int) -> st.SearchStrategy[Any]:
    """``usual``, but ``rare`` once in ``one_in`` draws (one_of would weigh them alike)."""
    return st.sampled_from([False] * (one_in - 1) + [True]).flatmap(lambda pick: rare if pick else usual)


VALID_NAMES = st.one_of(SHORT, PADDED, LONG).map(as_step_name).filter(yaml_key_fits)
NAMES = mostly(VALID_NAMES, HOSTILE, 12)  # mostly accepted, sometimes refused
IDENTIFIER = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
PARAMETER_NAMES = mostly(IDENTIFIER, HOSTILE, 25)
COMMANDS = mostly(HOSTILE.filter(str.strip), st.sampled_from(["", " ", "\n", "\t \u3000\n"]), 20)
ENV_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,15}", fullmatch=True)
ENV_VALUES = mostly(HOSTILE, st.one_of(st.integers(), st.booleans(), st.none(),
                                       st.floats(allow_nan=False, allow_infinity=False)), 4)
ENV = st.dictionaries(ENV_NAMES, ENV_VALUES, max_size=4)
ANNOTATION_KEYS = st.sampled_from(["team", "note", "example.com/owner", "a.b-c.d/e_f.G"])
ANNOTATIONS = st.dictionaries(ANNOTATION_KEYS, HOSTILE, max_size=2)


def override_keys_apart(keys: list[str]) -> bool:
    """Override keys whose step templates get distinct names: the collisions are a known bug (see the end)."""
    slugs = [slug(key, 20) for key in keys if key]
    return len(set(slugs)) == len(slugs) and not any("retry" in s for s in slugs)


OVERRIDE_KEYS = st.lists(st.one_of(SHORT, LONG.map(lambda text: text[:200])), min_size=1, max_size=3,
                         unique=True).filter(override_keys_apart)


# ---------------------------------------------------------------------------------------- definitions as data

def _task(draw: Any, name: str, override_keys: list[str]) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(["shell", "shell", "python"]))
    command = draw(COMMANDS) if kind == "shell" else ""
    returns = draw(st.lists(PARAMETER_NAMES, max_size=draw(st.sampled_from([0, 1, 1, 2])), unique=True))
    secrets = draw(st.lists(PARAMETER_NAMES, max_size=draw(st.sampled_from([0, 0, 1, 2])), unique=True))
    override = draw(st.sampled_from(["", *override_keys]))
    extra = draw(st.one_of(st.none(), st.tuples(SHORT.filter(yaml_key_fits), HOSTILE)))
    attempts = draw(st.sampled_from([1, 1, 1, 3]))
    return ("task", name, kind, command, tuple(returns), tuple(secrets), override, extra, attempts)


@st.composite
def pipelines(draw: Any) -> tuple[Any, ...]:
    """A pipeline as nested tuples: ("pipeline", name, description, override keys, steps)."""
    override_keys = draw(OVERRIDE_KEYS)
    used: set[str] = set()

    def name() -> str:
        value = draw(NAMES)
        while value in used:  # unique across the definition: branches may not reuse enclosing names
            value = value[:190].rstrip() + f"~{len(used)}"
        used.add(value)
        return value

    def steps(depth: int) -> list[tuple[Any, ...]]:
        result: list[tuple[Any, ...]] = []
        for _ in range(draw(st.integers(1, 3 if depth == 0 else 2))):
            shape = draw(st.sampled_from(["task", "task", "task", "stub"] + (
                ["parallel", "map", "conditional", "loop"] if depth < 2 else [])))
            if shape == "task":
                result.append(_task(draw, name(), override_keys))
            elif shape == "stub":
                result.append(("stub", name()))
            elif shape == "parallel":
                keys = draw(st.lists(NAMES, min_size=1, max_size=2, unique=True))
                result.append(("parallel", name(), {key: steps(depth + 1) for key in keys}))
            elif shape == "map":
                result.append(("map", name(), draw(PARAMETER_NAMES), draw(PARAMETER_NAMES), steps(depth + 1)))
            elif shape == "conditional":
                default = steps(depth + 1) if draw(st.booleans()) else None
                keys = draw(st.lists(NAMES.filter(lambda key: default is None or key != "default"), min_size=1,
                                     max_size=2, unique=True))  # both 'default': a known bug (see the end)
                result.append(("conditional", name(), draw(PARAMETER_NAMES), {key: steps(depth + 1) for key in keys},
                               default))
            else:
                result.append(("loop", name(), draw(PARAMETER_NAMES), draw(PARAMETER_NAMES), steps(depth + 1)))
        return result

    return ("pipeline", draw(HOSTILE), draw(HOSTILE), tuple(override_keys), steps(0))


@st.composite
def jobs(draw: Any) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(["shell", "shell", "python", "notebook"]))
    command = draw(COMMANDS) if kind == "shell" else ""
    returns = tuple(draw(st.lists(PARAMETER_NAMES, max_size=2, unique=True)))
    secrets = tuple(draw(st.lists(PARAMETER_NAMES, max_size=2, unique=True)))
    arguments = draw(st.dictionaries(SHORT.filter(yaml_key_fits), HOSTILE, max_size=2)) if kind == "notebook" else {}
    return ("job", draw(HOSTILE), kind, command, returns, secrets, arguments)


def hostile_values(spec: Any) -> Iterator[str]:
    """Every string of a spec: a refusal must name one of them."""
    if isinstance(spec, str):
        yield spec
    elif isinstance(spec, dict):
        for key, value in spec.items():
            yield from hostile_values(key)
            yield from hostile_values(value)
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            yield from hostile_values(item)


def build(spec: tuple[Any, ...], notebook: str) -> Any:
    """The DSL object a spec describes; raises what the DSL raises."""
    if spec[0] == "job":
        _, name, kind, command, returns, secrets, arguments = spec
        common = dict(returns=list(returns), secrets=list(secrets), name=name)
        if kind == "shell":
            return ShellJob(command=command, **common)
        if kind == "python":
            return PythonJob(function=noop, **common)
        return NotebookJob(notebook=notebook, optional_ploomber_args=dict(arguments), **common)
    _, name, description, _, steps = spec
    return Pipeline(steps=_build_steps(steps), name=name, description=description)


def _build_steps(steps: list[tuple[Any, ...]]) -> list[Any]:
    built = []
    for step in steps:
        kind, name = step[0], step[1]
        if kind == "task":
            _, _, task_kind, command, returns, secrets, override, extra, attempts = step
            overrides = {"argo": override} if override else {}
            if extra is not None:
                overrides[extra[0]] = extra[1]
            common = dict(name=name, returns=list(returns), secrets=list(secrets), overrides=overrides,
                          max_attempts=attempts)
            built.append(ShellTask(command=command, **common) if task_kind == "shell"
                         else PythonTask(function=noop, **common))
        elif kind == "stub":
            built.append(Stub(name=name))
        elif kind == "parallel":
            built.append(Parallel(name=name, branches={k: Pipeline(steps=_build_steps(v)) for k, v in step[2].items()}))
        elif kind == "map":
            built.append(Map(name=name, iterate_on=step[2], iterate_as=step[3],
                             branch=Pipeline(steps=_build_steps(step[4]))))
        elif kind == "conditional":
            default = Pipeline(steps=_build_steps(step[4])) if step[4] is not None else None
            built.append(Conditional(name=name, parameter=step[2], default=default,
                                     branches={k: Pipeline(steps=_build_steps(v)) for k, v in step[3].items()}))
        else:
            built.append(Loop(name=name, break_on=step[2], index_as=step[3], max_iterations=3,
                              branch=Pipeline(steps=_build_steps(step[4]))))
    return built


# What each target should show, derived from the spec alone (not from the IR).

def spec_tasks(spec: tuple[Any, ...]) -> dict[str, tuple[str, str, tuple[str, ...], str]]:
    """internal name -> (kind, command, secrets, argo override key) of every task, branches included."""
    if spec[0] == "job":
        return {"job": (spec[2], spec[3], spec[5], "")}
    found: dict[str, tuple[str, str, tuple[str, ...], str]] = {}

    def walk(steps: list[tuple[Any, ...]], prefix: str) -> None:
        for step in steps:
            kind, name = step[0], step[1]
            if kind == "task":
                found[prefix + name] = (step[2], step[3], step[5], step[6])
            for key, branch in _branches(step):
                walk(branch, f"{prefix}{name}.{key}.")

    walk(spec[4], "")
    return found


def _branches(step: tuple[Any, ...]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    kind = step[0]
    if kind == "parallel":
        return list(step[2].items())
    if kind == "conditional":
        return list(step[3].items()) + ([("default", step[4])] if step[4] is not None else [])
    if kind in ("map", "loop"):
        return [("0", step[4])]  # the first item / iteration
    return []


def argo_steps(spec: tuple[Any, ...]) -> set[str]:
    """Internal names the Argo pods get as --step: every task and composite, in every branch."""
    if spec[0] == "job":
        return {"job"}
    found: set[str] = set()

    def walk(steps: list[tuple[Any, ...]], prefix: str) -> None:
        for step in steps:
            if step[0] != "stub":
                found.add(prefix + step[1])
            for key, branch in _branches(step):
                walk(branch, f"{prefix}{step[1]}.{key}.")

    walk(spec[4], "")
    return found


def compose_steps(spec: tuple[Any, ...]) -> set[str]:
    """Internal names of compose's step services: tasks and Parallel branches; other composites run whole."""
    if spec[0] == "job":
        return {"job"}
    found: set[str] = set()

    def walk(steps: list[tuple[Any, ...]], prefix: str) -> None:
        for step in steps:
            if step[0] != "stub":
                found.add(prefix + step[1])
            if step[0] == "parallel":
                for key, branch in step[2].items():
                    walk(branch, f"{prefix}{step[1]}.{key}.")

    walk(spec[4], "")
    return found


def ir_tasks(definition: Definition) -> dict[str, tuple[str, str, tuple[str, ...], str]]:
    """The same table as spec_tasks, read from the IR: the DSL kept every value."""
    if definition.job is not None:
        job = definition.job
        return {"job": (job.kind, job.command if job.kind == "shell" else "", tuple(job.secrets), "")}
    found: dict[str, tuple[str, str, tuple[str, ...], str]] = {}

    def walk(graph: Graph, prefix: str) -> None:
        for name, node in graph.nodes.items():
            if isinstance(node, TaskNode):
                command = node.task.command if node.task.kind == "shell" else ""
                found[prefix + name] = (node.task.kind, command, tuple(node.task.secrets),
                                        node.task.overrides.get("argo", ""))
            for key, sub in node.graphs().items():
                key = "0" if isinstance(node, (MapNode, LoopNode)) else key
                walk(sub, f"{prefix}{name}.{key}.")

    assert definition.graph is not None
    walk(definition.graph, "")
    return found


# ---------------------------------------------------------------------------------------- configurations

def config_text(value: Any) -> Any:
    """What the config means by a value: runnable's ``$$`` stands for '$' (no RUNNABLE_VAR_ is set here)."""
    return value.replace("$$", "$") if isinstance(value, str) else value


def k8s_text(value: Any) -> str:
    """How a Kubernetes env value is written: strings as they are, other scalars as YAML/JSON words."""
    value = config_text(value)
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


class Inputs:
    """One case: the definition's spec and the configuration values of every target."""

    def __init__(self, spec: tuple[Any, ...], env: dict[str, Any], override_env: list[dict[str, Any]],
                 annotations: dict[str, str], env_as_list: bool, kind: str, image: str, config_file: str) -> None:
        self.spec, self.env, self.override_env, self.annotations = spec, env, override_env, annotations
        self.env_as_list, self.kind, self.image, self.config_file = env_as_list, kind, image, config_file
        self.override_keys: tuple[str, ...] = spec[3] if spec[0] == "pipeline" else ()

    def passthrough(self) -> set[str]:
        """Config strings that reach pods on purpose, as Kubernetes/Argo manifests written by hand would."""
        values = [*self.env.values(), *self.annotations.values()]
        for env in self.override_env:
            values += list(env.values())
        return {k8s_text(v) for v in values}

    def argo_config(self) -> Any:
        overrides = {key: {"image": f"example/override-{index}:1", "env": self.override_env[index]}
                     for index, key in enumerate(self.override_keys)}
        section: dict[str, Any] = {"secret_from_k8s": "vault", "kind": self.kind, "overrides": overrides,
                                   "defaults": {"image": "example/app:1", "env": self._env()},
                                   "argoWorkflow": {"metadata": {"annotations": dict(self.annotations)}}}
        if self.kind == "CronWorkflow":
            section["cron_schedule"] = {"schedules": ["0 * * * *"], "timezone": "Europe/Paris"}
        return parse_config({"pipeline-executor": {"type": "argo", "config": section}}, "argo.yaml")

    def k8s_config(self) -> Any:
        section: dict[str, Any] = {"secret_from_k8s": "vault", "jobSpec": {"template": {
            "metadata": {"annotations": dict(self.annotations)},
            "spec": {"container": {"image": "example/app:1", "env": self._env()}}}}}
        if self.kind == "CronWorkflow":
            section["schedule"] = "0 * * * *"
        return parse_config({"pipeline-executor": {"type": "k8s-job", "config": section},
                             "job-executor": {"type": "k8s-job", "config": copy.deepcopy(section)}}, "k8s.yaml")

    def compose_config(self) -> Any:
        section = {"docker_image": self.image, "environment": dict(self.env)}
        return parse_config({"pipeline-executor": {"type": "local-container", "config": section},
                             "job-executor": {"type": "local-container", "config": copy.deepcopy(section)}},
                            "compose.yaml")

    def _env(self) -> Any:
        if self.env_as_list:
            return [{"name": k, "value": v} for k, v in self.env.items()]
        return dict(self.env)

    def k8s_env(self, env: dict[str, Any] | None = None, as_list: bool | None = None) -> list[dict[str, str]]:
        """The container env entries these values should become, in order."""
        env = self.env if env is None else env
        as_list = self.env_as_list if as_list is None else as_list
        items = list(env.items()) if as_list else sorted(env.items())
        return [{"name": k, "value": k8s_text(v)} for k, v in items]


INPUTS = st.builds(
    Inputs,
    spec=pipelines(),
    env=ENV,
    override_env=st.lists(ENV, min_size=3, max_size=3),
    annotations=ANNOTATIONS,
    env_as_list=st.booleans(),
    kind=st.sampled_from(["Workflow", "Workflow", "WorkflowTemplate", "CronWorkflow"]),
    image=st.sampled_from(["example/app:1", "reg$$istry/app:${TAG}", "app:{{tag}}",
                           "registry:5000/a/b@sha256:" + "0" * 64]),
    config_file=st.one_of(st.just(""), HOSTILE.filter(lambda text: text.strip() and "\x00" not in text)),
)


# ---------------------------------------------------------------------------------------- the properties

def refused(error: RunnableError, spec: Any, target: str) -> None:
    """A refusal is one clear line that names what it refuses (a blank value: the key it was given for)."""
    message = str(error)
    assert message and "\n" not in message, f"{target}: a multi-line refusal: {message!r}"
    values = list(hostile_values(spec))
    named = [value for value in values if value and _mentions(message, value)]
    if not named and any(not value.strip() for value in values):
        named = [key for key in ("command", "name") if key in message]
    assert named, f"{target}: the refusal names none of the inputs: {message!r}"
    CASES[f"{target} refused"] += 1
    REFUSALS[re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "…", message)[:90]] += 1


def _mentions(message: str, value: str) -> bool:
    return repr(value) in message or repr(value[:40]) in message or (len(value) > 5 and value in message)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A notebook whose own file name is hostile; it is referenced by its absolute path."""
    folder = tmp_path_factory.mktemp("notebooks")
    path = folder / "nb: {{x}} $(y) ${z} 'q' \"d\" #c é.ipynb"
    path.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    return str(path)


@pytest.fixture(scope="module", autouse=True)
def _print_totals() -> Iterator[None]:
    yield
    print("\n\ngenerated cases per target:")
    for target in TARGETS:
        print(f"  {target:8} rendered and checked {CASES[f'{target} rendered']:5}   "
              f"refused with a clear error {CASES[f'{target} refused']:5}")
    others = {key: count for key, count in CASES.items() if not key.endswith((" rendered", " refused"))}
    for key, count in sorted(others.items()):
        print(f"  {key}: {count}")
    print("refusals (each counted once per target):")
    for message, count in REFUSALS.most_common(12):
        print(f"  {count:5}  {message}")
    if FOUND:
        print("config values passed through on purpose (substituted by the orchestrator):")
        for key, count in sorted(FOUND.items()):
            print(f"  {key}: {count}")


@settings(max_examples=220, **NO_SHRINK)
@given(inputs=INPUTS)
def test_hostile_pipelines_reach_every_target_exactly_or_are_refused(inputs: Inputs, notebook: str,
                                                                      tmp_path: Path) -> None:
    check_all_targets(inputs, notebook, tmp_path)


@settings(max_examples=80, **NO_SHRINK)
@given(inputs=st.builds(Inputs, spec=jobs(), env=ENV, override_env=st.just([{}, {}, {}]), annotations=ANNOTATIONS,
                 env_as_list=st.booleans(), kind=st.sampled_from(["Workflow", "CronWorkflow"]),
                 image=st.just("example/app:1"), config_file=st.just("")))
def test_hostile_jobs_reach_every_target_exactly_or_are_refused(inputs: Inputs, notebook: str,
                                                                 tmp_path: Path) -> None:
    check_all_targets(inputs, notebook, tmp_path)


def check_all_targets(inputs: Inputs, notebook: str, tmp_path: Path) -> None:
    spec = inputs.spec
    try:
        definition = build(spec, notebook).to_ir()
    except RunnableError as error:
        for target in TARGETS:
            refused(error, spec, target)
        return
    assert ir_tasks(definition) == {name: (kind, command if kind == "shell" else "", tuple(secrets), override)
                                    for name, (kind, command, secrets, override) in spec_tasks(spec).items()}
    assert definition.name == spec[1]
    if spec[0] == "pipeline":
        assert definition.description == spec[2]
    tally(spec)
    check_ir(definition)
    for target, check in (("compose", check_compose), ("k8s", check_k8s), ("argo", check_argo)):
        try:
            check(definition, inputs, tmp_path)
        except RunnableError as error:
            if target == "argo" and known_long_task_name(str(error)):
                CASES["argo: refused by the known bug of 64-character task names (see its xfail test)"] += 1
                continue
            refused(error, [spec, inputs.env, inputs.annotations, inputs.override_env], target)


_LONG_TASK_NAME = re.compile(r"  - \S+: spec\.(?:workflowSpec\.)?templates\.\d+\.dag\.tasks\.\d+\.name: "
                             r"'[a-z0-9-]{64}' is 64 "
                             r"characters long; at most 63 are allowed \(a task name\)")


def known_long_task_name(message: str) -> bool:
    """The refusal is exactly the known bug: a step name's 50 characters + '--' + a branch key's 12."""
    lines = message.splitlines()[1:]
    return bool(lines) and all(_LONG_TASK_NAME.fullmatch(line) for line in lines)


FEATURES = {"'{{'": "{{", "'${'": "${", "'$('": "$(", "a newline": "\n", "a carriage return": "\r",
            "NEL/LS/PS": ("\x85", "\u2028", "\u2029"), "a BOM": "\ufeff", "a quote": ("'", '"'), "': '": ": ",
            "'#'": "#", "a backslash": "\\", "a right-to-left mark": ("\u202e", "\u2066", "\u05e9")}


def tally(spec: Any) -> None:
    """Which hostile features the compiled (not refused) definitions carried, for the totals."""
    values = [value for value in hostile_values(spec) if value]
    for label, needles in FEATURES.items():
        needles = (needles,) if isinstance(needles, str) else needles
        if any(needle in value for value in values for needle in needles):
            CASES[f"compiled definitions holding {label}"] += 1
    if any(len(value) >= 1000 for value in values):
        CASES["compiled definitions holding a string of 1000+ characters"] += 1
    if any(ord(c) > 0xFFFF for value in values for c in value):
        CASES["compiled definitions holding a character beyond the BMP (emoji...)"] += 1


def _utf8(text: str) -> str:
    text.encode("utf-8")  # every file is written as UTF-8
    return text


def check_ir(definition: Definition) -> None:
    data = definition.to_dict()
    text = _utf8(render(definition, "ir", fmt="yaml").text)
    assert text.startswith(f"# runnable IR v{definition.ir_version}; content hash sha256:{content_hash(definition)}\n")
    assert safe_load(text) == data and yaml.safe_load(text) == data  # libyaml and the pure-Python parser
    assert loads(text) == definition
    text = _utf8(render(definition, "ir", fmt="json").text)
    assert json.loads(text) == data and loads(text) == definition
    CASES["ir rendered"] += 1


# -- compose -------------------------------------------------------------------------------------

_COMPOSE_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
# The renderer's own variables, resolved by compose at apply time.
COMPOSE_OWN = {"RUNNABLE_UID:-0", "RUNNABLE_GID:-0", "RUNNABLE_RUN_ID:-",
               "RUNNABLE_PARAMETERS_FILE:-"}


def compose_interpolate(text: str) -> tuple[str, list[str]]:
    """What compose makes of a value: '$$' is '$'; '$NAME' and '${...}' are variables (returned by name)."""
    out: list[str] = []
    variables: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        rest = text[index + 1:]
        if rest.startswith("$"):
            out.append("$")
            index += 2
        elif rest.startswith("{"):
            end = rest.find("}")
            variables.append(rest[1:end] if end >= 0 else rest[1:])
            out.append("\0var\0")
            index += 1 + (end + 1 if end >= 0 else len(rest))
        elif _COMPOSE_NAME.match(rest):
            name = _COMPOSE_NAME.match(rest).group()  # type: ignore[union-attr]
            variables.append(name)
            out.append("\0var\0")
            index += 1 + len(name)
        else:
            out.append("$")
            index += 1
    return "".join(out), variables


def user_value(text: str) -> str:
    """A value that holds user text only: compose must read it back without substituting anything."""
    value, variables = compose_interpolate(text)
    assert not variables, f"compose would substitute {variables} in {text!r}"
    return value


def check_compose(definition: Definition, inputs: Inputs, tmp_path: Path) -> None:
    output = tmp_path / "compose-out"
    files = compose.render(definition, str(output), inputs.compose_config(), source="pipeline.py",
                           config_file=inputs.config_file)
    text = _utf8(files[compose.COMPOSE_FILE])
    assert text.splitlines()[1] == f"# IR sha256:{content_hash(definition)}"
    document = safe_load(text)
    compose.validate(document)  # the Compose Specification schema, on what the file says
    assert json.loads(_utf8(files[compose.IR_FILE])) == definition.to_dict()
    for value in _strings(document, keys=False):
        variables = compose_interpolate(value)[1]
        assert set(variables) <= COMPOSE_OWN, f"compose would substitute {variables} in {value!r}"
    env = {str(k): str(config_text(v)) for k, v in inputs.env.items()}
    env.setdefault("HOME", "/tmp")
    tasks = spec_tasks(inputs.spec)
    project = os.path.relpath(os.getcwd(), os.path.abspath(output)).replace(os.sep, "/")
    steps = set()
    for name, service in document["services"].items():
        assert user_value(service["image"]) == inputs.image.replace("$$", "$")
        command = service["command"]
        prefix = 5  # runnable execute-step IR --run-id ID [--run-id-file FILE] [-c FILE]
        if command[prefix] == "--run-id-file":
            prefix += 2
        if inputs.config_file:
            assert command[prefix] == "-c" and user_value(command[prefix + 1]) == inputs.config_file
            prefix += 2
        arguments = command[prefix:]
        assert user_value(service["volumes"][0]["source"]) == project
        found_env = dict(item.split("=", 1) for item in map(user_value, service["environment"]) if "=" in item)
        assert found_env == env
        if arguments[0] == "--step":
            internal = user_value(arguments[1])
            steps.add(internal)
            secrets = [item for item in service["environment"] if "=" not in item]
            if internal in tasks:
                assert secrets == sorted(set(tasks[internal][2]))
    assert steps == compose_steps(inputs.spec)
    CASES["compose rendered"] += 1


# -- Kubernetes and Argo ------------------------------------------------------------------------

def _strings(value: Any, keys: bool = True) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if keys:
                yield from _strings(key)
            yield from _strings(item, keys)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, keys)


def parsed_back(documents: list[dict[str, Any]], files: dict[str, str]) -> list[dict[str, Any]]:
    """The objects as the written files and the printed stream say them: equal to what was rendered."""
    from_files = [safe_load(_utf8(files[gitops.file_name(document)])) for document in documents]
    assert from_files == documents
    kustomization = safe_load(_utf8(files[gitops.KUSTOMIZATION]))
    assert set(kustomization["resources"]) <= set(files)
    printed = safe_load_all("---\n".join(dump_yaml(document) for document in documents))
    assert printed == documents
    assert problems(from_files) == []  # the checks, on what the files say
    return from_files


def check_config_map(config_map: dict[str, Any], definition: Definition) -> None:
    assert config_map["kind"] == "ConfigMap"
    assert json.loads(config_map["data"]["ir.json"]) == definition.to_dict()
    assert loads(config_map["data"]["ir.json"]) == definition
    assert config_map["metadata"]["annotations"]["runnable/ir-hash"] == f"sha256:{content_hash(definition)}"


_KUBE_EXPANSION = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def check_container(container: dict[str, Any], inputs: Inputs, own_args: set[str]) -> None:
    """Nothing of the user's reaches command or args where Kubernetes expands $(VAR); env values are exact."""
    for arg in [*container["command"], *container["args"]]:
        assert arg in own_args or "$(" not in arg, f"Kubernetes would expand {arg!r}"
    for entry in container["env"]:
        if "value" in entry and _KUBE_EXPANSION.search(entry["value"]):
            assert entry["value"] in inputs.passthrough(), entry
            FOUND["k8s/argo: an env value with $(VAR), which Kubernetes expands"] += 1


def check_k8s(definition: Definition, inputs: Inputs, tmp_path: Path) -> None:
    documents, files = render_manifests(definition, "k8s", inputs.k8s_config(), source="pipeline.py")
    config_map, workload = parsed_back(documents, files)
    check_config_map(config_map, definition)
    job = workload["spec"]["jobTemplate"] if workload["kind"] == "CronJob" else workload
    pod = job["spec"]["template"]
    assert pod["metadata"].get("annotations", {}) == {k: config_text(v) for k, v in inputs.annotations.items()}
    (container,) = pod["spec"]["containers"]
    check_container(container, inputs, {"$(RUNNABLE_JOB_NAME)-$(RUNNABLE_JOB_UID)"})
    expected = inputs.k8s_env()
    assert container["env"][3:3 + len(expected)] == expected
    secrets = sorted({s for _, _, names, _ in spec_tasks(inputs.spec).values() for s in names})
    mounted = [v["secret"] for v in pod["spec"]["volumes"] if "secret" in v]  # secrets are files, never env
    assert [item["key"] for volume in mounted for item in volume["items"]] == secrets
    CASES["k8s rendered"] += 1


# The renderer's own Argo expressions; any other '{{' in a workflow came from user text.
ARGO_OWN = re.compile(r"\{\{(?:inputs\.parameters\.(?:step|prefix|loop|index)|workflow\.parameters\.(?:run_id|"
                      r"parameters_file)|workflow\.name|item|tasks\.[a-z0-9-]+\.outputs\.parameters\."
                      r"(?:indices|branch_index|again|next))\}\}")
_STEP_ARG = re.compile(r"[A-Za-z0-9_.%-]*")


def check_argo(definition: Definition, inputs: Inputs, tmp_path: Path) -> None:
    documents, files = render_manifests(definition, "argo", inputs.argo_config(), source="pipeline.py")
    config_map, workflow = parsed_back(documents, files)
    check_config_map(config_map, definition)
    assert workflow["kind"] == inputs.kind
    assert workflow["metadata"]["annotations"] == {"runnable/ir-hash": f"sha256:{content_hash(definition)}",
                                                   **{k: config_text(v) for k, v in inputs.annotations.items()}}
    passthrough = inputs.passthrough()
    for text in _strings(workflow["spec"]):
        if text in passthrough and ("{{" in text or "}}" in text):
            FOUND["argo: a config env value with '{{', which Argo substitutes"] += 1
        else:
            left = ARGO_OWN.sub("", text)
            assert "{{" not in left and "}}" not in left, f"Argo would substitute user text {text!r}"
    spec = workflow["spec"].get("workflowSpec", workflow["spec"])
    templates = {template["name"]: template for template in spec["templates"]}
    for template in templates.values():
        if "container" in template:
            check_container(template["container"], inputs, set())
    steps = resolve_argo_steps(templates, spec["entrypoint"])
    assert set(steps) == argo_steps(inputs.spec)
    tasks = spec_tasks(inputs.spec)
    for internal, used in steps.items():
        if internal not in tasks:
            continue
        _, _, secrets, override = tasks[internal]
        (name,) = used
        container = templates[name]["container"]
        expected = inputs.k8s_env()
        image = "example/app:1"
        if override:
            index = inputs.override_keys.index(override)
            expected += inputs.k8s_env(inputs.override_env[index], as_list=False)
            image = f"example/override-{index}:1"
        assert container["image"] == image, (internal, name)
        assert container["env"][3:3 + len(expected)] == expected, (internal, name)
        assert container["env"][3 + len(expected):] == []  # secrets are files of the step's own volume
        mounted = [v["secret"] for v in templates[name].get("volumes", []) if "secret" in v]
        assert [item["key"] for volume in mounted for item in volume["items"]] == sorted(set(secrets))
    CASES["argo rendered"] += 1


def resolve_argo_steps(templates: dict[str, dict[str, Any]], entry: str) -> dict[str, set[str]]:
    """internal step name -> the templates that run it, substituting parameters as Argo would (item 0, index 0)."""
    found: dict[str, set[str]] = {}

    def substitute(text: str, params: dict[str, str]) -> str:
        def one(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("inputs.parameters."):
                return params[expression.removeprefix("inputs.parameters.")]
            if expression == "item" or expression.endswith(".outputs.parameters.next"):
                return "0"
            raise AssertionError(f"unexpected expression {match.group()!r} in {text!r}")
        return re.sub(r"\{\{(.*?)\}\}", one, text)

    def walk(name: str, params: dict[str, str], seen: frozenset[tuple[str, tuple[tuple[str, str], ...]]]) -> None:
        for task in templates[name]["dag"]["tasks"]:
            arguments = {p["name"]: substitute(p["value"], params)
                         for p in task.get("arguments", {}).get("parameters", [])}
            target = templates[task["template"]]
            if "dag" in target:
                key = (task["template"], tuple(sorted(arguments.items())))
                if key not in seen:  # a Loop template calls itself for the next iteration
                    walk(task["template"], arguments, seen | {key})
            elif "step" in arguments:
                assert _STEP_ARG.fullmatch(arguments["step"]), arguments["step"]
                found.setdefault(unquote_step_path(arguments["step"]), set()).add(task["template"])

    walk(entry, {}, frozenset())
    return found


# -- apply-time arguments -------------------------------------------------------------------------

@settings(max_examples=60, **SETTINGS)
@given(run_id=HOSTILE, parameters_file=HOSTILE)
def test_argo_run_arguments_reach_the_workflow_exactly(run_id: str, parameters_file: str) -> None:
    """``runnable apply --run-id/-p`` on an Argo Workflow: the values are written exactly."""
    definition = Pipeline(steps=[ShellTask(name="s", command="true")]).to_ir()
    documents, _ = render_manifests(definition, "argo", None)
    try:
        documents = with_run_arguments(documents, run_id, parameters_file)
    except RunnableError as error:
        refused(error, [run_id, parameters_file], "argo apply")
        return
    workflow = safe_load(_utf8(dump_yaml(documents[1])))
    values = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    assert values == {"run_id": run_id, "parameters_file": parameters_file}
    if "{{" in run_id + parameters_file:
        CASES["argo apply: a run id or parameters file with '{{' (see the xfail test)"] += 1
    CASES["argo apply rendered"] += 1


# -- names, quoting and the writer, directly --------------------------------------------------------

@settings(max_examples=300, **SETTINGS)
@given(st.lists(VALID_NAMES, min_size=1, max_size=4))
def test_quoted_step_paths_are_plain_text_and_unquote_exactly(names: list[str]) -> None:
    internal = ".".join(names)
    quoted = ".".join(quote_step_path(name) for name in names)
    assert quote_step_path(internal) == quoted
    assert _STEP_ARG.fullmatch(quoted) and unquote_step_path(quoted) == internal
    assert safe_load(dump_yaml({"value": quoted})) == {"value": quoted}
    CASES["step paths quoted"] += 1


@settings(max_examples=300, **SETTINGS)
@given(st.dictionaries(VALID_NAMES, st.one_of(HOSTILE, st.lists(HOSTILE, max_size=3)), max_size=4))
def test_hostile_keys_and_values_read_back_exactly(data: dict[str, Any]) -> None:
    assert safe_load(dump_yaml({"root": data, "list": list(data.values())})) == {"root": data,
                                                                                       "list": list(data.values())}
    CASES["yaml documents"] += 1


def test_every_piece_of_the_hostile_alphabet_reaches_every_target(tmp_path: Path, notebook: str) -> None:
    """One deterministic case per piece, so no piece depends on the generator's luck; every one compiles."""
    for index, piece in enumerate(PIECES + WORDS):
        name = as_step_name(f"a{piece}b")
        command = f"echo {piece}" if piece.strip() else f"echo '{piece}'"
        override = piece if piece.strip() and override_keys_apart([piece]) else ""
        spec = ("pipeline", f"p{piece}", piece, (override,) if override else (), [
            ("task", f"plain{index}", "python", "", (), (), "", None, 1),
            ("task", name, "shell", command, (), (), override, None, 1),
            ("parallel", f"par {name}", {name: [("task", f"in {name}", "shell", f"{piece}x", (), (), "", None, 1)]}),
        ])
        inputs = Inputs(spec, {"VALUE": piece}, [{"O": piece}, {}, {}], {"note": piece}, False, "Workflow",
                        "example/app:1", "")
        before = {target: CASES[f"{target} rendered"] for target in TARGETS}
        check_all_targets(inputs, notebook, tmp_path)
        assert all(CASES[f"{target} rendered"] == before[target] + 1 for target in TARGETS), repr(piece)
        # 'runnable validate' on the written folders reads them with its own loader and finds nothing.
        definition = build(spec, notebook).to_ir()
        written = tmp_path / f"written-{index}"
        for target, config in (("k8s", inputs.k8s_config()), ("argo", inputs.argo_config())):
            gitops.write(str(written / target), render_manifests(definition, target, config, source="p.py")[1])
        folder = written / "compose"
        folder.mkdir()
        for name, text in compose.render(definition, str(folder), inputs.compose_config()).items():
            (folder / name).write_text(text, encoding="utf-8")
        report = validate_path(str(written))
        assert report.ok and [Path(file).name for file, _ in report.skipped] == ["ir.json:1"], (repr(piece), report)


# ------------------------------------------------------------------- bugs found by the properties, fixed

def _simple(name: str = "s", command: str = "true") -> Definition:
    return Pipeline(steps=[ShellTask(name=name, command=command)]).to_ir()


def test_fixed_ir_yaml_long_escaped_step_name_as_key() -> None:
    definition = _simple(name="\ufeff" * 200)
    text = render(definition, "ir", fmt="yaml").text
    assert safe_load(text) == definition.to_dict()


def test_fixed_ir_yaml_long_override_key() -> None:
    definition = Pipeline(steps=[ShellTask(name="s", command="true", overrides={"k" * 1100: "v"})]).to_ir()
    text = render(definition, "ir", fmt="yaml").text
    assert safe_load(text) == definition.to_dict()


@pytest.mark.parametrize("target", TARGETS)
def test_fixed_lone_surrogate_is_not_refused_clearly(target: str, tmp_path: Path) -> None:
    try:
        definition = _simple(name="a\ud800b", command="echo \udfff")
        if target == "ir":
            render(definition, "ir", fmt="yaml").text
        elif target == "compose":
            files = compose.render(definition, str(tmp_path / "out"))
            for text in files.values():
                text.encode("utf-8")
        else:
            render_manifests(definition, target)
    except RunnableError:
        return
    pytest.fail(f"{target}: a lone surrogate compiled")


@pytest.mark.parametrize("target", ["compose", "k8s", "argo"])
def test_fixed_source_path_newline_breaks_out_of_the_header_comment(target: str, tmp_path: Path) -> None:
    source = "pipelines/x\nx-injected: 1\n#.py"
    if target == "compose":
        document = safe_load(compose.render(_simple(), str(tmp_path / "out"), source=source)[compose.COMPOSE_FILE])
        assert "x-injected" not in document
    else:
        documents, files = render_manifests(_simple(), target, source=source)
        assert [safe_load(files[gitops.file_name(document)]) for document in documents] == documents


@pytest.mark.parametrize("key", ["A=B", "A$B"])
def test_fixed_compose_env_key_is_not_escaped_or_refused(key: str, tmp_path: Path) -> None:
    config = parse_config({"pipeline-executor": {"type": "local-container", "config": {"environment": {key: "v"}}}},
                          "compose.yaml")
    try:
        files = compose.render(_simple(), str(tmp_path / "out"), config)
    except RunnableError:
        return
    items = safe_load(files[compose.COMPOSE_FILE])["services"]["s"]["environment"]
    env = dict(user_value(item).split("=", 1) for item in items if "=" in item)
    assert env.get(key) == "v"


def test_fixed_compose_network_and_security_values_are_interpolated(tmp_path: Path) -> None:
    config = parse_config({"pipeline-executor": {"type": "local-container", "config": {
        "network": "net$x", "security": {"tmpfs": ["/t$mp"], "security_opt": ["label=$x"]}}}}, "compose.yaml")
    service = safe_load(compose.render(_simple(), str(tmp_path / "out"), config)[compose.COMPOSE_FILE])[
        "services"]["s"]
    assert [user_value(service["network_mode"]), *map(user_value, service["tmpfs"]),
            *map(user_value, service["security_opt"])] == ["net$x", "/t$mp", "label=$x"]


def test_fixed_compose_project_path_with_dollar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "my$project"
    project.mkdir()
    monkeypatch.chdir(project)
    output = tmp_path / "out"
    service = safe_load(compose.render(_simple(), str(output))[compose.COMPOSE_FILE])["services"]["s"]
    assert user_value(service["volumes"][0]["source"]) == "../my$project"


def test_fixed_compose_job_ignores_the_job_executor_config(tmp_path: Path) -> None:
    config = parse_config({"job-executor": {"type": "local-container", "config": {
        "docker_image": "example/job:1", "environment": {"VALUE": "a: {{b}} ${c}"}}}}, "compose.yaml")
    files = compose.render(ShellJob(command="true").to_ir(), str(tmp_path / "out"), config)
    service = safe_load(files[compose.COMPOSE_FILE])["services"]["job"]
    assert service["image"] == "example/job:1"
    assert "VALUE=a: {{b}} $${c}" in service["environment"]


@pytest.mark.parametrize("target", ["k8s", "argo"])
@pytest.mark.parametrize("name", ["A=B", "line\nbreak", "ünï"])
def test_fixed_invalid_env_var_names_pass_the_checks(target: str, name: str) -> None:
    env = {"env": {name: "v"}}
    config = parse_config(
        {"pipeline-executor": {"type": "argo", "config": {"defaults": env}}} if target == "argo" else
        {"pipeline-executor": {"type": "k8s-job", "config": {"jobSpec": {"template": {"spec": {"container": env}}}}}},
        "config.yaml")
    try:
        documents, _ = render_manifests(_simple(), target, config)
    except RunnableError as error:
        assert repr(name) in str(error)
        return
    assert problems(documents), f"{target}: env name {name!r} passed the checks"


@pytest.mark.parametrize("keys", [("GPU", "gpu"), ("a b", "a-b"), ("retry3", "")])
def test_fixed_argo_override_keys_that_slug_alike_share_a_template(keys: tuple[str, str]) -> None:
    overrides = {key: {"image": f"example/{index}:1"} for index, key in enumerate(keys) if key}
    config = parse_config({"pipeline-executor": {"type": "argo", "config": {"overrides": overrides}}}, "argo.yaml")
    first = ShellTask(name="first", command="true", overrides={"argo": keys[0]})
    second = ShellTask(name="second", command="true", **({"overrides": {"argo": keys[1]}} if keys[1] else
                                                          {"max_attempts": 3}))
    try:
        documents, _ = render_manifests(Pipeline(steps=[first, second]).to_ir(), "argo", config)
    except RunnableError:
        return
    templates = {t["name"]: t for t in documents[1]["spec"]["templates"]}
    tasks = {t["name"]: templates[t["template"]] for t in templates["main"]["dag"]["tasks"]}
    assert tasks["first"]["container"]["image"] == "example/0:1"
    assert "retryStrategy" not in tasks["first"]


@pytest.mark.parametrize("branch, task", [("gpu", {"overrides": {"argo": "gpu"}}), ("retry3", {"max_attempts": 3})])
def test_argo_branch_template_and_step_template_names_stay_apart(branch: str, task: dict[str, Any]) -> None:
    """A Parallel named 'step' with a branch 'gpu' next to a task with override 'gpu' (once one template)."""
    config = parse_config({"pipeline-executor": {"type": "argo", "config": {
        "overrides": {"gpu": {"image": "example/gpu:1"}}}}}, "argo.yaml")
    pipeline = Pipeline(steps=[ShellTask(name="plain", command="true"), ShellTask(name="a", command="true", **task),
                               Parallel(name="step", branches={branch: Pipeline(steps=[ShellTask(name="x",
                                                                                                 command="true")])})])
    documents, _ = render_manifests(pipeline.to_ir(), "argo", config)
    templates = {t["name"]: t for t in documents[1]["spec"]["templates"]}
    spec = documents[1]["spec"]
    assert set(resolve_argo_steps(templates, spec["entrypoint"])) == {"plain", "a", "step", f"step.{branch}.x"}


@pytest.mark.parametrize("inner", ["override", "retry", "stub"])
def test_argo_composite_without_a_plain_task_renders(inner: str) -> None:
    """A composite's join runs the plain step template even when no task does (it once was not rendered)."""
    config = parse_config({"pipeline-executor": {"type": "argo", "config": {
        "overrides": {"gpu": {"image": "example/gpu:1"}}}}}, "argo.yaml")
    step = (Stub(name="x") if inner == "stub" else ShellTask(name="x", command="true", max_attempts=2)
            if inner == "retry" else ShellTask(name="x", command="true", overrides={"argo": "gpu"}))
    pipeline = Pipeline(steps=[Map(name="m", iterate_on="items", iterate_as="item", branch=Pipeline(steps=[step]))])
    documents, _ = render_manifests(pipeline.to_ir(), "argo", config)
    templates = {t["name"]: t for t in documents[1]["spec"]["templates"]}
    expected = {"m"} if inner == "stub" else {"m", "m.0.x"}
    assert set(resolve_argo_steps(templates, documents[1]["spec"]["entrypoint"])) == expected


@pytest.mark.parametrize("composite", ["parallel", "conditional"])
def test_fixed_argo_branch_task_names_of_64_characters(composite: str) -> None:
    branches = {"a-long-branch-key": Pipeline(steps=[ShellTask(name="x", command="true")])}
    step = (Parallel(name="s" * 60, branches=branches) if composite == "parallel" else
            Conditional(name="s" * 60, parameter="choice", branches=branches))
    documents, _ = render_manifests(Pipeline(steps=[step]).to_ir(), "argo")
    assert all(len(task["name"]) <= 63 for template in documents[1]["spec"]["templates"]
               for task in template.get("dag", {}).get("tasks", []))


def test_fixed_conditional_branch_named_default_next_to_a_default() -> None:
    branches = {"default": Pipeline(steps=[ShellTask(name="x", command="true")])}
    conditional = Conditional(name="c", parameter="choice", branches=branches,
                              default=Pipeline(steps=[ShellTask(name="y", command="true")]))
    try:
        definition = Pipeline(steps=[conditional]).to_ir()
    except RunnableError as error:
        assert "'default'" in str(error)
        return
    documents, _ = render_manifests(definition, "argo")
    templates = {t["name"]: t for t in documents[1]["spec"]["templates"]}
    assert set(resolve_argo_steps(templates, documents[1]["spec"]["entrypoint"])) == {"c", "c.default.x",
                                                                                       "c.default.y"}


def test_fixed_notebook_arguments_with_mixed_keys(notebook: str) -> None:
    try:
        render(NotebookJob(notebook=notebook, optional_ploomber_args={1: "a", "b": 2}).to_ir(), "ir")
    except RunnableError:
        return


@pytest.mark.parametrize("run_id, parameters_file", [("x{{inputs.parameters.step}}", ""),
                                                     ("", "params/{{workflow.name}}.yaml")])
def test_fixed_argo_run_arguments_with_braces_are_not_refused(run_id: str, parameters_file: str) -> None:
    documents, _ = render_manifests(_simple(), "argo")
    try:
        with_run_arguments(documents, run_id, parameters_file)
    except RunnableError:
        return
    pytest.fail("'{{' reached the Workflow's arguments")
