"""Which worker to suspect for a task's failure: the worker cluster the failures view finds
for the cause of the task's failing attempt (``clusters``: one statistic, one place), or
nothing when the analysis has not covered the task or the sample is too small to mean
anything. From the cache: no API call."""

from __future__ import annotations

from .records import FailureScope
from .report import WorkerCluster
from .verdicts import verdicts


def worker_suspect(scope: FailureScope, *, task_id: str) -> WorkerCluster | None:
    """The cluster the failures view of ``scope`` shows for the cause ``task_id`` failed of,
    or None."""
    known = verdicts(scope)
    return None if known is None else known.suspect(task_id)
