"""Why isn't it running? The blockers of a job and of a step (HTML, and JSON to
``Accept: application/json`` or ``?format=json``), both from one ``BlockerReport``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError
from ..selectors import blockers
from ..selectors.blockers.graph import step_graph
from ..selectors.resources import get_farm, get_job, get_queue, get_step, read_concurrently
from .common import browse_path, crumbs, named
from .errors import error_response, wants_json


def _page(request: HttpRequest, ids: dict[str, str], upto: str) -> HttpResponse:
    try:
        if upto == "step":
            report = blockers.step_blockers(**ids)
        else:
            report = blockers.job_blockers(**ids)
    except DeadlineError as exc:
        response = error_response(request, exc)
        patch_vary_headers(response, ("Accept",))
        return response
    if wants_json(request):
        response = JsonResponse(report.as_json())
    else:
        response = render(request, "tasks_app/blockers.html", _context(ids, upto, report))
    patch_vary_headers(response, ("Accept",))
    return response


def _context(ids: dict[str, str], upto: str, report: blockers.BlockerReport) -> dict[str, Any]:
    reads = {
        "farm": lambda: get_farm(farm_id=ids["farm_id"]),
        "queue": lambda: get_queue(farm_id=ids["farm_id"], queue_id=ids["queue_id"]),
        "job": lambda: get_job(**{k: ids[k] for k in ("farm_id", "queue_id", "job_id")}),
    }
    if upto == "step":
        reads["step"] = lambda: get_step(**ids)
    found = read_concurrently(reads, optional=frozenset(reads))
    path = browse_path(**ids)
    trail = crumbs(path, names=named(**found), upto=upto)
    trail.append({"kind": "Page", "id": "", "name": "Why it waits", "url": None, "current": True})
    subject = found.get(upto)
    graph = None
    if upto == "job":
        try:
            graph = step_graph(**ids)
        except DeadlineError:
            graph = None
    return {
        "report": report,
        "subject_kind": upto,
        "subject_name": subject.name if subject is not None else ids[f"{upto}_id"],
        "subject_id": ids[f"{upto}_id"],
        "crumbs": trail,
        "graph": graph,
        "path": path,
    }


@require_safe
def job_blockers(request: HttpRequest, farm_id: str, queue_id: str, job_id: str) -> HttpResponse:
    """Every reason the job's waiting tasks are not running."""
    return _page(request, {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id}, "job")


@require_safe
def step_blockers(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> HttpResponse:
    """Every reason the step's waiting tasks are not running."""
    ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id, "step_id": step_id}
    return _page(request, ids, "step")
