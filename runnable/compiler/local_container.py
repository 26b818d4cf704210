"""The local-container target: the local scheduler with every task in its own container.

It renders nothing (``runnable.runtime.container`` runs the containers); it owns the
``local-container`` executor's configuration, which the compose target reads too.
"""

from __future__ import annotations

from runnable.compiler.base import COMPOSITES, Target
from runnable.compiler.container import RESOURCE_KEYS
from runnable.ir.checkers import BOOL, MAP, STR, WORKERS, TypeSpec

CONTAINER_KEYS = TypeSpec({
    "docker_image": STR,
    "auto_remove_container": BOOL,
    "environment": MAP,
    "enable_parallel": BOOL,
    "mount_project": BOOL,
    "network": STR,
    "overrides": MAP,
    "mock": BOOL,
    "max_workers": WORKERS,
    "resources": ("a mapping of cpus and memory", lambda v: isinstance(v, dict) and set(v) <= set(RESOURCE_KEYS)),
    "security": ("a mapping of read_only, tmpfs, cap_drop, security_opt",
                 lambda v: isinstance(v, dict) and set(v) <= {"read_only", "tmpfs", "cap_drop", "security_opt"}),
})


class LocalContainer(Target):
    name = "local-container"
    executors = {"pipeline-executor": {"local-container": CONTAINER_KEYS},
                 "job-executor": {"local-container": CONTAINER_KEYS}}
    expands = COMPOSITES
    override_key = "local-container"
    runner = "runnable.runtime.container"


TARGET = LocalContainer()
