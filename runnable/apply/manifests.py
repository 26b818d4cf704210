"""Reading rendered Kubernetes objects back for ``runnable apply``, and the run's own arguments."""

from __future__ import annotations

import os
from typing import Any

from runnable.ir.errors import RunnableError

_SKIPPED = {"kustomization.yaml", "kustomization.yml"}


def read_documents(path: str) -> list[dict[str, Any]]:
    """The objects of a file, or of every YAML file of a folder (sorted; ConfigMaps are sent first anyway)."""
    from runnable.ir.serialize import load_yaml_documents

    if os.path.isdir(path):
        files = [os.path.join(path, name) for name in sorted(os.listdir(path))
                 if name.endswith((".yaml", ".yml")) and name not in _SKIPPED]
    elif os.path.isfile(path):
        files = [path]
    else:
        raise RunnableError(f"{path!r} is neither a rendered folder nor a file.")
    documents: list[dict[str, Any]] = []
    for file in files:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
        try:
            loaded = load_yaml_documents(text)
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


def with_run_arguments(documents: list[dict[str, Any]], run_id: str, parameters_file: str) -> list[dict[str, Any]]:
    """The run id and parameters file reach the run at submit time: Workflow arguments, a Job's command line.

    The submitted Workflows and Jobs are labelled with the run id too, so ``runnable status``/``logs``/``retry``
    find the run later; the committed files never change.
    """
    from runnable.apply.runs import label_run, set_job_run_id

    if not run_id and not parameters_file:
        return documents
    for option, value in (("--run-id", run_id), ("--parameters", parameters_file)):
        if "{{" in value or "$(" in value or not value.isprintable():
            raise RunnableError(f"{option} {value!r}: Argo and Kubernetes would read '{{{{' or '$(' as an "
                                "expression of their own (and a control character cannot be passed); choose "
                                "another value.")
    values = {"run_id": run_id, "parameters_file": parameters_file}
    workflows = [d for d in documents if d.get("kind") == "Workflow"]
    jobs = [d for d in documents if d.get("kind") == "Job"]
    if not workflows and not (jobs and run_id and not parameters_file):
        raise RunnableError("--run-id applies to Argo Workflows and Kubernetes Jobs, --parameters to Argo "
                            "Workflows (and compose); a CronJob names each run after the Job it starts.")
    for workflow in workflows:
        for parameter in workflow.get("spec", {}).get("arguments", {}).get("parameters", []):
            if parameter.get("name") in values and values[parameter["name"]]:
                parameter["value"] = values[parameter["name"]]
    if run_id:
        set_job_run_id(documents, run_id)
        label_run(documents, run_id)
    return documents
