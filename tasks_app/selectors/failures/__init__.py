"""Failures of a job, a step or a queue's recent jobs, grouped by cause (docs/failures.md).

Modules: ``records`` (what an analysis records), ``store`` (where the records are cached),
``listing``, ``head`` and ``reads`` (the API reads an analysis makes), ``signatures`` (a cause
from a log line), ``grouping``, ``clusters`` and ``assembly`` (the report a view shows),
``retries`` (will a retry help?); for other pages ``suspicion`` (which worker to suspect),
``naming`` (one name per failure) and ``rows`` (a step table's worker and last error). The
analysis itself runs in ``services.failure_analysis``. The names below are the ones other
packages use.
"""

from __future__ import annotations

from .assembly import assemble
from .clusters import CLUSTER_MIN_FAILURES, CLUSTER_MIN_SHARE, CLUSTER_SESSION_RATIO
from .naming import cause_titles
from .records import WINDOWS, FailureScope
from .report import FailureGroup, FailureReport, GroupTask, WorkerCluster, WorkerCount
from .rows import TaskRowDetail, task_row_details
from .store import forget_listing, load_attempts, load_listing
from .suspicion import worker_suspect

__all__ = [
    "CLUSTER_MIN_FAILURES",
    "CLUSTER_MIN_SHARE",
    "CLUSTER_SESSION_RATIO",
    "WINDOWS",
    "FailureGroup",
    "FailureReport",
    "FailureScope",
    "GroupTask",
    "TaskRowDetail",
    "WorkerCluster",
    "WorkerCount",
    "assemble",
    "cause_titles",
    "forget_listing",
    "load_attempts",
    "load_listing",
    "task_row_details",
    "worker_suspect",
]
