"""Which worker to suspect for a task's failure: the worker cluster the failures view finds
for the cause of the task's failing attempt (``clusters``: one statistic, one place), or
nothing when the analysis has not covered the task or the sample is too small to mean
anything. From the cache: no API call."""

from __future__ import annotations

from .assembly import assemble
from .records import FailureScope
from .report import WorkerCluster
from .store import load_listing


def worker_suspect(scope: FailureScope, *, task_id: str) -> WorkerCluster | None:
    """The cluster the failures view of ``scope`` shows for the cause ``task_id`` failed of,
    or None."""
    listing = load_listing(scope)
    if listing is None or not any(t.task_id == task_id for t in listing.tasks):
        return None
    report = assemble(scope, listing)
    cause = next((g.signature for g in report.groups if task_id in g.task_ids), None)
    return next((c for c in report.clusters if c.signature == cause), None)
