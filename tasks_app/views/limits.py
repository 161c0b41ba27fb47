"""The farm's limits (``/farms/<farm>/limits/``): counts against maximums, the queues each
serves and the jobs holding it now; JSON to ``Accept: application/json``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError
from ..selectors.blockers.limits import limits_page
from ..selectors.resources import get_farm
from .common import browse_path, crumbs
from .errors import error_response, wants_json


@require_safe
def farm_limits(request: HttpRequest, farm_id: str) -> HttpResponse:
    """Each limit of the farm, fullest first in the eye (a bar), with who holds it."""
    try:
        page = limits_page(farm_id=farm_id)
    except DeadlineError as exc:
        response = error_response(request, exc)
        patch_vary_headers(response, ("Accept",))
        return response
    if wants_json(request):
        response = JsonResponse(page.as_json())
    else:
        try:
            names = {"farm": get_farm(farm_id=farm_id).name}
        except DeadlineError:
            names = {}
        trail = crumbs(browse_path(farm_id), names=names, upto="farm")
        trail.append({"kind": "Page", "id": "", "name": "Limits", "url": None, "current": True})
        response = render(
            request,
            "tasks_app/limits.html",
            {"page": page, "crumbs": trail, "farm_id": farm_id},
        )
    patch_vary_headers(response, ("Accept",))
    return response
