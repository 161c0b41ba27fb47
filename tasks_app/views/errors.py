"""Error pages: ``error_response`` maps a domain error to 404, 403, 400 or 503 (with
Retry-After); the handler400/403/404/500 views; ``failed_response`` keeps what an htmx page
shows and swaps only the warning slot.

A script's request (``Accept: application/json`` preferred over HTML, or ``?format=json``)
gets every one of these as JSON, ``{"error": "<message>", "status": 404, ...}``, never an HTML
page; ``middleware.JsonErrorMiddleware`` does the same for errors made anywhere else."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django_htmx.http import reswap
from django_htmx.middleware import HtmxDetails

from ..deadline import calls
from ..deadline.errors import (
    RESOURCE_KINDS,
    AccessDenied,
    DeadlineError,
    InvalidRequest,
    NotFound,
    Unavailable,
)
from ..deadline.types import TaskPath
from ..selectors import resources
from .common import KIND_LABELS, crumbs, is_fragment

logger = logging.getLogger(__name__)


def wants_json(request: HttpRequest) -> bool:
    """A script's request: ``?format=json``, or ``Accept`` preferring JSON to HTML (a
    browser's ``*/*`` is not enough); never an htmx request."""
    htmx = getattr(request, "htmx", None)
    if htmx is None:  # answered before django-htmx's middleware ran (e.g. a CSRF refusal)
        htmx = HtmxDetails(request)
    if htmx:
        return False
    if request.GET.get("format", "").lower() == "json":
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def json_error(status: int, message: str, **members: Any) -> JsonResponse:
    """``{"error": message, "status": status, **members}`` with that status; a
    ``retry_after`` member goes in the Retry-After header too."""
    response = JsonResponse(
        {"error": message, "status": status, **members},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    if members.get("retry_after"):
        response["Retry-After"] = str(members["retry_after"])
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ("Accept",))
    return mark_dashboard_page(response)


def deadline_error_json(exc: DeadlineError) -> JsonResponse:
    """A domain error as JSON, with what a script can act on (which resource, which IAM
    action, when to retry)."""
    if isinstance(exc, NotFound):
        return json_error(
            404, exc.message, resource_type=exc.resource_type, resource_id=exc.resource_id
        )
    if isinstance(exc, AccessDenied):
        return json_error(403, exc.message, action=exc.action)
    if isinstance(exc, InvalidRequest):
        return json_error(400, exc.message)
    if isinstance(exc, Unavailable):
        return json_error(503, exc.message, reason=exc.reason, retry_after=exc.retry_after)
    return json_error(503, exc.message, retry_after=calls.DEFAULT_RETRY_AFTER)


def error_response(
    request: HttpRequest, exc: DeadlineError, *, path: TaskPath | None = None
) -> HttpResponse:
    """The error page for a domain error: 404, 403, 400 or 503 with Retry-After (JSON for a
    script's request)."""
    if wants_json(request):
        return deadline_error_json(exc)
    context: dict[str, Any] = {"error": exc}
    if isinstance(exc, NotFound):
        template, status = "404.html", 404
        context["missing_kind"] = KIND_LABELS.get(exc.resource_type, exc.resource_type.title())
        context["missing_id"] = exc.resource_id
        if path is not None and exc.resource_type in RESOURCE_KINDS[1:]:
            parent = RESOURCE_KINDS[RESOURCE_KINDS.index(exc.resource_type) - 1]
            context["parents"] = crumbs(path, upto=parent)
    elif isinstance(exc, AccessDenied):
        template, status = "403.html", 403
        context["action"] = exc.action
    elif isinstance(exc, InvalidRequest):
        template, status = "400.html", 400
    else:
        template, status = "503.html", 503
    response = mark_dashboard_page(render(request, template, context, status=status))
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(exc.retry_after)
    elif status == 503:
        response["Retry-After"] = str(calls.DEFAULT_RETRY_AFTER)
    return response


def failed_response(
    request: HttpRequest, exc: DeadlineError, path: TaskPath | None = None
) -> HttpResponse:
    """The task page's error mapping; an htmx request keeps what the page shows and gets
    only the warning slot."""
    if is_fragment(request):
        html = render_to_string(
            "tasks_app/_poll_warning.html", {"error": exc, "now": resources.now()}, request
        )
        response = reswap(HttpResponse(html), "none")
    else:
        response = error_response(request, exc, path=path)
    patch_vary_headers(response, ("HX-Request",))
    return response


_R = TypeVar("_R", bound=HttpResponseBase)


def mark_dashboard_page(response: _R) -> _R:
    """Note that ``response`` is one of the dashboard's own error pages (see
    DebugNotFoundMiddleware: every other 404 is replaced by one, even with DEBUG on)."""
    response.dashboard_error_page = True  # type: ignore[attr-defined]
    return response


def is_dashboard_page(response: HttpResponseBase) -> bool:
    """Whether ``response`` came from ``mark_dashboard_page``."""
    return bool(getattr(response, "dashboard_error_page", False))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: unknown URLs and malformed IDs (rejected before any API call)."""
    malformed = request.path.startswith("/farms/")
    if wants_json(request):
        return json_error(
            404,
            "No such resource: an ID in this address is malformed."
            if malformed
            else "No page at this address.",
        )
    context = {"malformed_path": malformed}
    return mark_dashboard_page(render(request, "404.html", context, status=404))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    if wants_json(request):
        return json_error(403, "You may not do this.")
    return render(request, "403.html", {}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400."""
    if wants_json(request):
        return json_error(400, "Bad request.")
    return render(request, "400.html", {}, status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a plain page, never a traceback; falls back to text if templates fail. A
    script gets JSON with the request's ID, the reference to give an administrator."""
    try:
        if wants_json(request):
            reference = str(getattr(request, "request_id", ""))
            return json_error(500, "Internal error.", request_id=reference)
        return render(request, "500.html", {}, status=500)
    except Exception:  # the page of last resort must not raise
        logger.exception("rendering 500.html failed")
        return HttpResponse("Internal error.", status=500, content_type="text/plain; charset=utf-8")
