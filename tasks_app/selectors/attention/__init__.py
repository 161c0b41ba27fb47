"""What needs attention now: stalled and slow tasks, failed jobs, blocked queues, sick workers,
jobs waiting too long, budgets (docs/attention.md).

- ``rules``: the verdicts as pure functions; ``waiting``: the waiting-job rule;
- ``reads``: the bounded, cached reads and the concurrent fan-out;
- ``state``, ``judgement``, ``queue_items``, ``workers``: what a refresh learns and judges;
- ``report``: the rounds of a refresh and the shared, cached report;
- ``items``: the view models (items, the report); ``stories``: the list as incidents;
- ``pages``: what the other pages show of it.

Callers import from here.
"""

from __future__ import annotations

from ..resources import now
from .items import (
    KIND_LABELS,
    KINDS,
    TASK_KINDS,
    AttentionItem,
    AttentionReport,
    job_failures_url,
    rank,
)
from .pages import PageFlags, TaskAttention, page_flags, task_attention
from .reads import (
    ACTIVE_TASK_PAGES,
    HEALTH_JOBS,
    HEALTH_PAGES,
    SAMPLE_PAGES,
    SAMPLE_SECONDS,
    JobList,
    job_outcomes,
    job_sessions,
    queue_live_tasks,
    step_tasks,
    unfinished_or_recent_jobs,
)
from .report import REPORT_IDS, REPORT_KIND, build_report, get_report, last_report

__all__ = [
    "ACTIVE_TASK_PAGES",
    "HEALTH_JOBS",
    "HEALTH_PAGES",
    "KINDS",
    "KIND_LABELS",
    "REPORT_IDS",
    "REPORT_KIND",
    "SAMPLE_PAGES",
    "SAMPLE_SECONDS",
    "TASK_KINDS",
    "AttentionItem",
    "AttentionReport",
    "JobList",
    "PageFlags",
    "TaskAttention",
    "build_report",
    "get_report",
    "job_failures_url",
    "job_outcomes",
    "job_sessions",
    "last_report",
    "now",
    "page_flags",
    "queue_live_tasks",
    "rank",
    "step_tasks",
    "task_attention",
    "unfinished_or_recent_jobs",
]
