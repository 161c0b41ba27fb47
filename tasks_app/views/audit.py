"""The audit trail: ``/audit/`` lists every action taken, on work and on machines (filter by
farm, job, user; a job filter lists only actions on work; with
htmx, only the table, as the job page embeds it), ``/audit/<id>/`` is one action's live result
page (progress while it runs, then every task it could not change, with the reason)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from ..deadline import allow_list
from ..deadline.errors import DeadlineError
from ..deadline.types import TaskRunStatus
from ..forms import AuditFilterForm
from ..models import ActionRun, MachineAction
from ..selectors import audit, browse
from ..services.actions import ACTIONS
from .common import is_fragment, url_with

#: How often the result page refreshes while the action runs.
RESULT_POLL_MS = 1000
#: Actions listed on a job's page (the rest are one link away).
EMBEDDED_ROWS = 10


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    """Every action, newest first: who, when, what, where, why, counts, result; machine
    actions (remove a worker, size a fleet) among them, marked as such."""
    form = AuditFilterForm(request.GET)
    embedded = is_fragment(request)
    context: dict[str, Any] = {"form": form, "embedded": embedded, "runs": []}
    valid = form.is_valid()
    if valid:
        where = _where(form.cleaned_data)
        page = audit.audit_page(
            where=where,
            page=form.cleaned_data["page"] or 1,
            allowed_farms=allow_list.allowed_farms(),
            page_size=EMBEDDED_ROWS if embedded else audit.AUDIT_PAGE_SIZE,
        )
        params = request.GET.copy()
        context |= {
            "where": where,
            "page": page,
            "runs": [
                _machine_row(row) if isinstance(row, MachineAction) else _row(row)
                for row in page.object_list
            ],
            "previous_url": url_with(params, page=page.previous_page_number())
            if page.has_previous()
            else None,
            "next_url": url_with(params, page=page.next_page_number()) if page.has_next() else None,
        }
    template = "tasks_app/_audit_table.html" if embedded else "tasks_app/audit.html"
    response = render(request, template, context, status=200 if valid else 400)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _where(data: dict[str, Any]) -> audit.AuditFilter:
    """IDs as they are; anything else is part of a name (a farm's: matched against the farms
    the dashboard can see, from the cached farm list)."""
    farm, job = data["farm"], data["job"]
    farm_ids: tuple[str, ...] | None = None
    if farm and not AuditFilterForm.is_id("farm_id", farm):
        try:
            farms = browse.list_farms().farms
        except DeadlineError:
            farms = ()
        needle = farm.casefold()
        farm_ids = tuple(f.farm_id for f in farms if needle in f.display_name.casefold())
    return audit.AuditFilter(
        farm_id=farm if farm_ids is None else "",
        farm_ids=farm_ids,
        job_id=job if AuditFilterForm.is_id("job_id", job) else "",
        job_name="" if AuditFilterForm.is_id("job_id", job) else job,
        username=data["user"],
    )


def _row(run: ActionRun) -> dict[str, Any]:
    return {
        "run": run,
        "label": ACTIONS[run.action].label if run.action in ACTIONS else run.action,
        "statuses": [TaskRunStatus.parse(s) for s in run.run_statuses],
    }


def _machine_row(row: MachineAction) -> dict[str, Any]:
    """A machine action's row: its kind, and the worker or fleet it acted on."""
    return {"machine": row, "label": row.get_kind_display()}


@require_GET
def action_result(request: HttpRequest, run_id: int) -> HttpResponse:
    """One action's result; refreshed in place (htmx) every second while it runs."""
    run = audit.get_run(run_id=run_id)
    if run is None or not allow_list.is_farm_allowed(run.farm_id):
        raise Http404("No such action.")
    context = {
        **_row(run),
        "unchanged": audit.unchanged_items(run=run) if run.finished else [],
        "unchanged_shown": audit.FAILURES_SHOWN,
        "poll_ms": RESULT_POLL_MS,
        "kind": ACTIONS.get(run.action),
        "counts": [(TaskRunStatus.parse(name), n) for name, n in (run.counts or {}).items()],
        "worker_hours": run.worker_seconds / 3600.0,
    }
    fragment = is_fragment(request)
    template = "tasks_app/_action_result.html" if fragment else "tasks_app/action_result.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ("HX-Request",))
    return response
