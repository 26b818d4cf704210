"""``runnable.returns``: the kinds of value a task returns (``json``, ``pickled``, ``metric``)."""

from __future__ import annotations

from runnable.dsl.returns import TaskReturns, json, metric, pickled

__all__ = ["TaskReturns", "json", "metric", "pickled"]
