"""Usage and budgets. Usage: worker-hours and estimated cost of a farm
(``/farms/<farm>/usage/``) per queue, job, user, fleet, instance type or usage type, over the
last ``days`` (1-90) or ``start``/``end``; a job's own (``…/jobs/<job>/usage/``). HTML (htmx:
the summary fragment a queue or job page loads), JSON (``Accept: application/json`` /
``?format=json``) or CSV (``?format=csv``). Budgets (``/farms/<farm>/budgets/``): each budget
with its projection, HTML or JSON."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from .. import charts, plain_text
from ..deadline.errors import DeadlineError, InvalidRequest
from ..selectors import resources
from ..selectors.usage import budgets
from ..selectors.usage import usage as us
from .common import browse_path, crumbs, is_fragment, named, url_with
from .errors import error_response, wants_json

GROUP_LABELS = {
    "queue": "Queue",
    "job": "Job",
    "user": "User",
    "fleet": "Fleet",
    "instance_type": "Instance type",
    "usage_type": "Usage type",
}
DAY_CHOICES = (1, 7, 30, 90)
#: Groups drawn in their own colour; the rest stack as "Other".
CHART_SERIES = 7


def _moment(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{name} is not a date or time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window_of(request: HttpRequest, now: datetime) -> us.Window:
    """``start``/``end`` (a closed window, or open when it reaches now), else ``days``."""
    if request.GET.get("start"):
        start = _moment(request.GET["start"], "start")
        end = _moment(request.GET["end"], "end") if request.GET.get("end") else now
        current = us.open_window(1, now).end
        if end >= current:
            end, is_open = current, True
        else:
            is_open = False
        if not timedelta(minutes=5) <= end - start <= timedelta(days=90):
            raise InvalidRequest("The window must be 5 minutes to 90 days long, start first.")
        return us.Window(start=start, end=end, open=is_open)
    try:
        days = int(request.GET.get("days") or 7)
    except ValueError:
        raise InvalidRequest("days must be a whole number from 1 to 90.") from None
    if not 1 <= days <= 90:
        raise InvalidRequest("days must be a whole number from 1 to 90.")
    return us.open_window(days, now)


def usage_json(usage: us.Usage) -> dict[str, Any]:
    """The JSON shape docs/usage.md documents."""
    return {
        "start": usage.window.start.isoformat().replace("+00:00", "Z"),
        "end": usage.window.end.isoformat().replace("+00:00", "Z"),
        "group": usage.group,
        "rows": [
            {
                "key": r.key,
                "name": r.name,
                "worker_hours": round(r.worker_hours, 4),
                "cost_usd": round(r.cost_usd, 4),
                "runs": r.runs,
            }
            for r in usage.rows
        ],
        "total": {
            "worker_hours": round(usage.worker_hours, 4),
            "cost_usd": round(usage.cost_usd, 4),
        },
    }


def usage_csv(usage: us.Usage) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([usage.group, "name", "worker_hours", "cost_usd", "runs"])
    for r in usage.rows:
        writer.writerow(
            [
                plain_text.csv_cell(r.key),
                plain_text.csv_cell(r.name),
                f"{r.worker_hours:.4f}",
                f"{r.cost_usd:.4f}",
                r.runs,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = usage.window.end.strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="usage-{usage.group}-{stamp}.csv"'
    return response


@require_safe
def farm_usage(request: HttpRequest, farm_id: str) -> HttpResponse:
    """The farm's usage page (or its JSON, CSV, or a queue page's summary fragment)."""
    path = browse_path(farm_id)
    group = request.GET.get("group") or "queue"
    queue_id = request.GET.get("queue") or ""
    try:
        if group not in us.GROUPS:
            raise InvalidRequest(f"group must be one of {', '.join(us.GROUPS)}.")
        if queue_id and not queue_id.startswith("queue-"):
            raise InvalidRequest("queue must be a queue ID.")
        window = window_of(request, resources.now())
        usage = us.farm_usage(
            farm_id=farm_id,
            window=window,
            group=group,
            queue_ids=(queue_id,) if queue_id else (),
        )
        page = not is_fragment(request) and not wants_json(request)
        farm = _optional_farm(farm_id) if page else None
    except DeadlineError as exc:
        return error_response(request, exc, path=path)
    if request.GET.get("format") == "csv":
        return usage_csv(usage)
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            usage_json(usage), json_dumps_params={"ensure_ascii": False}
        )
        patch_vary_headers(response, ("Accept",))
        return response
    params = request.GET.copy()
    context = {
        "path": path,
        "usage": usage,
        "group_label": GROUP_LABELS[group],
        "chart": _chart(usage),
        "days_links": [
            {
                "days": d,
                "url": url_with(params, days=d, start=None, end=None),
                "on": _on(request, d),
            }
            for d in DAY_CHOICES
        ],
        "groups": [(key, label, key == group) for key, label in GROUP_LABELS.items()],
        "csv_url": url_with(params, format="csv"),
        "json_url": url_with(params, format="json"),
        "page_url": f"{request.path}{url_with(params, queue=None)}",
        "crumbs": crumbs(path, names=named(farm=farm), upto="farm"),
        "farm": farm,
    }
    template = "tasks_app/_usage_summary.html" if is_fragment(request) else "tasks_app/usage.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response


def _on(request: HttpRequest, days: int) -> bool:
    return not request.GET.get("start") and (request.GET.get("days") or "7") == str(days)


def _optional_farm(farm_id: str) -> Any:
    try:
        return resources.get_farm(farm_id=farm_id)
    except DeadlineError:
        return None


def _chart(usage: us.Usage) -> dict[str, Any]:
    """The stacked chart per period, its legend (top groups, then Other) and its table."""
    top = [r.key for r in usage.rows[:CHART_SERIES]]
    names = {r.key: r.name for r in usage.rows}
    series = {key: n for n, key in enumerate(top)}
    hourly = usage.window.period == "HOURLY"
    columns, table = [], []
    for period in usage.periods:
        parts: dict[int, float] = {}
        for key, hours in period.parts:
            n = series.get(key, CHART_SERIES)
            parts[n] = parts.get(n, 0.0) + hours
        total = sum(parts.values())
        label = period.start.strftime("%H:%M" if hourly else "%d %b")
        columns.append(
            charts.Column(
                label=label,
                parts=tuple(sorted(parts.items())),
                title=f"{period.start:%d %b %Y %H:%M}: {total:,.1f} worker-hours",
            )
        )
        table.append({"label": f"{period.start:%d %b %Y %H:%M}", "hours": total})
    legend = [{"n": series[key], "name": names[key]} for key in top]
    if len(usage.rows) > CHART_SERIES:
        legend.append({"n": CHART_SERIES, "name": "Other"})
    svg = charts.stacked(
        columns,
        title=f"Worker-hours per {'hour' if hourly else 'day'}",
        description="Stacked by group; the table below the chart lists the same hours.",
        unit=" h",
    )
    return {"svg": svg if columns else None, "legend": legend, "table": table}


@require_safe
def job_usage(request: HttpRequest, farm_id: str, queue_id: str, job_id: str) -> HttpResponse:
    """A job's own worker-hours and cost over its life (the job page loads the fragment)."""
    path = browse_path(farm_id, queue_id, job_id)
    try:
        job = resources.get_job(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
        now = resources.now()
        window = us.job_window(job.created_at or now - timedelta(days=1), job.ended_at, now)
        row = us.job_usage(farm_id=farm_id, queue_id=queue_id, job_id=job_id, window=window)
    except DeadlineError as exc:
        return error_response(request, exc, path=path)
    if wants_json(request):
        data = {
            "job_id": job_id,
            "start": window.start.isoformat().replace("+00:00", "Z"),
            "end": window.end.isoformat().replace("+00:00", "Z"),
            "worker_hours": round(row.worker_hours, 4),
            "cost_usd": round(row.cost_usd, 4),
            "runs": row.runs,
        }
        response: HttpResponse = JsonResponse(data)
    else:
        context = {"row": row, "window": window, "path": path}
        fragment = is_fragment(request)
        template = "tasks_app/_job_usage.html" if fragment else "tasks_app/job_usage.html"
        response = render(request, template, context)
    patch_vary_headers(response, ("Accept",))
    return response


@require_safe
def farm_budgets(request: HttpRequest, farm_id: str) -> HttpResponse:
    """The farm's budgets: used and remaining, period, thresholds and their actions, the
    queue each governs, and when each threshold will be reached at the current burn rate."""
    path = browse_path(farm_id)
    try:
        views = budgets.farm_budgets(farm_id=farm_id)
        farm = None if wants_json(request) else _optional_farm(farm_id)
    except DeadlineError as exc:
        return error_response(request, exc, path=path)
    if wants_json(request):
        response: HttpResponse = JsonResponse({"budgets": [_budget_json(v) for v in views]})
    else:
        context = {
            "path": path,
            "farm": farm,
            "budgets": [(v, _meter(v)) for v in views],
            "crumbs": crumbs(path, names=named(farm=farm), upto="farm"),
            "now": resources.now(),
        }
        response = render(request, "tasks_app/budgets.html", context)
    patch_vary_headers(response, ("Accept",))
    return response


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _budget_json(view: budgets.BudgetView) -> dict[str, Any]:
    b = view.budget
    return {
        "budget_id": b.budget_id,
        "name": b.name,
        "status": b.status,
        "queue_id": b.queue_id,
        "limit_usd": b.limit,
        "used_usd": b.used,
        "remaining_usd": view.remaining,
        "period": {"start": _iso(b.period_start), "end": _iso(b.period_end)},
        "burn_usd_per_day": view.burn_per_day,
        "projected_at": _iso(view.projected_at),
        "thresholds": [
            {
                "percentage": t.percentage,
                "action": t.action,
                "amount_usd": t.amount,
                "reached": t.reached,
                "projected_at": _iso(t.projected_at),
            }
            for t in view.thresholds
        ],
    }


def _meter(view: budgets.BudgetView) -> Any:
    return charts.meter(
        view.used_percent,
        marks=[t.percentage for t in view.thresholds],
        title=f"{view.used_percent:.0f}% of the budget used",
    )
