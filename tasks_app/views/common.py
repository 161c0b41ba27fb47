"""Helpers every page family shares: fragments vs pages, 204 for unchanged polls, crumbs,
query-string links, sort columns and pagination."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers

from ..deadline.errors import RESOURCE_KINDS
from ..deadline.types import SearchWindow, TaskPath
from ..selectors import resources

KIND_LABELS = {"farm": "Farm", "queue": "Queue", "job": "Job", "step": "Step", "task": "Task"}


def unchanged() -> HttpResponse:
    """204: htmx swaps nothing and keeps polling; the smallest answer we can give."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    response["Cache-Control"] = "no-store"
    return response


def level_url(kind: str, ids: dict[str, str]) -> str:
    """The page of one level: its browse page when the project has one, else the home form
    with the IDs down to that level filled in."""
    wanted = RESOURCE_KINDS[: RESOURCE_KINDS.index(kind) + 1]
    kwargs = {f"{k}_id": ids[f"{k}_id"] for k in wanted}
    try:
        return reverse(f"{kind}_detail", kwargs=kwargs)
    except NoReverseMatch:
        return f"{reverse('home')}?{urlencode(kwargs)}"


def crumbs(
    path: TaskPath, *, names: dict[str, str] | None = None, upto: str = "task"
) -> list[dict[str, Any]]:
    """Breadcrumbs farm -> ... -> ``upto``: kind label, ID, display name and link; the task
    itself is the current page."""
    ids = path.as_kwargs()
    names = names or {}
    return [
        {
            "kind": KIND_LABELS[kind],
            "id": ids[f"{kind}_id"],
            "name": names.get(kind),
            "url": None if kind == "task" else level_url(kind, ids),
            "current": kind == "task",
        }
        for kind in RESOURCE_KINDS[: RESOURCE_KINDS.index(upto) + 1]
    ]


def is_fragment(request: HttpRequest) -> bool:
    """An htmx request for a page's live part (not a boosted link nor a history restore)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def browse_path(farm_id: str, queue_id: str = "", job_id: str = "", step_id: str = "") -> TaskPath:
    """A partial path (deeper IDs empty) for crumbs and nearest-parent links."""
    return TaskPath(farm_id, queue_id, job_id, step_id, "")


def browse_crumbs(path: TaskPath, names: dict[str, str], upto: str) -> list[dict[str, Any]]:
    trail = crumbs(path, names=names, upto=upto)
    trail[-1] = {**trail[-1], "url": None, "current": True}
    return trail


def named(**resources: Any) -> dict[str, str]:
    return {kind: resource.name for kind, resource in resources.items() if resource is not None}


def page_params(request: HttpRequest) -> QueryDict:
    """The query string the page was asked with, minus the poll's version."""
    params = request.GET.copy()
    params.pop("v", None)
    return params


def url_with(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    return f"?{query.urlencode()}" if query else "?"


def combined_version(*parts: Any) -> str:
    """One version of a page's live parts: each part's ``version``, a string as it is, and a
    missing part (None) as a version too, so the poll re-renders when it comes back."""
    text = "|".join(
        "missing" if part is None else part if isinstance(part, str) else part.version
        for part in parts
    )
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def live_context(request: HttpRequest, *, version: str, settled: bool = False) -> dict[str, Any]:
    params = page_params(request)
    poll = params.copy()
    poll["v"] = version
    return {
        "params": params,
        "version": version,
        "settled": settled,
        "poll_url": f"{request.path}?{poll.urlencode()}",
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "poll_ms": int(settings.DASHBOARD_POLL_SECONDS * 1000),
        "now": resources.now(),
        "page_url": request.path + (f"?{params.urlencode()}" if params else ""),
    }


def browse_response(
    request: HttpRequest,
    *,
    template: str,
    fragment: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    if is_fragment(request):
        if status == 200 and request.GET.get("v") == context.get("version"):
            response = unchanged()
        else:
            context["fragment"] = True
            response = render(request, fragment, context, status=status)
    else:
        response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def pagination(params: QueryDict, window: SearchWindow) -> dict[str, Any]:
    def page_url(page: int) -> str:
        return url_with(params, page=None if page == 1 else page)

    return {
        "window": window,
        "first_url": page_url(1) if window.has_previous else None,
        "previous_url": page_url(window.page - 1) if window.has_previous else None,
        "next_url": page_url(window.page + 1) if window.has_next else None,
        "last_url": page_url(window.page_count) if window.has_next else None,
    }


#: Columns whose first click sorts largest (or newest) first: the retries, the priority and the
#: times an operator looks for are at the top end.
DESCENDING_FIRST = frozenset(
    {"PRIORITY", "FAILURE_RETRY_COUNT", "CREATED_AT", "STARTED_AT", "ENDED_AT", "UPDATED_AT"}
)


def sort_columns(
    params: QueryDict, labels: dict[str, str], current: str, descending: bool
) -> dict[str, dict[str, Any]]:
    """Per sortable column: the link that sorts by it (toggling the order; numbers and times
    start descending, names and statuses ascending) and aria-sort."""
    columns = {}
    for field_name, label in labels.items():
        active = field_name == current
        first = "desc" if field_name in DESCENDING_FIRST else "asc"
        order = ("asc" if descending else "desc") if active else first
        columns[field_name] = {
            "label": label,
            "url": url_with(params, sort=field_name, order=order, page=None),
            "aria_sort": ("descending" if descending else "ascending") if active else None,
        }
    return columns
