"""Run ids: sortable by time, unique without coordination, safe in paths and k8s names."""

from __future__ import annotations

import os
import time

RUN_ID_ENV = "RUNNABLE_RUN_ID"


def new_run_id() -> str:
    """``YYYYMMDD-HHMMSS-xxxxxx``: UTC time plus 24 random bits."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + os.urandom(3).hex()


def choose_run_id(explicit: str = "") -> str:
    """runnable's precedence: an explicit id, then $RUNNABLE_RUN_ID, then a new one."""
    return explicit or os.environ.get(RUN_ID_ENV, "") or new_run_id()
