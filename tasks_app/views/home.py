"""The home page, a status board (what is failing, stalled, waiting and running across the
visible farms, the top of the attention list, what finished lately, one go-to box), and the
go-to box's answer (``/go/?q=...``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRedirect

from .. import goto
from ..deadline.errors import DeadlineError
from ..forms import GotoForm, NavigationForm, StatusBoardForm
from ..selectors import find, resources, status_board
from .common import is_fragment
from .errors import failed_response, mark_dashboard_page


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The status board; ``?show=failed`` (stalled, waiting, running) lists the jobs behind
    that count. The browse form's old address (``/?farm_id=...``) goes to ``/browse/``."""
    if any(name in request.GET for name in NavigationForm.base_fields):
        return redirect(f"{reverse('browse')}?{request.GET.urlencode()}")
    form = StatusBoardForm(request.GET or None)
    show = form.cleaned_data["show"] if form.is_valid() else ""
    board = status_board.status_board()
    context: dict[str, Any] = {
        "board": board,
        "form": form,
        "show": show,
        "tiles": [
            {
                "key": key,
                "label": status_board.LABELS[key],
                "count": board.count(key),
                "url": f"{reverse('home')}?show={key}#board-jobs",
            }
            for key in status_board.SHOWN
        ],
        "listed": board.jobs.get(show) if show else None,
        "listed_label": status_board.LABELS.get(show, ""),
        "goto_form": GotoForm(),
        "now": board.checked_at,
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    response = render(request, "tasks_app/home.html", context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_safe
def go_to(request: HttpRequest) -> HttpResponse:
    """``/go/?q=...``: redirect to the deepest level the pasted text names, or say what is
    missing or malformed next to the field (nothing is sent to the API)."""
    form = GotoForm(request.GET if "q" in request.GET else None)
    context: dict[str, Any] = {"goto_form": form}
    status = 400 if form.is_bound else 200
    if form.is_bound and form.is_valid():
        destination = form.cleaned_data["q"]
        if isinstance(destination, goto.Destination):
            url = reverse(f"{destination.level}_detail", kwargs=destination.as_kwargs())
            return _go(request, url)
        try:
            found = _look_up(destination)
        except DeadlineError as exc:
            return failed_response(request, exc)
        if len(found.matches) == 1 and (destination.job_id or not found.more):
            return _go(request, _match_url(found.matches[0], destination))
        if found.matches and is_fragment(request):
            return HttpResponseClientRedirect(request.get_full_path())  # the list, full page
        context.update(lookup=destination, found=found, now=resources.now())
        if not found.matches:
            form.add_error("q", _nothing_found(destination, found))
        status = 200 if found.matches else 404
    template = "tasks_app/_goto_form.html" if is_fragment(request) else "tasks_app/goto.html"
    response = mark_dashboard_page(render(request, template, context, status=status))
    patch_vary_headers(response, ("HX-Request",))
    return response


def _go(request: HttpRequest, url: str) -> HttpResponse:
    if is_fragment(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _look_up(lookup: goto.JobLookup) -> find.JobMatches:
    if lookup.job_id:
        return find.find_job_by_id(job_id=lookup.job_id, farm_id=lookup.farm_id)
    return find.find_jobs_by_name(name=lookup.name)


def _match_url(match: find.JobMatch, lookup: goto.JobLookup) -> str:
    ids = {"farm_id": match.farm_id, "queue_id": match.queue_id, "job_id": match.job_id}
    ids.update({f"{level}_id": value for level, value in lookup.deeper})
    level = lookup.deeper[-1][0] if lookup.deeper else "job"
    return reverse(f"{level}_detail", kwargs=ids)


def _nothing_found(lookup: goto.JobLookup, found: find.JobMatches) -> str:
    where = "in the queues the dashboard can see"
    if found.unread:
        where += f" (could not read: {', '.join(found.unread[:5])})"
    if lookup.job_id:
        return f"No job `{lookup.job_id}` {where}."
    return f"No job name contains “{lookup.name}” {where}."
