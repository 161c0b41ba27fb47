"""Frozen dataclasses built from Deadline Cloud API answers; raw dicts stop at this boundary.

Each type declares its members once, on its fields (``codec.member``): ``from_api(answer)``
(a botocore answer: datetimes already parsed) and a compact ``to_cache()`` (an API-shaped,
JSON-able dict: timestamps as ISO 8601 text, absent members omitted) are written from those
declarations, and ``from_cache`` is ``from_api`` on that dict. Cache entries therefore never
hold pickled botocore objects and survive a process or host change.

This module gathers the task pages' types from the modules that define them.
"""

from __future__ import annotations

from .browse_types import (
    FarmList,
    JobListing,
    JobSearchPage,
    QueueList,
    SearchWindow,
    StepList,
    TaskListing,
    TaskSearchPage,
)
from .codec import Cacheable, compact, format_datetime, parse_datetime
from .parameters import PARAMETER_TYPES, AttachmentRoot, TaskParameter, chunk_frame_count
from .resource_types import Farm, Job, Queue, Step, StepDetail, Task, TaskPath, TaskSummary
from .task_status import (
    UNFINISHED_RUN_STATUSES,
    StatusSegment,
    TaskRunStatus,
    is_settled,
    status_segments,
)

__all__ = [
    "PARAMETER_TYPES",
    "UNFINISHED_RUN_STATUSES",
    "AttachmentRoot",
    "Cacheable",
    "Farm",
    "FarmList",
    "Job",
    "JobListing",
    "JobSearchPage",
    "Queue",
    "QueueList",
    "SearchWindow",
    "StatusSegment",
    "Step",
    "StepDetail",
    "StepList",
    "Task",
    "TaskListing",
    "TaskParameter",
    "TaskPath",
    "TaskRunStatus",
    "TaskSearchPage",
    "TaskSummary",
    "chunk_frame_count",
    "compact",
    "format_datetime",
    "is_settled",
    "parse_datetime",
    "status_segments",
]
