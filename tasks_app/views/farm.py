"""The farm side's pages: a farm's fleets, one fleet and its workers, one worker (its sessions,
log and resource charts), and the workers that ran a job.

Each page mirrors its API path and answers ``Accept: application/json`` or ``?format=json``
from the same selector result as its HTML; an htmx poll gets the live part only (204 while
unchanged).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..charts import line_chart
from ..deadline.errors import DeadlineError, NotFound
from ..selectors import resources
from ..selectors.failures import FailureReport, FailureScope
from ..selectors.farm import fleet as fleet_selector
from ..selectors.farm import fleets as fleets_selector
from ..selectors.farm import job_workers as job_workers_selector
from ..selectors.farm import worker as worker_selector
from ..services import failure_runs
from .common import (
    browse_crumbs,
    browse_path,
    browse_response,
    live_context,
    page_params,
    pagination,
    sort_columns,
)
from .errors import failed_response, wants_json

SORT_LABELS = {
    "host": "Host",
    "status": "Status",
    "instance": "Instance type",
    "changed": "Changed",
}


def _json(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response


def _farm_crumbs(farm_id: str) -> list[dict[str, Any]]:
    try:
        name = resources.get_farm(farm_id=farm_id).name
    except DeadlineError:
        name = None
    trail = browse_crumbs(browse_path(farm_id), {"farm": name} if name else {}, "farm")
    trail[-1] = {**trail[-1], "url": reverse("farm_detail", args=[farm_id]), "current": False}
    return trail


def _crumb(kind: str, ident: str, name: str | None, url: str | None) -> dict[str, Any]:
    return {"kind": kind, "id": ident, "name": name, "url": url, "current": url is None}


@require_safe
def fleet_list(request: HttpRequest, farm_id: str) -> HttpResponse:
    """Every fleet of a farm: status, scaling, queues served and workers by status."""
    try:
        page = fleets_selector.fleets_page(farm_id=farm_id)
    except DeadlineError as exc:
        return failed_response(request, exc, browse_path(farm_id))
    if wants_json(request):
        return _json(request, page.as_json())
    if request.htmx and request.GET.get("summary") == "1":  # the farm page's fleet list
        response = render(
            request, "tasks_app/_fleet_summary.html", {"farm_id": farm_id, "page": page}
        )
        patch_vary_headers(response, ("HX-Request",))
        return response
    context = {
        "farm_id": farm_id,
        "page": page,
        "crumbs": [*_farm_crumbs(farm_id), _crumb("Fleets", "fleets", "Fleets", None)],
        "json_url": f"{request.path}?format=json",
        "live_label": "Fleets",
        **live_context(request, version=page.version),
    }
    return browse_response(
        request,
        template="tasks_app/fleet_list.html",
        fragment="tasks_app/_fleet_table.html",
        context=context,
    )


def _worker_query(request: HttpRequest) -> fleet_selector.WorkerQuery:
    get = request.GET
    status = get.get("status", "").upper()
    sort = get.get("sort", "")
    try:
        page = max(1, min(int(get.get("page", "1")), 1_000_000))
    except ValueError:
        page = 1
    return fleet_selector.WorkerQuery(
        status=status if status in fleets_selector.WORKER_STATUSES else "",
        host=get.get("host", "").strip()[:200],
        instance_type=get.get("instance_type", "").strip()[:64],
        sort=sort if sort in fleet_selector.SORTS else "",
        descending=get.get("order") == "desc",
        page=page,
    )


@require_safe
def fleet_detail(request: HttpRequest, farm_id: str, fleet_id: str) -> HttpResponse:
    """A fleet's facts and one page of its workers (filter, sort, page)."""
    query = _worker_query(request)
    try:
        page = fleet_selector.fleet_page(farm_id=farm_id, fleet_id=fleet_id, query=query)
    except DeadlineError as exc:
        return failed_response(request, exc, browse_path(farm_id))
    if wants_json(request):
        return _json(request, page.as_json())
    params = page_params(request)
    fleets_url = reverse("fleet_list", args=[farm_id])
    context = {
        "farm_id": farm_id,
        "page": page,
        "query": query,
        "statuses": fleets_selector.WORKER_STATUSES,
        "columns": sort_columns(params, SORT_LABELS, query.sort, query.descending),
        "pagination": pagination(params, page.window),
        "crumbs": [
            *_farm_crumbs(farm_id),
            _crumb("Fleets", "fleets", "Fleets", fleets_url),
            _crumb("Fleet", fleet_id, page.fleet.display_name, None),
        ],
        "json_url": f"{request.path}?{_with_format(params)}",
        "live_label": "Workers",
        **live_context(request, version=_version(page.as_json())),
    }
    return browse_response(
        request,
        template="tasks_app/fleet_detail.html",
        fragment="tasks_app/_fleet_workers.html",
        context=context,
    )


def _with_format(params: Any) -> str:
    query = params.copy()
    query["format"] = "json"
    return str(query.urlencode())


def _version(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@require_safe
def worker_detail(
    request: HttpRequest, farm_id: str, fleet_id: str, worker_id: str
) -> HttpResponse:
    """A worker: host, sessions newest first, record, worker log and resource charts."""
    window = request.GET.get("window", worker_selector.DEFAULT_WINDOW)
    search = request.GET.get("q", "").strip()[:1024]
    try:
        page = worker_selector.worker_page(
            farm_id=farm_id, fleet_id=fleet_id, worker_id=worker_id, window=window, search=search
        )
    except DeadlineError as exc:
        return failed_response(request, exc, browse_path(farm_id))
    if wants_json(request):
        return _json(request, page.as_json())
    params = page_params(request)
    charts = [
        {
            "series": s,
            "svg": line_chart(
                s.points,
                start=page.start,
                end=page.end,
                title=s.title,
                unit=s.unit,
                series_class=f"line-s{i % 8}",
            ),
        }
        for i, s in enumerate(page.series)
    ]
    fleet_name = page.fleet.display_name if page.fleet else None
    context = {
        "farm_id": farm_id,
        "fleet_id": fleet_id,
        "page": page,
        "worker": page.worker,
        "charts": charts,
        "windows": [
            {"name": name, "url": _url_with(params, window=name), "current": name == page.window}
            for name in worker_selector.WINDOWS
        ],
        "crumbs": [
            *_farm_crumbs(farm_id),
            _crumb("Fleets", "fleets", "Fleets", reverse("fleet_list", args=[farm_id])),
            _crumb(
                "Fleet", fleet_id, fleet_name, reverse("fleet_detail", args=[farm_id, fleet_id])
            ),
            _crumb("Worker", worker_id, page.worker.host_name, None),
        ],
        "json_url": f"{request.path}?{_with_format(params)}",
        "live_label": "Worker",
        **live_context(request, version=_version(page.as_json()) + str(len(page.log_lines))),
    }
    return browse_response(
        request,
        template="tasks_app/worker_detail.html",
        fragment="tasks_app/_worker_live.html",
        context=context,
    )


def _failure_report(
    scope: FailureScope, wait_seconds: float | None
) -> tuple[FailureReport | None, str]:
    """The job's failures report (its analysis started when something is missing), or None and
    why: the sessions still stand, the failures wait for a reload. A missing job raises."""
    try:
        return failure_runs.report(scope, wait_seconds=wait_seconds), ""
    except NotFound:
        raise
    except DeadlineError as exc:
        return None, exc.message


def _wait(request: HttpRequest) -> float | None:
    """``?wait=<seconds>`` (at most 120): how long the failure analysis may take first."""
    try:
        return max(0.0, min(float(request.GET["wait"]), 120.0))
    except (KeyError, ValueError):
        return None


def _url_with(params: Any, **changes: str) -> str:
    query = params.copy()
    for key, value in changes.items():
        query[key] = value
    return f"?{query.urlencode()}"


@require_safe
def job_workers(request: HttpRequest, farm_id: str, queue_id: str, job_id: str) -> HttpResponse:
    """The workers that ran a job: attempts, failures and the bad-worker flag."""
    path = browse_path(farm_id, queue_id, job_id)
    try:
        scope = FailureScope(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
        report, failures_error = _failure_report(scope, _wait(request))
        page = job_workers_selector.job_workers(
            farm_id=farm_id, queue_id=queue_id, job_id=job_id, report=report, error=failures_error
        )
        job = resources.get_job(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    except DeadlineError as exc:
        return failed_response(request, exc, path)
    if wants_json(request):
        return _json(request, page.as_json())
    trail = browse_crumbs(path, {"job": job.name}, "job")
    trail[-1] = {**trail[-1], "url": reverse("job_detail", args=[farm_id, queue_id, job_id])}
    trail[-1]["current"] = False
    context = {
        "farm_id": farm_id,
        "queue_id": queue_id,
        "job_id": job_id,
        "job": job,
        "page": page,
        "crumbs": [*trail, _crumb("Workers", "workers", "Workers", None)],
        "failures_url": reverse("job_failures", args=[farm_id, queue_id, job_id]),
        "json_url": f"{request.path}?format=json",
        "live_label": "Workers",
        **live_context(request, version=_version(page.as_json()), settled=not page.running),
    }
    return browse_response(
        request,
        template="tasks_app/job_workers.html",
        fragment="tasks_app/_job_workers_table.html",
        context=context,
    )
