"""Reading rendered Kubernetes objects back for ``runnable apply``, and the run's own arguments."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from runnable.ir.errors import RunnableError

RUN_ID_LABEL = "runnable/run-id"
JOB_RUN_ID = "$(RUNNABLE_JOB_NAME)-$(RUNNABLE_JOB_UID)"
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_SKIPPED = {"kustomization.yaml", "kustomization.yml"}


def read_documents(path: str) -> list[dict[str, Any]]:
    """The objects of a file, or of every YAML file of a folder (sorted; ConfigMaps are sent first anyway)."""
    from runnable.ir.reading import decode_utf8, parse_yaml_documents, read_bytes

    if os.path.isdir(path):
        files = [os.path.join(path, name) for name in sorted(os.listdir(path))
                 if name.endswith((".yaml", ".yml")) and name not in _SKIPPED]
    elif os.path.isfile(path):
        files = [path]
    else:
        raise RunnableError(f"{path!r} is neither a rendered folder nor a file.")
    documents: list[dict[str, Any]] = []
    for file in files:
        try:
            loaded = [data for _, data in parse_yaml_documents(decode_utf8(read_bytes(file), file), file)]
        except OSError as exc:
            raise RunnableError(f"{file} cannot be read: {exc.strerror}.") from None
        except ValueError as exc:
            raise RunnableError(f"{file} is not valid YAML: {exc}") from None
        for document in loaded:
            if document is None:
                continue
            if not isinstance(document, dict) or "kind" not in document or "metadata" not in document:
                raise RunnableError(f"{file} holds something that is not a Kubernetes object.")
            documents.append(document)
    if not documents:
        raise RunnableError(f"{path!r} holds no Kubernetes objects; render some with "
                            "'runnable compile FILE --target k8s|argo -o DIR'.")
    return documents


def with_run_arguments(documents: list[dict[str, Any]], run_id: str, parameters_file: str,
                       tag: str = "") -> list[dict[str, Any]]:
    """The run id, initial parameters and tag reach the run at submit time; the committed files never change.

    Argo Workflows take them as workflow arguments. A Job's pod gets the run id on its command line and the
    parameters as ``RUNNABLE_PRM_<name>`` variables: those of the parameters file on this machine, then this
    machine's own ``RUNNABLE_PRM_*``, as a local run would read them. The submitted Workflows and Jobs are
    labelled with the run id, so ``runnable status``/``logs``/``retry`` find the run later.
    """
    for option, value in (("--run-id", run_id), ("--parameters", parameters_file), ("--tag", tag)):
        if "{{" in value or "$(" in value or not value.isprintable():
            raise RunnableError(f"{option} {value!r}: Argo and Kubernetes would read '{{{{' or '$(' as an "
                                "expression of their own (and a control character cannot be passed); choose "
                                "another value.")
    workflows = [d for d in documents if d.get("kind") == "Workflow"]
    jobs = [d for d in documents if d.get("kind") == "Job"]
    parameters = _submitted_parameters(parameters_file) if jobs else {}
    if not (run_id or parameters_file or tag or parameters):
        return documents
    if not workflows and not jobs:
        raise RunnableError("--run-id, --parameters and --tag apply to Argo Workflows and Kubernetes Jobs (and "
                            "compose); a CronJob's runs are named after the Jobs it starts and take what the "
                            "committed file says.")
    if tag and workflows:
        raise RunnableError("--tag is not passed to Argo Workflows: the rendered workflow has no tag argument. "
                            "Leave --tag out, or submit with a Kubernetes Job target.")
    values = {"run_id": run_id, "parameters_file": parameters_file}
    for workflow in workflows:
        for parameter in workflow.get("spec", {}).get("arguments", {}).get("parameters", []):
            if parameter.get("name") in values and values[parameter["name"]]:
                parameter["value"] = values[parameter["name"]]
    extra_env = [{"name": f"RUNNABLE_PRM_{name}", "value": json.dumps(value, ensure_ascii=False)}
                 for name, value in parameters.items()]
    if tag:
        extra_env.append({"name": "RUNNABLE_RUN_TAG", "value": tag})
    for job in jobs:
        for container in job_containers(job):
            given = {item["name"] for item in extra_env}
            container["env"] = [e for e in container.get("env") or [] if e.get("name") not in given] + extra_env
    if run_id:
        set_job_run_id(documents, run_id)
        label_run(documents, run_id)
    return documents


def _submitted_parameters(parameters_file: str) -> dict[str, Any]:
    """The initial parameters a local run would start with: the file, then ``RUNNABLE_PRM_*`` of this machine."""
    from runnable.runtime.parameters import initial_parameters

    return {name: spec["value"] for name, spec in initial_parameters(parameters_file or None).items()}


def job_containers(job: dict[str, Any]) -> list[dict[str, Any]]:
    spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    return list(spec.get("containers") or [])


def label_run(documents: list[dict[str, Any]], run_id: str) -> None:
    """Put the run id on the Workflows and Jobs about to be submitted, so the run can be found later."""
    if not run_id or not LABEL_VALUE.match(run_id):
        return  # too long or not label-safe: found by the Workflow's name or the Job's name and uid instead
    for document in documents:
        if document.get("kind") in ("Workflow", "Job"):
            document.setdefault("metadata", {}).setdefault("labels", {})[RUN_ID_LABEL] = run_id


def set_job_run_id(documents: list[dict[str, Any]], run_id: str) -> bool:
    """Make the Jobs run under ``run_id`` instead of their name and uid; False when there is no Job."""
    jobs = [d for d in documents if d.get("kind") == "Job"]
    for job in jobs:
        for container in job_containers(job):
            container["args"] = [run_id if arg == JOB_RUN_ID else arg for arg in container.get("args") or []]
    return bool(jobs)
