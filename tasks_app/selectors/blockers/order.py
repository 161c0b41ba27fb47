"""Which jobs a free worker serves before this one, by the queue's scheduling configuration.

- ``priorityFifo``: higher priority first, then the earlier submission.
- ``priorityBalanced``: the jobs at the highest priority share the workers: only a strictly
  higher priority is ahead.
- ``weightedBalanced``: a score from the configured weights (priority, errors, submission
  time, rendering tasks); a higher score is ahead. ``maxPriorityOverride.alwaysScheduleFirst``
  puts priority-100 jobs first. The service documents the terms, not their units: the
  dashboard's formula is an assumption (see ``deadline_facts/scheduling.py``).
"""

from __future__ import annotations

from datetime import datetime

from ...deadline.scheduling_types import QueueSettings
from ...deadline.types import Job, TaskRunStatus
from .facts import active, queued


def _score(job: Job, settings: QueueSettings, now: datetime) -> float:
    options = dict(settings.scheduling_options)
    priority = job.priority or 0
    if priority >= 100 and (options.get("maxPriorityOverride") or {}).get("alwaysScheduleFirst"):
        return float("inf")
    if priority <= 0 and (options.get("minPriorityOverride") or {}).get("alwaysScheduleLast"):
        return float("-inf")
    age_minutes = (now - job.created_at).total_seconds() / 60 if job.created_at else 0.0
    failed = job.status_counts.get(TaskRunStatus.FAILED, 0)
    return (
        float(options.get("priorityWeight", 1.0)) * priority
        - float(options.get("errorWeight", 0.0)) * failed
        + float(options.get("submissionTimeWeight", 0.0)) * age_minutes
        - float(options.get("renderingTaskWeight", 0.0)) * active(job)
    )


def is_ahead(other: Job, mine: Job, settings: QueueSettings, now: datetime) -> bool:
    """Whether ``other`` gets the next free worker before ``mine``."""
    if other.job_id == mine.job_id:
        return False
    kind = settings.scheduling
    if kind == "weightedBalanced":
        return _score(other, settings, now) > _score(mine, settings, now)
    theirs, ours = other.priority or 0, mine.priority or 0
    if kind == "priorityBalanced":
        return theirs > ours
    if theirs != ours:
        return theirs > ours
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return (other.created_at or far) < (mine.created_at or far)


def jobs_ahead(
    mine: Job, competing: tuple[tuple[str, Job], ...], settings: QueueSettings, now: datetime
) -> list[tuple[str, Job]]:
    """The competing jobs with queued tasks that are served before ``mine``."""
    return [(q, j) for q, j in competing if queued(j) and is_ahead(j, mine, settings, now)]
