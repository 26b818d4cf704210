"""checkov on the golden Kubernetes and Argo manifests, with the repository's .checkov.yaml.

One checkov run per module scans a scratch folder holding:

- copies of every golden ``k8s`` and ``argo`` folder (ConfigMap + Job, ConfigMap + Workflow);
- ``argo-pods/``: for each golden Workflow, the Pods Argo makes from its container templates
  (pod-level fields from the template, else the workflow). checkov's Kubernetes checks do
  not read Workflows and its Argo framework has two checks, so this is how the step pods
  get the same checks as a Job's pod;
- ``weakened/``: copies of a golden Job and Workflow with one safeguard removed each, which
  must fail with the expected check ids.

checkov lives in its own venv (``bash .ci/checkov.sh``); without it CI fails and other
machines skip. The scan is offline (``skip-download`` in the config, no update check).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "golden"
CONFIG = REPO / ".checkov.yaml"
DOCS = REPO / "docs" / "security.md"
INSTALL = "bash .ci/checkov.sh"
TARGETS = ("k8s", "argo")
WEAK_JOB = GOLDEN / "01-tasks" / "python_tasks" / "k8s" / "job-python-tasks.yaml"
WEAK_WORKFLOW = GOLDEN / "03-parameters" / "use_secrets" / "argo" / "workflow-use-secrets.yaml"

# Skipped on the Argo step pods only: the same checks pass on the k8s target's Jobs, where
# they must keep running. Each reason is also in docs/security.md.
ARGO_POD_SKIPS: dict[str, str] = {}

# Checks every pod we render must pass: resources, privileges, host namespaces, capabilities,
# root filesystem, user, seccomp, service account token.
POD_CHECKS = {
    "CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13",  # cpu/memory requests and limits
    "CKV_K8S_16", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19",  # privileged, host PID/IPC/network
    "CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23",  # privilege escalation, read-only root fs, non-root
    "CKV_K8S_25", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39",  # capabilities: none added, ALL dropped
    "CKV_K8S_26", "CKV_K8S_27",  # no hostPort, no docker socket
    "CKV_K8S_29", "CKV_K8S_30", "CKV_K8S_31",  # pod and container securityContext, seccomp profile
    "CKV_K8S_38",  # service account token not mounted (Argo step pods: see ARGO_POD_SKIPS)
}
WORKFLOW_CHECKS = {"CKV_ARGO_1", "CKV_ARGO_2"}  # not the default service account; runAsNonRoot


# -- the scan ------------------------------------------------------------------------------------


def _checkov() -> str:
    local = REPO / ".venv-checkov" / "bin" / "checkov"
    found = str(local) if local.exists() else shutil.which("checkov")
    if not found:
        why = f"checkov is not installed; install it with `{INSTALL}`"
        if os.environ.get("CI"):
            pytest.fail(f"the checkov tests need checkov in CI: {why}")
        pytest.skip(why)
    return found


def argo_pods(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """The Pods Argo creates for a workflow's container templates, as far as the manifest decides them."""
    spec, meta = workflow["spec"], workflow["metadata"]
    name = (meta.get("name") or meta.get("generateName") or "workflow").rstrip("-")
    pods = []
    for template in spec.get("templates", []):
        if "container" not in template:
            continue
        pod: dict[str, Any] = {"restartPolicy": "Never"}
        for key in ("serviceAccountName", "automountServiceAccountToken", "securityContext"):
            if key in template or key in spec:
                pod[key] = template.get(key, spec.get(key))
        for key in ("hostNetwork", "imagePullSecrets"):  # workflow-level only
            if key in spec:
                pod[key] = spec[key]
        if "activeDeadlineSeconds" in template:
            pod["activeDeadlineSeconds"] = template["activeDeadlineSeconds"]
        node_selector = {**spec.get("nodeSelector", {}), **template.get("nodeSelector", {})}
        if node_selector:
            pod["nodeSelector"] = node_selector
        tolerations = [*spec.get("tolerations", []), *template.get("tolerations", [])]
        if tolerations:
            pod["tolerations"] = tolerations
        pod["containers"] = [template["container"]]
        pod["volumes"] = spec.get("volumes", [])
        metadata: dict[str, Any] = {"name": f"{name}-{template['name']}"[:63].rstrip("-")}
        if meta.get("namespace"):
            metadata["namespace"] = meta["namespace"]
        metadata["labels"] = (template.get("metadata") or {}).get("labels", {})
        metadata["annotations"] = {f"checkov.io/skip{index}": f"{check}={reason}"
                                   for index, (check, reason) in enumerate(sorted(ARGO_POD_SKIPS.items()), 1)}
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod})
    return pods


def _write_pods(path: Path, workflow: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(argo_pods(workflow), sort_keys=False))


def _pod_spec(job: dict[str, Any]) -> dict[str, Any]:
    return job["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def _main(job: dict[str, Any]) -> dict[str, Any]:
    return _pod_spec(job)["containers"][0]  # type: ignore[no-any-return]


def _drop_security_contexts(job: dict[str, Any]) -> None:
    del _pod_spec(job)["securityContext"], _main(job)["securityContext"]


def _run_as_root(job: dict[str, Any]) -> None:
    _pod_spec(job)["securityContext"].update(runAsNonRoot=False, runAsUser=0)
    _main(job)["securityContext"]["runAsNonRoot"] = False


def _host_namespaces(job: dict[str, Any]) -> None:
    _pod_spec(job).update(hostPID=True, hostIPC=True, hostNetwork=True)


# A golden Job with one safeguard removed, and the checks that must then fail.
JOB_WEAKENINGS: dict[str, tuple[Callable[[dict[str, Any]], None], set[str]]] = {
    "privileged": (lambda job: _main(job)["securityContext"].update(privileged=True), {"CKV_K8S_16"}),
    "privilege-escalation": (lambda job: _main(job)["securityContext"].update(allowPrivilegeEscalation=True),
                             {"CKV_K8S_20"}),
    "writable-root-filesystem": (lambda job: _main(job)["securityContext"].update(readOnlyRootFilesystem=False),
                                 {"CKV_K8S_22"}),
    "run-as-root": (_run_as_root, {"CKV_K8S_23"}),
    "added-capabilities": (lambda job: _main(job)["securityContext"].update(
        capabilities={"add": ["NET_RAW", "SYS_ADMIN"]}), {"CKV_K8S_25", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39"}),
    "no-security-context": (_drop_security_contexts,
                            {"CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_29", "CKV_K8S_30",
                             "CKV_K8S_31", "CKV_K8S_37"}),
    "no-seccomp-profile": (lambda job: _pod_spec(job)["securityContext"].pop("seccompProfile"), {"CKV_K8S_31"}),
    "no-limits": (lambda job: _main(job)["resources"].pop("limits"), {"CKV_K8S_11", "CKV_K8S_13"}),
    "no-resources": (lambda job: _main(job).pop("resources"),
                     {"CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"}),
    "service-account-token": (lambda job: _pod_spec(job).update(automountServiceAccountToken=True), {"CKV_K8S_38"}),
    "host-namespaces": (_host_namespaces, {"CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"}),
}


def _workflow_without_security(workflow: dict[str, Any]) -> None:
    del workflow["spec"]["securityContext"], workflow["spec"]["serviceAccountName"]


def _privileged_steps(workflow: dict[str, Any]) -> None:
    for template in workflow["spec"]["templates"]:
        if "container" in template:
            template["container"]["securityContext"] = {"privileged": True}


# A golden Workflow weakened, and the checks that must then fail (Workflow and step pods).
WORKFLOW_WEAKENINGS: dict[str, tuple[Callable[[dict[str, Any]], None], set[str]]] = {
    "workflow-default-sa-and-root": (_workflow_without_security,
                                     {"CKV_ARGO_1", "CKV_ARGO_2", "CKV_K8S_29", "CKV_K8S_31"}),
    "workflow-privileged-steps": (_privileged_steps,
                                  {"CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_28", "CKV_K8S_37"}),
}


def _golden_folders() -> list[Path]:
    return sorted(folder for target in TARGETS for folder in GOLDEN.glob(f"*/*/{target}") if folder.is_dir())


class Scan:
    """checkov's findings for the scratch folder, each with its path relative to that folder."""

    def __init__(self, findings: list[dict[str, str]], summaries: dict[str, dict[str, Any]]) -> None:
        self.findings = findings
        self.summaries = summaries

    def under(self, prefix: str, status: str | None = None) -> list[dict[str, str]]:
        return [f for f in self.findings if f["path"].startswith(prefix) and status in (None, f["status"])]


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    checkov = _checkov()
    root = tmp_path_factory.mktemp("checkov") / "scan"
    for folder in _golden_folders():
        shutil.copytree(folder, root / folder.relative_to(REPO))
    for path in sorted(GOLDEN.glob("*/*/argo/*.yaml")):
        document = yaml.safe_load(path.read_text())
        if document.get("kind") in ("Workflow", "WorkflowTemplate", "CronWorkflow"):
            group, example = path.parts[-4], path.parts[-3]
            _write_pods(root / "argo-pods" / f"{group}--{example}.yaml", document)
    job = yaml.safe_load(WEAK_JOB.read_text())
    for name, (weaken, _) in JOB_WEAKENINGS.items():
        weak = copy.deepcopy(job)
        weaken(weak)
        (root / "weakened" / name).mkdir(parents=True)
        (root / "weakened" / name / "job.yaml").write_text(yaml.safe_dump(weak, sort_keys=False))
    workflow = yaml.safe_load(WEAK_WORKFLOW.read_text())
    for name, (weaken, _) in WORKFLOW_WEAKENINGS.items():
        weak = copy.deepcopy(workflow)
        weaken(weak)
        (root / "weakened" / name).mkdir(parents=True)
        (root / "weakened" / name / "workflow.yaml").write_text(yaml.safe_dump(weak, sort_keys=False))
        _write_pods(root / "weakened" / name / "pods.yaml", weak)

    command = [checkov, "--config-file", str(CONFIG), "-d", str(root), "--framework", "kubernetes", "argo_workflows",
               "--compact", "-o", "json"]
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    result = subprocess.run(command, cwd=root.parent, env=env, capture_output=True, text=True, timeout=600)
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no JSON (exit {result.returncode}):\n"
                    f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    findings: list[dict[str, str]] = []
    summaries: dict[str, dict[str, Any]] = {}
    for report in data if isinstance(data, list) else [data]:
        if "results" not in report:  # a framework that found nothing to scan
            continue
        framework = report["check_type"]
        summaries[framework] = report["summary"]
        for status in ("passed", "failed", "skipped"):
            for item in report["results"][f"{status}_checks"]:
                findings.append({"framework": framework, "status": status, "check_id": item["check_id"],
                                 "path": Path(item["file_abs_path"]).resolve().relative_to(root.resolve()).as_posix(),
                                 "resource": item["resource"]})
    return Scan(findings, summaries)


def _summary(findings: list[dict[str, str]]) -> str:
    lines = []
    for framework in sorted({f["framework"] for f in findings}):
        mine = [f for f in findings if f["framework"] == framework]
        counts = Counter(f["status"] for f in mine)
        lines.append(f"{framework}: passed {counts['passed']}, failed {counts['failed']}, "
                     f"skipped {counts['skipped']}")
        for status in ("passed", "failed", "skipped"):
            ids = sorted({f["check_id"] for f in mine if f["status"] == status})
            if ids:
                lines.append(f"  {status}: {' '.join(ids)}")
    return "\n".join(lines)


def _failures(findings: list[dict[str, str]]) -> str:
    return "\n".join(f"{f['check_id']} {f['path']} {f['resource']}" for f in findings if f["status"] == "failed")


def _passed_by_file(findings: list[dict[str, str]]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for finding in findings:
        if finding["status"] == "passed":
            result.setdefault(finding["path"], set()).add(finding["check_id"])
    return result


# -- the golden manifests pass -------------------------------------------------------------------


def test_golden_manifests_pass_checkov(scan: Scan) -> None:
    golden = scan.under("golden/")
    print(f"checkov on {len(_golden_folders())} golden folders:\n{_summary(golden)}")
    assert not [f for f in golden if f["status"] == "failed"], _failures(golden)
    assert not [f for f in golden if f["status"] == "skipped"]  # only the config skips, none inline
    for framework, summary in scan.summaries.items():
        assert summary["parsing_errors"] == 0, framework

    # Every Job and Workflow was read, and the checks that matter ran on each and passed.
    passed = _passed_by_file(golden)
    jobs = sorted(p.relative_to(REPO).as_posix() for p in GOLDEN.glob("*/*/k8s/*.yaml")
                  if yaml.safe_load(p.read_text()).get("kind") in ("Job", "CronJob"))
    workflows = sorted(p.relative_to(REPO).as_posix() for p in GOLDEN.glob("*/*/argo/*.yaml")
                       if yaml.safe_load(p.read_text()).get("kind") in ("Workflow", "WorkflowTemplate", "CronWorkflow"))
    assert len(jobs) >= 30 and len(workflows) >= 30
    for job in jobs:
        assert POD_CHECKS <= passed.get(job, set()), f"{job}: not passed {sorted(POD_CHECKS - passed.get(job, set()))}"
    for workflow in workflows:
        assert WORKFLOW_CHECKS <= passed.get(workflow, set()), workflow
    # Beyond those, the kubernetes framework runs its control-plane and workload checks on each Job.
    assert len({f["check_id"] for f in golden if f["status"] == "passed"}) >= 50


def test_argo_step_pods_pass_checkov(scan: Scan) -> None:
    pods = scan.under("argo-pods/")
    print(f"checkov on the Argo step pods:\n{_summary(pods)}")
    assert not [f for f in pods if f["status"] == "failed"], _failures(pods)
    assert {f["check_id"] for f in pods if f["status"] == "skipped"} == set(ARGO_POD_SKIPS)
    workflows = list(GOLDEN.glob("*/*/argo/workflow-*.yaml"))
    assert len({f["path"] for f in pods}) == len(workflows)
    by_pod: dict[str, set[str]] = {}
    for finding in pods:
        if finding["status"] == "passed":
            by_pod.setdefault(finding["resource"], set()).add(finding["check_id"])
    expected = POD_CHECKS - set(ARGO_POD_SKIPS)
    assert len(by_pod) >= 2 * len(workflows)  # at least runnable-start and runnable-finish each
    for pod, ids in by_pod.items():
        assert expected <= ids, f"{pod}: not passed {sorted(expected - ids)}"


# -- weakened manifests fail ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(JOB_WEAKENINGS) + sorted(WORKFLOW_WEAKENINGS))
def test_a_weakened_manifest_fails_checkov(scan: Scan, name: str) -> None:
    expected = {**JOB_WEAKENINGS, **WORKFLOW_WEAKENINGS}[name][1]
    failed = {f["check_id"] for f in scan.under(f"weakened/{name}/", "failed")}
    print(f"weakened {name}: failed {' '.join(sorted(failed))}")
    assert expected <= failed, f"{name}: expected {sorted(expected)} to fail, failed {sorted(failed)}"


# -- the skip list stays short and explained ----------------------------------------------------


def _skip_list() -> list[str]:
    config = yaml.safe_load(CONFIG.read_text())
    skips = config.get("skip-check") or []
    return [skips] if isinstance(skips, str) else list(skips)


def test_every_skipped_check_is_explained() -> None:
    skips = _skip_list()
    assert 0 < len(skips) <= 10, skips
    lines = CONFIG.read_text().splitlines()
    for check in skips:
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        above = lines[index - 1].strip()
        assert above.startswith("#") or above.startswith("- CKV"), f"{check} has no comment saying why"
    docs = DOCS.read_text()
    for check in [*skips, *ARGO_POD_SKIPS]:
        assert check in docs, f"{check} is not explained in docs/security.md"
