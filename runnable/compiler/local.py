"""The local target: the definition runs in this process (or, with ``enable_parallel``, in forked
workers). It renders nothing; it owns the configuration of the executors that run here."""

from __future__ import annotations

from runnable.compiler.base import COMPOSITES, Target
from runnable.ir.checkers import BOOL, MAP, WORKERS, TypeSpec


class Local(Target):
    name = "local"
    executors = {
        "pipeline-executor": {
            "local": TypeSpec({"enable_parallel": BOOL, "object_serialisation": BOOL, "overrides": MAP,
                               "max_workers": WORKERS}),
            "mocked": TypeSpec({"patches": MAP}),
        },
        "job-executor": {
            "local": TypeSpec({"mock": BOOL}),
        },
    }
    expands = COMPOSITES


TARGET = Local()
