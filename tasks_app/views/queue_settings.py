"""A queue's scheduling settings (``/farms/<farm>/queues/<queue>/settings/``): the section the
queue page loads after it shows, a page of its own without JavaScript, and JSON."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError
from ..selectors.blockers.settings import queue_settings_view
from ..selectors.resources import get_farm, get_queue, read_concurrently
from .common import browse_path, crumbs, is_fragment, named
from .errors import error_response, wants_json


@require_safe
def queue_settings(request: HttpRequest, farm_id: str, queue_id: str) -> HttpResponse:
    """Scheduling configuration, fleets with their association status, limits, budgets."""
    try:
        view = queue_settings_view(farm_id=farm_id, queue_id=queue_id)
    except DeadlineError as exc:
        if is_fragment(request):
            return HttpResponse('<p class="muted">The queue settings could not be read.</p>')
        return error_response(request, exc)
    context = {"view": view, "farm_id": farm_id, "queue_id": queue_id}
    if wants_json(request):
        response: HttpResponse = JsonResponse(view.as_json())
    elif is_fragment(request):
        response = render(request, "tasks_app/_queue_settings.html", context)
    else:
        found = read_concurrently(
            {
                "farm": lambda: get_farm(farm_id=farm_id),
                "queue": lambda: get_queue(farm_id=farm_id, queue_id=queue_id),
            },
            optional=frozenset({"farm", "queue"}),
        )
        trail = crumbs(browse_path(farm_id, queue_id), names=named(**found), upto="queue")
        trail.append({"kind": "Page", "id": "", "name": "Settings", "url": None, "current": True})
        response = render(request, "tasks_app/queue_settings.html", {**context, "crumbs": trail})
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response
