"""The emulator target: the local scheduler, with every task in a fresh process and no Docker.

Each task runs through the container contract (``runnable execute-step``) in a process of
its own, on this machine (``runnable.runtime.emulator``): what works here works in a
container, minus the image. It renders nothing; it owns the ``emulator`` executor's
configuration, which has no keys (as in runnable).
"""

from __future__ import annotations

from runnable.compiler.base import COMPOSITES, Target
from runnable.ir.checkers import TypeSpec


class Emulator(Target):
    name = "emulator"
    executors = {"pipeline-executor": {"emulator": TypeSpec({})},
                 "job-executor": {"emulator": TypeSpec({})}}
    expands = COMPOSITES
    #: the module under runnable.runtime whose ``runner_for`` runs each task
    runner = "runnable.runtime.emulator"


TARGET = Emulator()
