"""Against a real cluster: only when KUBECONFIG points at one (skipped, visibly, otherwise).

Everything else about the Kubernetes targets is tested without a cluster: schema checks, the
rendered containers run through Docker, and the submit/wait code against an API stand-in.
These tests show the same on a real API server: a server-side dry run of every kind we render,
and a Job that runs to the end (it needs the image and a PVC named by RUNNABLE_TEST_PVC).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import render_manifests
from runnable.apply.cluster import apply_documents
from runnable.config import parse_config
from runnable.cli.discovery import load_definition

KUBECONFIG = os.environ.get("KUBECONFIG", "")
# Read at import: the suite clears RUNNABLE_* variables around each test.
IMAGE_ON_CLUSTER = os.environ.get("RUNNABLE_TEST_IMAGE_ON_CLUSTER", "")
PVC_ON_CLUSTER = os.environ.get("RUNNABLE_TEST_PVC", "")
pytestmark = pytest.mark.skipif(not KUBECONFIG or not Path(KUBECONFIG).is_file(),
                                reason="needs a real cluster: set KUBECONFIG to its kubeconfig file")


@pytest.mark.parametrize("target", ["k8s", "argo"])
def test_server_side_dry_run_accepts_what_we_render(target: str, project: Path) -> None:
    config = parse_config({}, "defaults")
    documents, _ = render_manifests(load_definition("examples/02-sequential/traversal.py").to_ir(), target, config,
                                    source="traversal.py")
    assert apply_documents(documents, kubeconfig=KUBECONFIG, dry_run=True) == 0


def test_a_job_runs_to_the_end(project: Path) -> None:
    image, pvc = IMAGE_ON_CLUSTER, PVC_ON_CLUSTER
    if not image or not pvc:
        pytest.skip("set RUNNABLE_TEST_IMAGE_ON_CLUSTER (an image with the examples) and RUNNABLE_TEST_PVC")
    config = parse_config({"job-executor": {"type": "k8s-job", "config": {"pvc_claim_name": pvc, "jobSpec": {
        "template": {"spec": {"container": {"image": image}}}}}}}, "cluster.yaml")
    documents, _ = render_manifests(load_definition("examples/11-jobs/python_tasks.py").to_ir(), "k8s", config,
                                    source="python_tasks.py")
    assert apply_documents(documents, kubeconfig=KUBECONFIG, wait=True, timeout=600) == 0
