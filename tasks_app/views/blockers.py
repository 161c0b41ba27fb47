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


def _part(request: HttpRequest, ids: dict[str, str], upto: str, part: str) -> HttpResponse:
    """The pieces other pages load after they show: the one-line summary (``line``), the
    job's dependency graph (``graph``) and a step's links (``links``). A failed read leaves
    the page as it was: the loader's link stays."""
    job_ids = {k: ids[k] for k in ("farm_id", "queue_id", "job_id")}
    try:
        if part == "line":
            report = (
                blockers.step_blockers(**ids) if upto == "step" else blockers.job_blockers(**ids)
            )
            context: dict[str, Any] = {"report": report, "blockers_url": request.path}
            return render(request, "tasks_app/_blockers_line.html", context)
        graph = step_graph(**job_ids)
    except DeadlineError:
        return HttpResponse(f'<p><a href="{request.path}">Why is it waiting?</a></p>')
    if part == "links" and upto == "step":
        context = {
            "waits_on": graph.waits_on(ids["step_id"]),
            "waited_by": graph.waited_by(ids["step_id"]),
            "path": browse_path(**ids),
        }
        return render(request, "tasks_app/_step_links.html", context)
    return render(request, "tasks_app/_step_graph_section.html", {"graph": graph})


def _page(request: HttpRequest, ids: dict[str, str], upto: str) -> HttpResponse:
    part = request.GET.get("part", "")
    if part in ("line", "graph", "links") and request.htmx:
        response = _part(request, ids, upto, part)
        patch_vary_headers(response, ("HX-Request",))
        return response
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
    patch_vary_headers(response, ("Accept", "HX-Request"))
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
