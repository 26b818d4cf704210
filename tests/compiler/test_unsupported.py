"""One table: definitions x every registered target -> what is rendered, or the error that explains why not.

Whatever a target cannot express is refused naming the step, the field and what to do instead;
everything else is honoured (never silently dropped).
"""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest
import yaml

from runnable import Map, Parallel, Pipeline, PythonJob, PythonTask
from runnable.compiler import base, render
from runnable.config import parse_config
from runnable.ir.errors import RunnableError

FN = "examples.common.functions:hello"


def _task(name: str, **overrides: str) -> PythonTask:
    from examples.common.functions import hello

    return PythonTask(name=name, function=hello, overrides=overrides or None)


def _map(inner: PythonTask) -> Pipeline:
    return Pipeline(steps=[Map(name="fan", iterate_on="items", iterate_as="x", branch=Pipeline(steps=[inner]))])


def _parallel(inner: PythonTask) -> Pipeline:
    return Pipeline(steps=[Parallel(name="par", branches={"a": Pipeline(steps=[inner]),
                                                         "b": Pipeline(steps=[_task("plain")])})])


def _job(**overrides: str) -> PythonJob:
    from examples.common.functions import hello

    return PythonJob(function=hello, overrides=overrides or None)


def _overridden(node: Any, **overrides: str) -> Any:
    """A composite carrying overrides (YAML pipelines write them on map/parallel/conditional/loop steps)."""
    node.overrides = dict(overrides)
    return node


def _composite_override(target: str, name: str) -> Any:
    ir = _map(_task("inner")).to_ir()
    assert ir.graph is not None
    _overridden(ir.graph.nodes["fan"], **{target: name})
    return ir


DEFINITIONS: dict[str, Callable[[], Any]] = {
    "linear": lambda: Pipeline(steps=[_task("one"), _task("two")]),
    "container override": lambda: Pipeline(steps=[_task("one", **{"local-container": "gpu"}), _task("two")]),
    "container override in a map": lambda: _map(_task("inner", **{"local-container": "gpu"})),
    "container override in a parallel": lambda: _parallel(_task("inner", **{"local-container": "gpu"})),
    "undefined container override": lambda: Pipeline(steps=[_task("one", **{"local-container": "nope"})]),
    "k8s override in a pipeline": lambda: Pipeline(steps=[_task("one", **{"k8s-job": "big"})]),
    "k8s override on a job": lambda: _job(**{"k8s-job": "big"}),
    "argo override": lambda: Pipeline(steps=[_task("one", argo="big")]),
    "undefined argo override": lambda: Pipeline(steps=[_task("one", argo="nope")]),
    "argo override on a map": lambda: _composite_override("argo", "seq"),
    "argo pod override on a map": lambda: _composite_override("argo", "big"),
    "k8s override on a map": lambda: _composite_override("k8s-job", "big"),
    "container override on a map": lambda: _composite_override("local-container", "gpu"),
}

CONFIGS = {
    "compose": {"pipeline-executor": {"type": "local-container", "config": {
        "docker_image": "base:1", "overrides": {"gpu": {"docker_image": "gpu:1", "environment": {"CUDA": "1"},
                                                        "resources": {"cpus": "2", "memory": "4g"}}}}},
                "job-executor": {"type": "local-container", "config": {"docker_image": "base:1"}}},
    "k8s": {"pipeline-executor": {"type": "k8s-job", "config": {"overrides": {"big": {"image": "big:1"}}}},
            "job-executor": {"type": "k8s-job", "config": {"overrides": {"big": {"image": "big:1"}}}}},
    "argo": {"pipeline-executor": {"type": "argo", "config": {"overrides": {"big": {"image": "big:1"},
                                                                            "seq": {"parallelism": 1}}}}},
}

RENDERS_NOTHING = "runs definitions; it renders nothing"
WHOLE_MAP = r"Step 'fan\.each\.inner' asks for override 'gpu' \(overrides\['local-container'\]\), but the compose target runs the composite 'fan' in one container.*argo"  # noqa: E501
WHOLE_PIPELINE = r"Step 'one' asks for override 'big' \(overrides\['k8s-job'\]\), but the k8s target runs the whole pipeline in one container.*argo"  # noqa: E501


COMPOSITE_REFUSED = (r"Step '{path}' is a composite with override '{name}' \(overrides\['{key}'\]\), but the "
                     r"{target} target has no construct.*put it on the task steps inside it, or use the argo target")


def _template(rendered: Any, name: str) -> dict[str, Any]:
    workflow = rendered.documents[1]
    return next(t for t in workflow["spec"]["templates"] if t["name"] == name)


def _images(rendered: Any, target: str) -> set[str]:
    if target == "compose":
        services = yaml.safe_load(rendered.files["docker-compose.yaml"])["services"]
        return {s["image"] for s in services.values()}
    text = rendered.text
    return set(re.findall(r"image: (\S+)", text))


def _compose_service(rendered: Any, name: str) -> dict[str, Any]:
    return yaml.safe_load(rendered.files["docker-compose.yaml"])["services"][name]


# (definition, target) -> a check of the rendering, or an error pattern; anything not listed must render.
EXPECTED: dict[tuple[str, str], Any] = {
    ("container override", "compose"): lambda r: (
        _compose_service(r, "one")["image"] == "gpu:1" and "CUDA=1" in _compose_service(r, "one")["environment"]
        and _compose_service(r, "one")["cpus"] == "2" and _compose_service(r, "one")["mem_limit"] == "4g"
        and _compose_service(r, "two")["image"] == "base:1"),
    ("container override in a map", "compose"): WHOLE_MAP,
    ("container override in a parallel", "compose"): lambda r: (
        _compose_service(r, "par-a-inner")["image"] == "gpu:1"
        and _compose_service(r, "par-b-plain")["image"] == "base:1"),
    ("undefined container override", "compose"): "Step 'one' asks for override 'nope'.*defined: gpu",
    ("k8s override in a pipeline", "k8s"): WHOLE_PIPELINE,
    ("k8s override on a job", "k8s"): lambda r: _images(r, "k8s") == {"big:1"},
    ("argo override", "argo"): lambda r: {"big:1", "runnable-project:latest"} <= _images(r, "argo"),
    ("undefined argo override", "argo"): "Step 'one' asks for Argo override 'nope'.*defined: big, seq",
    ("argo override on a map", "argo"): lambda r: _template(r, "fan-composite").get("parallelism") == 1,
    ("argo pod override on a map", "argo"): (r"Step 'fan' is a map with Argo override 'big', which sets image: "
                                             r"on a composite step only failFast, parallelism apply"),
    ("k8s override on a map", "k8s"): COMPOSITE_REFUSED.format(path="fan", name="big", key="k8s-job", target="k8s"),
    ("container override on a map", "compose"): COMPOSITE_REFUSED.format(path="fan", name="gpu", key="local-container",
                                                                         target="compose"),
}


def _cases() -> list[tuple[str, str]]:
    return [(definition, target) for definition in DEFINITIONS for target in base.REGISTRY]


@pytest.mark.parametrize("definition, target", _cases())
def test_every_definition_on_every_target(definition: str, target: str, project: Any) -> None:
    built = DEFINITIONS[definition]()
    ir = built.to_ir() if hasattr(built, "to_ir") else built
    config = parse_config(CONFIGS.get(target, {}), f"{target}.yaml")
    expected = EXPECTED.get((definition, target))
    if not base.target(target).output:
        expected = RENDERS_NOTHING
    if isinstance(expected, str):
        with pytest.raises(RunnableError, match=expected):
            render(ir, target, config, source="p.py", output=str(project / "out"))
        return
    rendered = render(ir, target, config, source="p.py", output=str(project / "out"))
    assert rendered.text or rendered.files
    if expected is not None:
        assert expected(rendered), f"{definition} on {target} was not honoured"


def test_the_table_covers_every_registered_target() -> None:
    targets = {target for _, target in _cases()}
    assert targets == set(base.REGISTRY)
    assert {target for _, target in EXPECTED} <= targets
