"""Self-tests of the Argo harness: small hand-written workflows run for real on the base image."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.argo_harness import (
    LABEL,
    HarnessError,
    _Node,
    assess_dag_phase,
    depends_names,
    evaluate_when,
    parse_depends,
    parse_duration,
    run_workflow,
)

BASE_IMAGE = os.environ.get("RUNNABLE_TEST_BASE_IMAGE", "runnable-base:local")


def _docker_problem(image: str) -> str:
    """'' when a Docker engine answers and holds ``image``, else why not."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
    except Exception as exc:  # no SDK, no daemon, no permission
        return f"no Docker engine ({exc.__class__.__name__})"
    try:
        client.images.get(image)
    except Exception:
        return f"image {image} is missing (build it with .ci/base-image.sh)"
    finally:
        client.close()
    return ""


@pytest.fixture(scope="session")
def base_image() -> str:
    """The image the workflows run on. In CI a missing Docker or image fails the test; elsewhere it skips."""
    problem = _docker_problem(BASE_IMAGE)
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"Argo harness tests need Docker in CI: {problem}")
        pytest.skip(problem)
    return BASE_IMAGE


# --------------------------------------------------------------------------------------------- builders


def workflow(templates: list[dict[str, Any]], entrypoint: str = "main", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "t-"},
            "spec": {"entrypoint": entrypoint, "templates": templates, **spec}}


def dag(name: str, tasks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "dag": {"tasks": tasks}, **extra}


def sh(name: str, script: str, image: str, **extra: Any) -> dict[str, Any]:
    """A container template running a shell script."""
    return {"name": name, "container": {"image": image, "command": ["sh", "-c"], "args": [script]}, **extra}


def py(name: str, code: str, image: str, **extra: Any) -> dict[str, Any]:
    """A container template running Python code."""
    return {"name": name, "container": {"image": image, "command": ["python3", "-c", code]}, **extra}


def task(name: str, template: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "template": template, **extra}


def args(**values: str) -> dict[str, Any]:
    return {"parameters": [{"name": key, "value": value} for key, value in values.items()]}


def inputs(*names: str) -> dict[str, Any]:
    return {"parameters": [{"name": name} for name in names]}


def output(name: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"parameters": [{"name": name, "valueFrom": {"path": path, **extra}}]}


def leftover_containers(uid: str | None = None, command: list[str] | None = None) -> list[Any]:
    """Harness containers still present: of one run (``uid``), or running this ``command``."""
    import docker

    client = docker.from_env()
    try:
        found = client.containers.list(all=True, filters={"label": f"{LABEL}={uid}" if uid else LABEL})
        return [c for c in found if command is None or c.attrs["Config"]["Entrypoint"] == command]
    finally:
        client.close()


# --------------------------------------------------------------------------------------------- phases


def test_exit_codes_set_node_and_workflow_phases(base_image: str) -> None:
    doc = workflow([dag("main", [task("a", "ok"), task("b", "boom")]),
                    sh("ok", "echo hi", base_image), sh("boom", "echo oops >&2; exit 3", base_image)])
    res = run_workflow(doc)
    assert res.phase == "Failed"
    assert res.nodes == {"main": "Failed", "main/a": "Succeeded", "main/b": "Failed"}
    assert res.pod("main/a").exit_code == 0 and res.results["main/a"] == "hi"
    assert (res.pod("main/b").exit_code, res.pod("main/b").message) == (3, "Error (exit code 3)")
    assert "oops" in res.pod("main/b").logs
    assert res.pod("main/a").pod_name.startswith("wf-test-ok-")
    assert leftover_containers(res.uid) == []


def test_a_failure_handled_by_a_failed_dependent_lets_the_workflow_succeed(base_image: str) -> None:
    doc = workflow([dag("main", [task("a", "boom"), task("handler", "ok", depends="a.Failed")]),
                    sh("ok", "true", base_image), sh("boom", "exit 1", base_image)])
    res = run_workflow(doc)
    assert res.nodes == {"main": "Succeeded", "main/a": "Failed", "main/handler": "Succeeded"}
    assert res.phase == "Succeeded"


def test_a_dependent_omitted_by_a_failure_fails_the_dag_even_when_handled(base_image: str) -> None:
    doc = workflow([dag("main", [task("a", "boom"), task("next", "ok", depends="a"),
                                 task("handler", "ok", depends="a.Failed")]),
                    sh("ok", "true", base_image), sh("boom", "exit 1", base_image)])
    res = run_workflow(doc)
    assert res.nodes == {"main": "Failed", "main/a": "Failed", "main/handler": "Succeeded", "main/next": "Omitted"}
    assert res.phase == "Failed"


def test_continue_on_failed_lets_dependents_run(base_image: str) -> None:
    doc = workflow([dag("main", [task("a", "boom", continueOn={"failed": True}), task("b", "ok", dependencies=["a"])]),
                    sh("ok", "true", base_image), sh("boom", "exit 1", base_image)])
    res = run_workflow(doc)
    assert res.nodes == {"main": "Succeeded", "main/a": "Failed", "main/b": "Succeeded"}
    assert res.phase == "Succeeded"


def test_when_false_skips_and_a_bare_dependency_accepts_a_skipped_task(base_image: str) -> None:
    side = "{{tasks.flip.outputs.parameters.side}}"
    doc = workflow([dag("main", [task("flip", "flip"),
                                 task("heads", "ok", depends="flip", when=f"{side} == heads"),
                                 task("tails", "ok", depends="flip", when=f"'{side}' == 'tails'"),
                                 task("after", "ok", depends="tails"),
                                 task("only-if-tails-ran", "ok", depends="tails.Succeeded")]),
                    sh("flip", "printf 'heads\\n' > /tmp/side", base_image, outputs=output("side", "/tmp/side")),
                    sh("ok", "true", base_image)])
    res = run_workflow(doc)
    assert res.nodes == {"main": "Succeeded", "main/flip": "Succeeded", "main/heads": "Succeeded",
                         "main/tails": "Skipped", "main/after": "Succeeded", "main/only-if-tails-ran": "Omitted"}
    assert res.outputs["main/flip"] == {"side": "heads"}


def test_missing_outputs_fall_back_to_their_default_or_error_the_node(base_image: str) -> None:
    doc = workflow([dag("main", [task("fallback", "fallback"), task("missing", "missing"), task("trim", "trim")]),
                    sh("fallback", "true", base_image, outputs=output("p", "/tmp/none", default="dflt")),
                    sh("missing", "true", base_image, outputs=output("p", "/tmp/none")),
                    sh("trim", "printf 'v\\n\\n' > /tmp/p", base_image, outputs=output("p", "/tmp/p"))])
    res = run_workflow(doc)
    assert res.outputs["main/fallback"] == {"p": "dflt"} and res.outputs["main/trim"] == {"p": "v\n"}
    assert res.nodes["main/missing"] == "Error" and "/tmp/none" in res.pod("main/missing").message
    assert res.phase == "Error"


# --------------------------------------------------------------------------------------------- fan-out, loops


def test_with_param_fans_out_over_an_output_and_joins(base_image: str) -> None:
    square = ("n = int('{{inputs.parameters.n}}'); print(n * n); open('/tmp/sq', 'w').write(str(n * n))")
    doc = workflow([
        dag("main", [task("gen", "gen"),
                     task("fan", "square", depends="gen", withParam="{{tasks.gen.outputs.parameters.items}}",
                          arguments=args(n="{{item}}")),
                     task("join", "show", depends="fan",
                          arguments=args(values="{{tasks.fan.outputs.parameters.sq}}",
                                         results="{{tasks.fan.outputs.result}}"))]),
        py("gen", "import json; open('/tmp/items', 'w').write(json.dumps([1, 2, 3]))", base_image,
           outputs=output("items", "/tmp/items")),
        py("square", square, base_image, inputs=inputs("n"), outputs=output("sq", "/tmp/sq")),
        sh("show", "echo '{{inputs.parameters.values}}'; echo '{{inputs.parameters.results}}'", base_image,
           inputs=inputs("values", "results"))])
    res = run_workflow(doc)
    assert res.phase == "Succeeded"
    assert list(res.nodes) == ["main", "main/gen", "main/fan", "main/fan(0:1)", "main/fan(1:2)", "main/fan(2:3)",
                               "main/join"]
    assert [pod.outputs for pod in res.pods_of("square")] == [{"sq": "1"}, {"sq": "4"}, {"sq": "9"}]
    assert res.pod("main/join").stdout == '["1","4","9"]\n["1","4","9"]\n'


def test_with_items_of_maps_name_nodes_like_argo_and_an_empty_list_skips(base_image: str) -> None:
    doc = workflow([dag("main", [task("each", "echo", withItems=[{"name": "a", "size": 1}, {"name": "b(x)", "size": 2}],
                                      arguments=args(msg="{{item.name}}-{{item.size}} {{item}}")),
                                 task("none", "echo", withItems=[], arguments=args(msg="{{item}}"))]),
                    sh("echo", "echo '{{inputs.parameters.msg}}'", base_image, inputs=inputs("msg"))])
    res = run_workflow(doc)
    assert res.nodes == {"main": "Succeeded", "main/each": "Succeeded", "main/each(0:name:a,size:1)": "Succeeded",
                         "main/each(1:name:bx,size:2)": "Succeeded", "main/none": "Skipped"}
    assert res.results["main/each(0:name:a,size:1)"] == 'a-1 {"name":"a","size":1}'


def test_recursion_loops_until_its_when_turns_false(base_image: str) -> None:
    step = ("i = int('{{inputs.parameters.i}}'); print(i); open('/tmp/next', 'w').write(str(i + 1));"
            "open('/tmp/more', 'w').write('yes' if i + 1 < 3 else 'no')")
    doc = workflow([
        dag("loop", [task("body", "step", arguments=args(i="{{inputs.parameters.i}}")),
                     task("again", "loop", depends="body", when="{{tasks.body.outputs.parameters.more}} == yes",
                          arguments=args(i="{{tasks.body.outputs.parameters.next}}"))], inputs=inputs("i")),
        py("step", step, base_image, inputs=inputs("i"),
           outputs={"parameters": [{"name": "next", "valueFrom": {"path": "/tmp/next"}},
                                   {"name": "more", "valueFrom": {"path": "/tmp/more"}}]})],
        entrypoint="loop", arguments={"parameters": [{"name": "i", "value": "0"}]})
    res = run_workflow(doc)
    assert res.phase == "Succeeded"
    assert [pod.stdout for pod in res.pods_of("step")] == ["0\n", "1\n", "2\n"]
    assert res.nodes == {"loop": "Succeeded", "loop/body": "Succeeded", "loop/again": "Succeeded",
                         "loop/again/body": "Succeeded", "loop/again/again": "Succeeded",
                         "loop/again/again/body": "Succeeded", "loop/again/again/again": "Skipped"}


def test_dag_outputs_come_from_its_tasks_and_claim_templates_are_shared(base_image: str) -> None:
    mounts = [{"name": "work", "mountPath": "/work"}]
    write = sh("write", "echo shared > /work/file; printf hello > /tmp/v", base_image,
               outputs=output("value", "/tmp/v"))
    read = sh("read", "cat /work/file; echo {{inputs.parameters.v}} {{inputs.parameters.a}}", base_image,
              inputs=inputs("v", "a"))
    write["container"]["volumeMounts"] = read["container"]["volumeMounts"] = mounts
    inner = dag("inner", [task("write", "write"), task("maybe", "write", depends="write", when="no == yes")],
                outputs={"parameters": [
                    {"name": "value", "valueFrom": {"parameter": "{{tasks.write.outputs.parameters.value}}"}},
                    {"name": "absent", "valueFrom": {"parameter": "{{tasks.maybe.outputs.parameters.value}}",
                                                     "default": "none"}}]})
    main = dag("main", [task("sub", "inner"),
                        task("read", "read", depends="sub",
                             arguments=args(v="{{tasks.sub.outputs.parameters.value}}",
                                            a="{{tasks.sub.outputs.parameters.absent}}"))])
    doc = workflow([main, inner, write, read], volumeClaimTemplates=[{"metadata": {"name": "work"}, "spec": {}}])
    res = run_workflow(doc)
    assert res.nodes == {"main": "Succeeded", "main/sub": "Succeeded", "main/sub/write": "Succeeded",
                         "main/sub/maybe": "Skipped", "main/read": "Succeeded"}
    assert res.outputs["main/sub"] == {"value": "hello", "absent": "none"}
    assert res.pod("main/read").stdout == "shared\nhello none\n"


def test_recursion_that_never_stops_hits_the_depth_limit() -> None:
    doc = workflow([dag("main", [task("again", "main")])])
    with pytest.raises(HarnessError, match="nested deeper"):
        run_workflow(doc, client=object())


@pytest.mark.parametrize(("tasks", "error"), [
    ([task("a", "main", depends="b"), task("b", "main", depends="a")], "depends on itself"),
    ([task("a", "main", depends="ghost")], "not a task of this DAG"),
    ([task("a", "missing")], "does not exist"),
    ([task("a", "main", depends="a.Finished")], "unknown task result")])
def test_documents_argo_would_reject_raise_before_anything_runs(tasks: list[dict[str, Any]], error: str) -> None:
    with pytest.raises(HarnessError, match=error):
        run_workflow(workflow([dag("main", tasks)]), client=object())


# --------------------------------------------------------------------------------------------- retries, exit


def test_a_step_that_fails_twice_succeeds_on_its_third_attempt(base_image: str, tmp_path: Path) -> None:
    count = ("import sys; p = '/state/count'; n = int(open(p).read()) + 1 if __import__('os').path.exists(p) else 1;"
             "open(p, 'w').write(str(n)); print('attempt {{retries}}'); sys.exit(0 if n >= 3 else 1)")
    flaky = py("flaky", count, base_image,
               retryStrategy={"limit": "3", "retryPolicy": "OnFailure",
                              "backoff": {"duration": "2s", "factor": 3, "maxDuration": "1h"}})
    flaky["container"]["volumeMounts"] = [{"name": "state", "mountPath": "/state"}]
    doc = workflow([dag("main", [task("flaky", "flaky")]), flaky],
                   volumes=[{"name": "state", "persistentVolumeClaim": {"claimName": "shared"}}])
    started = time.monotonic()
    res = run_workflow(doc, host_volumes={"shared": str(tmp_path / "shared")})
    assert res.phase == "Succeeded"
    assert res.nodes == {"main": "Succeeded", "main/flaky": "Succeeded", "main/flaky(0)": "Failed",
                         "main/flaky(1)": "Failed", "main/flaky(2)": "Succeeded"}
    assert [(b.node, b.attempt, b.seconds) for b in res.backoffs] == [("main/flaky", 0, 2.0), ("main/flaky", 1, 6.0)]
    assert [pod.stdout for pod in res.pods_of("flaky")] == ["attempt 0\n", "attempt 1\n", "attempt 2\n"]
    assert (tmp_path / "shared" / "count").read_text() == "3"
    assert time.monotonic() - started < 8.0  # the 8 s of backoff were recorded, not slept


def test_retries_stop_at_the_limit_and_follow_the_policy(base_image: str) -> None:
    doc = workflow([dag("main", [task("limited", "limited"), task("on-error", "on-error")]),
                    sh("limited", "exit 1", base_image, retryStrategy={"limit": 1}),
                    sh("on-error", "exit 1", base_image, retryStrategy={"limit": 5, "retryPolicy": "OnError"})])
    res = run_workflow(doc)
    assert res.nodes == {"main": "Failed", "main/limited": "Failed", "main/limited(0)": "Failed",
                         "main/limited(1)": "Failed", "main/on-error": "Failed", "main/on-error(0)": "Failed"}
    assert res.phase == "Failed" and res.backoffs == []


def test_the_exit_handler_runs_after_a_failure_and_sees_the_workflow_status(base_image: str) -> None:
    doc = workflow([dag("main", [task("a", "boom")]), sh("boom", "exit 2", base_image),
                    sh("report", "echo '{{workflow.status}}'; echo '{{workflow.failures}}'", base_image)],
                   onExit="report")
    res = run_workflow(doc)
    assert res.phase == "Failed"
    assert res.nodes["onExit"] == "Succeeded"
    status, failures = res.pod("onExit").stdout.splitlines()
    assert status == "Failed"
    assert {(f["displayName"], f["phase"]) for f in json.loads(failures)} == {("a", "Failed"), ("wf-test", "Failed")}


def test_a_failing_exit_handler_fails_a_successful_workflow(base_image: str) -> None:
    doc = workflow([sh("main", "true", base_image), sh("report", "echo {{workflow.status}}; exit 1", base_image)],
                   onExit="report")
    res = run_workflow(doc)
    assert res.nodes == {"main": "Succeeded", "onExit": "Failed"}
    assert res.pod("onExit").stdout == "Succeeded\n"
    assert res.phase == "Failed"


# --------------------------------------------------------------------------------------------- pods


def test_secret_env_field_refs_and_kubernetes_variable_expansion(base_image: str) -> None:
    template = sh("main", 'echo "$TOKEN|$POD|$WF|$GREETING|$EXTRA|$(TOKEN)"', base_image)
    template["container"]["env"] = [
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "WF", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['workflows.argoproj.io/workflow']"}}},
        {"name": "GREETING", "value": "hi $(TOKEN)"}]
    res = run_workflow(workflow([template]), secrets={("creds", "token"): "s3cret"}, extra_env={"EXTRA": "x"})
    assert res.pod("main").stdout == "s3cret|wf-test|wf-test|hi s3cret|x|s3cret\n"
    with pytest.raises(HarnessError, match="no secret value"):
        run_workflow(workflow([template]))


def test_pvc_sub_paths_config_map_files_and_empty_dirs_are_mounted(base_image: str, tmp_path: Path) -> None:
    script = ("cat /etc/cfg/conf/app.yaml > /data/copy.txt; ls /etc/cfg; (touch /etc/cfg/x 2>/dev/null || echo ro);"
              "test -z \"$(ls /scratch)\" && echo empty; touch /scratch/f")
    template = sh("main", script, base_image, outputs=output("copied", "/data/copy.txt"))
    template["container"]["volumeMounts"] = [{"name": "data", "mountPath": "/data", "subPath": "runs/r1"},
                                             {"name": "cfg", "mountPath": "/etc/cfg"},
                                             {"name": "scratch", "mountPath": "/scratch"}]
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "runs"}},
               {"name": "cfg", "configMap": {"name": "settings", "items": [{"key": "app", "path": "conf/app.yaml"}]}},
               {"name": "scratch", "emptyDir": {}}]
    doc = workflow([dag("main", [task("a", "copy"), task("b", "copy", depends="a")]), {**template, "name": "copy"}],
                   volumes=volumes)
    res = run_workflow(doc, host_volumes={"runs": str(tmp_path)},
                       config_maps={"settings": {"app": "debug: true\n", "unused": "x"}})
    assert res.phase == "Succeeded"
    assert (tmp_path / "runs" / "r1" / "copy.txt").read_text() == "debug: true\n"
    assert res.pod("main/b").stdout == "conf\nro\nempty\n"  # a fresh emptyDir per pod
    assert res.outputs["main/a"] == {"copied": "debug: true"}


def test_cron_workflow_with_defaults_parameters_and_an_image_override(base_image: str) -> None:
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "nightly"},
           "spec": {"schedule": "0 0 * * *", "workflowSpec": {
               "entrypoint": "main", "arguments": {"parameters": [{"name": "greeting", "value": "hello"}]},
               "templateDefaults": {"container": {"env": [{"name": "FROM_DEFAULTS", "value": "yes"}]}},
               "templates": [sh("main", 'echo "{{workflow.parameters.greeting}} {{workflow.name}} $FROM_DEFAULTS"',
                                "never-pulled:latest")]}}}
    res = run_workflow(doc, parameters={"greeting": "bonjour"}, image=base_image, workflow_name="cron-1")
    assert res.phase == "Succeeded"
    assert res.pod("main").stdout == "bonjour cron-1 yes\n" and res.pod("main").image == base_image


def test_unresolved_expressions_raise_before_any_container_is_made(base_image: str) -> None:
    no_docker = object()  # any use of the client would fail with AttributeError instead
    unknown_input = workflow([sh("main", "echo {{inputs.parameters.nope}}", base_image)])
    with pytest.raises(HarnessError, match=r"inputs\.parameters\.nope"):
        run_workflow(unknown_input, client=no_docker)
    not_an_ancestor = workflow([dag("main", [task("a", "ok"),
                                             task("b", "echo", arguments=args(m="{{tasks.a.outputs.result}}"))]),
                                sh("ok", "echo hi", base_image),
                                sh("echo", "echo {{inputs.parameters.m}}", base_image, inputs=inputs("m"))])
    with pytest.raises(HarnessError, match=r"tasks\.a\.outputs\.result"):
        run_workflow(not_an_ancestor, client=no_docker)
    status_outside_exit = workflow([sh("main", "echo {{workflow.status}}", base_image)])
    with pytest.raises(HarnessError, match="exit handler"):
        run_workflow(status_outside_exit, client=no_docker)
    unknown_item = workflow([dag("main", [task("a", "echo", withItems=[{"x": 1}], arguments=args(m="{{item.y}}"))]),
                             sh("echo", "echo {{inputs.parameters.m}}", base_image, inputs=inputs("m"))])
    with pytest.raises(HarnessError, match=r"item\.y"):
        run_workflow(unknown_item, client=no_docker)


def test_ctrl_c_during_a_pod_leaves_no_container(base_image: str) -> None:
    script = ["sh", "-c", "sleep 61.5"]
    doc = workflow([{"name": "main", "container": {"image": base_image, "command": script}}])
    code = f"from tests.argo_harness import run_workflow\nrun_workflow({doc!r})\n"
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(c.status == "running"
                                                      for c in leftover_containers(command=script)):
            time.sleep(0.2)
        assert leftover_containers(command=script), "the pod never started"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert b"KeyboardInterrupt" in err
    assert leftover_containers(command=script) == []


# --------------------------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(("expression", "expected"), [
    ("heads == heads", True), ("heads != heads", False), ("'a b' == 'a b'", True), ("3 == 3.0", True),
    ("3 == '3'", False), ("2 < 10", True), ("true && !false", True), ("(1 > 2) || yes == yes", True),
    ("abc =~ '^a'", True), ("-1 < 0", True)])
def test_when_follows_govaluate(expression: str, expected: bool) -> None:
    assert evaluate_when(expression) is expected


@pytest.mark.parametrize("expression", ["a-b == c", "1 &&", "yes", "(a == b"])
def test_a_when_argo_could_not_evaluate_raises(expression: str) -> None:
    with pytest.raises(HarnessError):
        evaluate_when(expression)


def test_depends_binds_and_tighter_than_or() -> None:
    tree = parse_depends("a.Failed || b && !(c-d.Succeeded)")
    assert tree == ("or", ("ref", "a", "Failed"), ("and", ("ref", "b", None), ("not", ("ref", "c-d", "Succeeded"))))
    assert depends_names(tree) == ["a", "b", "c-d"]
    with pytest.raises(HarnessError, match="unknown task result"):
        parse_depends("a.Finished")


def test_durations_are_seconds_or_go_durations() -> None:
    assert [parse_duration(text) for text in ("5", "1m30s", "250ms", "2h")] == [5.0, 90.0, 0.25, 7200.0]
    with pytest.raises(HarnessError):
        parse_duration("soon")


def _nodes(*specs: tuple[str, str, str, list[str]]) -> dict[str, _Node]:
    return {name: _Node(name, name, kind, "t", phase, children=children) for name, kind, phase, children in specs}


def test_dag_phase_prefers_the_first_failing_target_with_fail_fast_and_the_last_without() -> None:
    nodes = _nodes(("dag", "DAG", "Running", ["dag.a", "dag.b"]), ("dag.a", "Pod", "Error", []),
                   ("dag.b", "Pod", "Failed", []))
    targets = [("dag.a", {}), ("dag.b", {})]
    assert assess_dag_phase(nodes, "dag", targets, fail_fast=True) == "Error"
    assert assess_dag_phase(nodes, "dag", targets, fail_fast=False) == "Failed"
    assert assess_dag_phase(nodes, "dag", [("dag.a", {"continueOn": {"error": True}}), ("dag.b", {})], True) == "Failed"


def test_dag_phase_lets_an_omitted_target_inherit_its_branch() -> None:
    nodes = _nodes(("dag", "DAG", "Running", ["dag.a"]), ("dag.a", "Pod", "Succeeded", ["dag.b"]),
                   ("dag.b", "Skipped", "Omitted", []))
    assert assess_dag_phase(nodes, "dag", [("dag.b", {})], True) == "Succeeded"
    nodes["dag.a"].phase = "Failed"
    assert assess_dag_phase(nodes, "dag", [("dag.b", {})], True) == "Failed"
