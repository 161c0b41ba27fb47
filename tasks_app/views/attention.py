"""What needs attention now (``/attention/``): the farm-wide ranked list as a live page, its
htmx fragment (204 while unchanged), JSON to ``Accept: application/json``, and the count the
header loads lazily beside its plain Attention link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError, Unavailable
from ..selectors import attention
from ..selectors.attention import rules as attention_rules
from .common import is_fragment, unchanged
from .errors import failed_response


def wants_json(request: HttpRequest) -> bool:
    """``Accept: application/json`` preferred over HTML (a browser's ``*/*`` is not enough)."""
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


@require_safe
def attention_list(request: HttpRequest) -> HttpResponse:
    """Every visible farm's and queue's trouble, ranked by impact; refreshes in place."""
    try:
        report = attention.get_report()
    except DeadlineError as exc:
        if wants_json(request):
            response = JsonResponse({"error": exc.message}, status=exc.http_status)
            if isinstance(exc, Unavailable):
                response["Retry-After"] = str(exc.retry_after)
        else:
            response = failed_response(request, exc)
        patch_vary_headers(response, ("Accept", "HX-Request"))
        return response
    if wants_json(request):
        # ``notes``: what the list could not check or read whole (page caps), as on the page.
        response = JsonResponse(
            {"items": [item.as_json() for item in report.items], "notes": list(report.notes)}
        )
    elif is_fragment(request) and request.GET.get("v") == report.version:
        response = unchanged()
    else:
        context = _context(request, report)
        template = (
            "tasks_app/_attention_live.html" if is_fragment(request) else "tasks_app/attention.html"
        )
        context["fragment"] = is_fragment(request)
        response = render(request, template, context)
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response


#: Rows the page shows unless asked for all (``?all=1``); the JSON always has every item.
PAGE_ROWS = 100


def _context(request: HttpRequest, report: attention.AttentionReport) -> dict[str, Any]:
    poll = max(settings.DASHBOARD_POLL_SECONDS, 1.0)
    show_all = request.GET.get("all") == "1"
    shown = report.items if show_all else report.items[:PAGE_ROWS]
    return {
        "report": report,
        "items": shown,
        "hidden": len(report.items) - len(shown),
        "all_url": f"{request.path}?all=1",
        "summary": [
            {"kind": kind, "label": attention.KIND_LABELS[kind], "count": n}
            for kind, n in report.counts().items()
        ],
        "slow_factor": attention_rules.slow_factor(),
        "attention_count": report.count,
        "refresh_seconds": attention_rules.refresh_seconds(),
        "stall_minutes": round(attention_rules.stall_after().total_seconds() / 60),
        "poll_seconds": poll,
        "poll_ms": int(poll * 1000),
        "poll_url": f"{request.path}?{'all=1&' if show_all else ''}v={report.version}",
        "page_url": request.path + ("?all=1" if show_all else ""),
        "version": report.version,
        "now": attention.now(),
        "crumbs": [],
    }


@require_safe
def attention_count(request: HttpRequest) -> HttpResponse:
    """The header's count, for htmx (loaded after the page, never blocking it); served from
    the shared report, so a page view costs no API call once the report is warm. Without
    htmx, the list itself."""
    if not request.htmx:
        return HttpResponseRedirect(reverse("attention"))
    try:
        count: int | None = attention.get_report().count
    except DeadlineError:
        count = None  # the link stays; the badge waits for the next load
    context = {"attention_count": count, "retry": count is None}
    response = render(request, "tasks_app/_attention_count.html", context)
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ("HX-Request",))
    return response
