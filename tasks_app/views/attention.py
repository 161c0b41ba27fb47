"""What needs attention now (``/attention/``): the farm-wide list as incidents, a live page
(its htmx fragment answers 204 while unchanged), JSON to ``Accept: application/json``,
``?kind=`` filtering, and POST to acknowledge, snooze or clear one incident; plus the count
the header loads lazily beside its plain Attention link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from ..deadline.errors import DeadlineError, Unavailable
from ..permissions import acting_permission, actor_name
from ..selectors import attention
from ..selectors.attention import rules as attention_rules
from ..selectors.attention.acks import unacknowledged
from ..selectors.attention.board import Board, UnknownKind, board, find
from ..selectors.attention.stories import incidents
from ..services import attention_acks, attention_refresh
from .actions import forbidden, see_other
from .common import is_fragment, unchanged
from .errors import failed_response


def wants_json(request: HttpRequest) -> bool:
    """``Accept: application/json`` preferred over HTML (a browser's ``*/*`` is not enough)."""
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


@require_http_methods(["GET", "HEAD", "POST"])
def attention_list(request: HttpRequest) -> HttpResponse:
    """Every visible farm's and queue's trouble as incidents, ranked by impact; refreshes in
    place. POST acknowledges, snoozes or clears one (``acknowledge``)."""
    if request.method == "POST":
        return acknowledge(request)
    try:
        report = attention.get_report()
    except DeadlineError as exc:
        return _failed(request, exc)
    kind = request.GET.get("kind") or None
    try:
        shown = board(report, kind=kind, path=request.path)
    except UnknownKind:
        return _bad_request(request, f"No such kind of item: {kind!r}. Kinds: {_kinds()}.")
    if wants_json(request):
        # ``notes``: what the list could not check or read whole (page caps), as on the page.
        response = JsonResponse(
            {
                "items": [i.as_json() for i in (*shown.open, *shown.acknowledged)],
                "notes": list(report.notes),
            }
        )
    elif is_fragment(request) and request.GET.get("v") == shown.version:
        response = unchanged()
    else:
        context = _context(request, shown)
        template = (
            "tasks_app/_attention_live.html" if is_fragment(request) else "tasks_app/attention.html"
        )
        context["fragment"] = is_fragment(request)
        response = render(request, template, context)
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response


def _failed(request: HttpRequest, exc: DeadlineError) -> HttpResponse:
    if wants_json(request):
        response = JsonResponse({"error": exc.message}, status=exc.http_status)
        if isinstance(exc, Unavailable):
            response["Retry-After"] = str(exc.retry_after)
    else:
        response = failed_response(request, exc)
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response


def _kinds() -> str:
    return ", ".join(attention.KINDS)


def _bad_request(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "tasks_app/attention_refused.html", {"message": message}, status=status)


#: Rows the page shows unless asked for all (``?all=1``); the JSON always has every item.
PAGE_ROWS = 100


def _context(request: HttpRequest, shown: Board) -> dict[str, Any]:
    poll = max(settings.DASHBOARD_POLL_SECONDS, 1.0)
    show_all = request.GET.get("all") == "1"
    rows = shown.open if show_all else shown.open[:PAGE_ROWS]
    query = "&".join(
        part for part in (f"kind={shown.kind}" if shown.kind else "", "all=1" if show_all else "")
        if part
    )  # fmt: skip
    page_url = request.path + (f"?{query}" if query else "")
    return {
        "board": shown,
        "report": shown.report,
        "items": rows,
        "hidden": len(shown.open) - len(rows),
        "all_url": f"{request.path}?{'kind=' + shown.kind + '&' if shown.kind else ''}all=1",
        "slow_factor": attention_rules.slow_factor(),
        "attention_count": shown.total_open,
        "refresh_seconds": attention_rules.refresh_seconds(),
        "stall_minutes": round(attention_rules.stall_after().total_seconds() / 60),
        "poll_seconds": poll,
        "poll_ms": int(poll * 1000),
        "poll_url": f"{page_url}{'&' if query else '?'}v={shown.version}",
        "page_url": page_url,
        "version": shown.version,
        "now": attention.now(),
        "can_ack": acting_permission(request).allowed,
        "ack_hours": attention_acks.ACK_HOURS,
        "snooze_hours": attention_acks.SNOOZE_HOURS,
        "crumbs": [],
    }


def acknowledge(request: HttpRequest) -> HttpResponse:
    """POST ``key`` (an incident's, as the page lists it) and ``change``: "ack" (until it
    changes, or ACK_HOURS), "snooze" with ``hours`` (one of SNOOZE_HOURS), or "clear".
    Permitted as acting on work is; 303 back to the list; 404 for an incident the list does
    not hold now; 409 when someone else already took it."""
    permission = acting_permission(request)
    if not permission.allowed:
        return forbidden(request, permission.why_not)
    key = request.POST.get("key", "")[:200]
    change = request.POST.get("change", "")
    if change not in ("ack", "snooze", "clear"):
        return _bad_request(request, "Say what to do: change=ack, snooze or clear.")
    hours = _hours(request.POST.get("hours", ""), change)
    if hours is None:
        allowed = ", ".join(str(h) for h in attention_acks.SNOOZE_HOURS)
        return _bad_request(request, f"Snooze for one of {allowed} hours.")
    report = attention.last_report()
    incident = find(report, key) if report is not None and key else None
    if incident is None:
        return _bad_request(
            request,
            f"No item {key!r} is on the attention list now: it may have cleared since the page "
            "was drawn. Reload the list.",
            status=404,
        )
    username = actor_name(request)
    request_id = str(getattr(request, "request_id", "") or "")
    try:
        if change == "clear":
            attention_acks.clear(key, username=username, request_id=request_id)
        else:
            subject = attention_acks.Subject(
                key=key,
                state=incident.state,
                title=incident.item.title,
                farm_id=incident.item.farm_id,
            )
            attention_acks.take(
                subject, kind=change, hours=hours, username=username, request_id=request_id
            )
    except attention_acks.AckRefused as exc:
        return _bad_request(request, str(exc), status=409)
    kind = request.POST.get("kind", "")
    back = reverse("attention") + (f"?kind={kind}" if kind in attention.KINDS else "")
    return see_other(back)


def _hours(raw: str, change: str) -> int | None:
    if change != "snooze":
        return attention_acks.ACK_HOURS
    if not raw.isdigit() or int(raw) not in attention_acks.SNOOZE_HOURS:
        return None
    return int(raw)


@require_safe
def attention_count(request: HttpRequest) -> HttpResponse:
    """The header's count of incidents nobody acknowledged or snoozed, for htmx (loaded after
    the page, never blocking it): from the report as last built, never waiting for a build.
    Before the first build it starts one in the background and asks again shortly. Without
    htmx, the list itself."""
    if not request.htmx:
        return HttpResponseRedirect(reverse("attention"))
    report = attention_refresh.ready_report()
    count = None if report is None else unacknowledged(incidents(report))
    retry = report is None and attention_refresh.failed_recently()
    context = {"attention_count": count, "pending": report is None and not retry, "retry": retry}
    response = render(request, "tasks_app/_attention_count.html", context)
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ("HX-Request",))
    return response
