"""The job page's verdict, first on the page: a failed job's top causes (from the failures
analysis, cached per scope: started here if missing, never waited on; the section polls
itself while the analysis runs), or for waiting work why it waits (the blockers line)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from ..deadline.errors import DeadlineError
from ..deadline.types import Job, TaskPath, TaskRunStatus
from ..selectors import failures, resources
from ..services import failure_runs

#: Causes the job page names (the failures page lists them all).
TOP_CAUSES = 3
#: How often the verdict re-reads while the analysis runs.
VERDICT_POLL_MS = 1000
#: Statuses whose jobs wait for something: the page leads with why.
WAITING = frozenset({"READY", "PENDING", "SUSPENDED", "NOT_COMPATIBLE"})


def failed_tasks(job: Job) -> int:
    return int(job.status_counts.get(TaskRunStatus.FAILED, 0) or 0)


def _status(job: Job) -> str:
    return job.task_run_status.value if job.task_run_status is not None else ""


def verdict_context(request: HttpRequest, path: TaskPath, job: Job) -> dict[str, Any]:
    """What the verdict section shows: the causes of a job with failed tasks (``verdict``),
    or that waiting work leads with its blockers (``verdict_waiting``)."""
    ids = (path.farm_id, path.queue_id, path.job_id)
    context: dict[str, Any] = {
        "verdict_url": f"{reverse('job_detail', args=ids)}?part=verdict",
        "verdict_failures_url": reverse("job_failures", args=ids),
        "verdict_waiting": not failed_tasks(job) and _status(job) in WAITING,
        "verdict_poll_ms": VERDICT_POLL_MS,
        "verdict_failed": failed_tasks(job),
    }
    if not failed_tasks(job):
        return context
    scope = failures.FailureScope(farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id)
    try:
        report = failure_runs.report(scope, wait_seconds=0)
    except DeadlineError as exc:
        context["verdict_error"] = exc
        return context
    causes = [group for group in report.groups if group.task_count][:TOP_CAUSES]
    context.update(
        verdict=report,
        verdict_scope=scope,
        verdict_causes=causes,
        verdict_more=max(0, len([g for g in report.groups if g.task_count]) - len(causes)),
        verdict_polling=report.running or (not report.complete and report.error is None),
    )
    return context


def verdict_fragment(request: HttpRequest, path: TaskPath) -> HttpResponse:
    """The verdict section alone (``?part=verdict``, the section's own poll)."""
    try:
        job = resources.get_job(farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id)
    except DeadlineError as exc:
        context: dict[str, Any] = {"verdict_error": exc, "verdict_failed": 1}
    else:
        context = verdict_context(request, path, job)
    context.update(path=path, fragment=True)
    response = render(request, "tasks_app/_job_verdict.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
