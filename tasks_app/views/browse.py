"""Browse pages: farms -> queues -> jobs -> steps -> tasks. Each view serves the full page,
or for htmx (polls, filter changes) only its live container: 204 when the poll's version is
current."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError
from ..deadline.types import Step, TaskPath, TaskRunStatus, TaskSummary, is_settled
from ..forms import JobFilterForm, TaskFilterForm
from ..selectors import attention, browse, eta, failures, job_attention
from ..selectors.blockers.column import waiting_column
from ..selectors.task_listing import StepIds
from ..selectors.usage import durations
from . import job_verdict
from .common import (
    browse_crumbs,
    browse_path,
    browse_response,
    combined_version,
    is_fragment,
    live_context,
    named,
    page_params,
    pagination,
    sort_columns,
    url_with,
)
from .errors import failed_response

logger = logging.getLogger(__name__)


@require_safe
def farm_list(request: HttpRequest) -> HttpResponse:
    """Every farm the dashboard's credentials can see."""
    try:
        farms = browse.list_farms()
    except DeadlineError as exc:
        return failed_response(request, exc)
    context = {
        "farms": farms.farms,
        "crumbs": [],
        **live_context(request, version=farms.version, settled=True),
    }
    return browse_response(
        request,
        template="tasks_app/farm_list.html",
        fragment="tasks_app/_farm_table.html",
        context=context,
    )


@require_safe
def farm_detail(request: HttpRequest, farm_id: str) -> HttpResponse:
    """A farm's queues, with status and blocked reason (live)."""
    path = browse_path(farm_id)
    try:
        page = browse.get_farm_overview(farm_id=farm_id, with_names=not is_fragment(request))
    except DeadlineError as exc:
        return failed_response(request, exc, path)
    context = {
        "path": path,
        "farm": page.farm,
        "queues": page.queues.queues,
        "crumbs": browse_crumbs(path, named(farm=page.farm), "farm"),
        **live_context(request, version=page.queues.version),
    }
    return browse_response(
        request,
        template="tasks_app/farm_detail.html",
        fragment="tasks_app/_queue_table.html",
        context=context,
    )


@require_safe
def queue_detail(request: HttpRequest, farm_id: str, queue_id: str) -> HttpResponse:
    """A queue's jobs: newest first, filtered, sorted and paged by one SearchJobs call."""
    path = browse_path(farm_id, queue_id)
    form = JobFilterForm(request.GET)
    flags = attention.page_flags()
    stalled = job_attention.stalled_jobs(flags.report.items if flags.report else ())
    query = replace(form.query(), stalled=stalled)
    try:
        page = browse.get_queue_overview(
            farm_id=farm_id, queue_id=queue_id, query=query, with_names=not is_fragment(request)
        )
    except DeadlineError as exc:
        return failed_response(request, exc, path)
    params = page_params(request)
    context = {
        "path": path,
        "form": form,
        "summary": _queue_summary(farm_id, queue_id, stalled),
        "farm": page.farm,
        "queue": page.queue,
        "jobs": page.jobs.jobs,
        "notes": page.jobs.notes,
        "job_attention": flags.counts((j.job_id for j in page.jobs.jobs), "job_id"),
        "waiting_because": waiting_column(page.jobs.jobs, page.queue),
        "query": query,
        "filtered": bool(query.run_status or query.lifecycle_status or query.name),
        "columns": sort_columns(params, browse.JOB_SORTS, query.sort, query.descending),
        "pagination": pagination(params, page.jobs.window),
        "crumbs": browse_crumbs(path, named(farm=page.farm, queue=page.queue), "queue"),
        **live_context(request, version=combined_version(page.jobs, flags.version)),
    }
    return browse_response(
        request,
        template="tasks_app/queue_detail.html",
        fragment="tasks_app/_job_table.html",
        context=context,
        status=400 if form.errors else 200,
    )


def _queue_summary(farm_id: str, queue_id: str, stalled: frozenset[str]) -> list[dict[str, Any]]:
    """The counts above the job list. A failed read leaves them out (the list below is the
    page's subject)."""
    try:
        counts = job_attention.queue_summary(farm_id, queue_id, stalled)
    except DeadlineError as exc:
        logger.info("queue summary unavailable: %s", exc.message)
        return []
    return [
        {"key": key, "label": job_attention.STANDING_LABELS[key], "count": n}
        for key, n in counts.items()
    ]


@require_safe
def job_detail(request: HttpRequest, farm_id: str, queue_id: str, job_id: str) -> HttpResponse:
    """A job: its verdict first (why it failed, why it waits), then status bar, counts,
    times and steps; polls stop once every task settled."""
    path = browse_path(farm_id, queue_id, job_id)
    if request.htmx and request.GET.get("part") == "verdict":
        return job_verdict.verdict_fragment(request, path)
    try:
        page = browse.get_job_overview(
            farm_id=farm_id, queue_id=queue_id, job_id=job_id, with_names=not is_fragment(request)
        )
    except DeadlineError as exc:
        return failed_response(request, exc, path)
    job = page.job
    steps = page.steps.steps if page.steps is not None else []
    flags = attention.page_flags()
    etas = eta.job_eta(
        farm_id=farm_id, queue_id=queue_id, job_id=job_id, steps=steps, now=attention.now()
    )
    eta_texts = "|".join(
        f"{step_id}={result.eta.text if result.eta else result.reason}"
        for step_id, result in sorted({**etas.steps, "job": etas.job}.items())
    )
    context = {
        "path": path,
        "job": job,
        "steps": steps,
        "steps_error": page.steps_error,
        "attention_items": flags.for_job(job_id),
        "attention_problem": flags.problem,
        "attention_checked_at": flags.checked_at,
        "step_attention": flags.counts((s.step_id for s in steps), "step_id"),
        "job_eta": etas.job,
        "step_etas": etas.steps,
        "crumbs": browse_crumbs(path, named(farm=page.farm, queue=page.queue, job=job), "job"),
        **({} if is_fragment(request) else job_verdict.verdict_context(request, path, job)),
        **live_context(
            request,
            version=combined_version(job, page.steps, flags.version, eta_texts),
            settled=is_settled(job.status_counts),
        ),
    }
    return browse_response(
        request,
        template="tasks_app/job_detail.html",
        fragment="tasks_app/_job_live.html",
        context=context,
    )


@require_safe
def step_detail(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> HttpResponse:
    """A step and its task table: filter, find (a frame, ``#index``), sort and pages to its
    last task, served by SearchTasks and, past its window, the step's listing."""
    path = browse_path(farm_id, queue_id, job_id, step_id)
    form = TaskFilterForm(request.GET)
    query = form.query()
    try:
        page = _step_overview(path, query, with_names=not is_fragment(request))
    except DeadlineError as exc:
        return failed_response(request, exc, path)
    params = page_params(request)
    step = page.step
    names = named(farm=page.farm, queue=page.queue, job=page.job, step=step)
    tasks = page.tasks.tasks if page.tasks is not None else ()
    details, details_missing = _row_details(
        path, tasks, read=request.GET.get("details") == "1" and not is_fragment(request)
    )
    flags = attention.page_flags()
    step_eta = _step_eta(farm_id, queue_id, job_id, step)
    eta_text = step_eta.eta.text if step_eta.eta else step_eta.reason
    context = {
        "path": path,
        "form": form,
        "step": step,
        "job": page.job,
        "tasks": tasks,
        "row_details": details,
        "details_missing": details_missing,
        "details_url": url_with(params, details=1),
        "details_fragment_url": reverse("step_task_details", kwargs=path_kwargs(path))
        + url_with(params, details=None, v=None),
        "tasks_error": page.tasks_error,
        "notes": page.tasks.notes if page.tasks is not None else (),
        "task_attention": flags.for_tasks(job_id),
        "attention_problem": flags.problem,
        "step_eta": step_eta,
        # Only when the step's listing is cached already (no call; not for polls).
        "render_times": None if is_fragment(request) else _render_times(path),
        "query": query,
        "filtered": bool(query.run_status or query.search),
        "failed_count": step.status_counts.get(TaskRunStatus.FAILED, 0),
        "failed_url": url_with(params, status="FAILED", page=None),
        "all_url": url_with(params, status=None, q=None, page=None),
        "columns": sort_columns(params, browse.TASK_SORTS, query.sort, query.descending),
        "pagination": pagination(params, page.tasks.window) if page.tasks is not None else None,
        "crumbs": browse_crumbs(path, names, "step"),
        **live_context(
            request,
            version=combined_version(step, page.tasks, flags.version, eta_text),
            settled=is_settled(step.status_counts),
        ),
    }
    return browse_response(
        request,
        template="tasks_app/step_detail.html",
        fragment="tasks_app/_step_live.html",
        context=context,
        status=400 if form.errors else 200,
    )


def _step_overview(
    path: TaskPath, query: browse.TaskQuery, *, with_names: bool
) -> browse.StepOverview:
    return browse.get_step_overview(
        farm_id=path.farm_id,
        queue_id=path.queue_id,
        job_id=path.job_id,
        step_id=path.step_id,
        query=query,
        with_names=with_names,
    )


def _render_times(path: TaskPath) -> durations.RenderTimes | None:
    ids = StepIds(path.farm_id, path.queue_id, path.job_id, path.step_id)
    return durations.cached_render_times(ids)


def path_kwargs(path: TaskPath) -> dict[str, str]:
    return {k: v for k, v in path.as_kwargs().items() if v}


def _row_details(
    path: TaskPath, tasks: Sequence[TaskSummary], *, read: bool
) -> tuple[dict[str, failures.TaskRowDetail], bool]:
    """The worker and last error of each row: from the cache, or (``read``) from the API.
    A failure here only leaves the two columns empty."""
    try:
        return failures.task_row_details(
            farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id, tasks=tasks, read=read
        )
    except DeadlineError as exc:
        logger.info("task table details unavailable: %s", exc.message)
        return {}, False


@require_safe
def step_task_details(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> HttpResponse:
    """The task table's worker and last-error cells of one page, for htmx (swapped into the
    rows out of band); without htmx, the step page showing them."""
    path = browse_path(farm_id, queue_id, job_id, step_id)
    step_url = reverse("step_detail", kwargs=path_kwargs(path))
    params = page_params(request)
    if not is_fragment(request):
        return HttpResponseRedirect(step_url + url_with(params, details=1))
    try:
        page = _step_overview(path, TaskFilterForm(request.GET).query(), with_names=False)
    except DeadlineError as exc:
        return failed_response(request, exc, path)
    tasks = page.tasks.tasks if page.tasks is not None else ()
    details, _ = _row_details(path, tasks, read=True)
    context = {"path": path, "tasks": tasks, "row_details": details, "oob": True}
    response = render(request, "tasks_app/_task_row_details.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _step_eta(farm_id: str, queue_id: str, job_id: str, step: Step) -> eta.EtaResult:
    """The step's ETA while it runs; a step whose tasks cannot be read says so instead."""
    if not eta.is_running(step):
        return eta.EtaResult(None, left=False)
    try:
        return eta.step_eta(
            farm_id=farm_id, queue_id=queue_id, job_id=job_id, step=step, now=attention.now()
        )
    except DeadlineError as exc:
        return eta.EtaResult(None, f"no ETA: its tasks could not be read ({exc.message})")
