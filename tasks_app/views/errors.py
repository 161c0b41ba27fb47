"""Error pages: ``error_response`` maps a domain error to 404, 403, 400 or 503 (with
Retry-After); the handler400/403/404/500 views; ``failed_response`` keeps what an htmx page
shows and swaps only the warning slot."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django_htmx.http import reswap

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


def error_response(
    request: HttpRequest, exc: DeadlineError, *, path: TaskPath | None = None
) -> HttpResponse:
    """The error page for a domain error: 404, 403, 400 or 503 with Retry-After."""
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


def mark_dashboard_page(response: HttpResponse) -> HttpResponse:
    """Note that ``response`` is one of the dashboard's own error pages (see
    DebugNotFoundMiddleware: every other 404 is replaced by one, even with DEBUG on)."""
    response.dashboard_error_page = True  # type: ignore[attr-defined]
    return response


def is_dashboard_page(response: HttpResponseBase) -> bool:
    """Whether ``response`` came from ``mark_dashboard_page``."""
    return bool(getattr(response, "dashboard_error_page", False))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: unknown URLs and malformed IDs (rejected before any API call)."""
    context = {"malformed_path": request.path.startswith("/farms/")}
    return mark_dashboard_page(render(request, "404.html", context, status=404))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    return render(request, "403.html", {}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400."""
    return render(request, "400.html", {}, status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a plain page, never a traceback; falls back to text if templates fail."""
    try:
        return render(request, "500.html", {}, status=500)
    except Exception:  # the page of last resort must not raise
        logger.exception("rendering 500.html failed")
        return HttpResponse("Internal error.", status=500, content_type="text/plain; charset=utf-8")
