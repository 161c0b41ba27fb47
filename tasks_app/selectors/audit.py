"""Reads of the audit trail: the actions taken on work (``ActionRun`` rows) and on machines
(``MachineAction`` rows: DeleteWorker, UpdateFleet) in one list, filtered and paged, and one
action's tasks that were not changed. These come from the database, not the API: every
host sharing the database (``DATABASE_URL``) sees the same trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import CharField, QuerySet, Value

from ..models import ActionItem, ActionRun, MachineAction

AUDIT_PAGE_SIZE = 50
#: Tasks not changed listed on a result page (all are counted; the rest are in the database).
FAILURES_SHOWN = 500


@dataclass(frozen=True)
class AuditFilter:
    """What /audit/ narrows to, each optional: a farm (its ID, or the IDs of the farms whose
    name matched), a job (its ID, or part of its name), a user (part of the name, any case)."""

    farm_id: str = ""
    job_id: str = ""
    username: str = ""
    job_name: str = ""
    farm_ids: tuple[str, ...] | None = None  # a farm name's matches (empty: none matched)

    @property
    def active(self) -> bool:
        return bool(
            self.farm_id
            or self.job_id
            or self.username
            or self.job_name
            or self.farm_ids is not None
        )


def _by_farm_and_user(rows: QuerySet, where: AuditFilter) -> QuerySet:
    if where.farm_id:
        rows = rows.filter(farm_id=where.farm_id)
    if where.farm_ids is not None:
        rows = rows.filter(farm_id__in=sorted(where.farm_ids))
    if where.username:
        rows = rows.filter(username__icontains=where.username)
    return rows


def _runs(where: AuditFilter) -> QuerySet[ActionRun]:
    runs = _by_farm_and_user(ActionRun.objects.all(), where)
    if where.job_id:
        runs = runs.filter(job_id=where.job_id)
    if where.job_name:
        runs = runs.filter(job_name__icontains=where.job_name)
    return runs.order_by("-created_at", "-id")


def _machines(where: AuditFilter) -> QuerySet[MachineAction] | None:
    """Machine actions the filter admits; none when it names a job (they act on no job)."""
    if where.job_id or where.job_name:
        return None
    return _by_farm_and_user(MachineAction.objects.all(), where)


def _keys(rows: QuerySet, source: str) -> QuerySet:
    """(created_at, id, source) of each row, unordered: one half of the merged listing."""
    return (
        rows.order_by()
        .annotate(source=Value(source, output_field=CharField()))
        .values_list("created_at", "id", "source")
    )


def audit_page(
    *,
    where: AuditFilter,
    page: int = 1,
    allowed_farms: frozenset[str] | None,
    page_size: int = AUDIT_PAGE_SIZE,
) -> Page:
    """One page of actions on work and on machines, newest first; only farms on the
    allow-list (None: every farm). The two tables are merged in the database (a UNION of
    their keys, paged there), then the page's rows are read: ``ActionRun`` and
    ``MachineAction`` objects in one list."""
    runs = _runs(where)
    machines = _machines(where)
    if allowed_farms is not None:
        runs = runs.filter(farm_id__in=sorted(allowed_farms))
        if machines is not None:
            machines = machines.filter(farm_id__in=sorted(allowed_farms))
    if machines is None:
        return Paginator(runs, page_size).get_page(page)
    merged = _keys(runs, "task").union(_keys(machines, "machine"), all=True)
    found = Paginator(merged.order_by("-created_at", "-id", "source"), page_size).get_page(page)
    keys = list(found.object_list)
    wanted = {
        "task": ActionRun.objects.in_bulk([pk for _, pk, source in keys if source == "task"]),
        "machine": MachineAction.objects.in_bulk(
            [pk for _, pk, source in keys if source == "machine"]
        ),
    }
    found.object_list = [wanted[source][pk] for _, pk, source in keys]
    return found


def get_run(*, run_id: int) -> ActionRun | None:
    return ActionRun.objects.filter(pk=run_id).first()


def unchanged_items(*, run: ActionRun, limit: int = FAILURES_SHOWN) -> list[ActionItem]:
    """The calls of a run that did not change their task, with the reason, first ``limit``."""
    return list(run.items.filter(outcome=ActionItem.Outcome.FAILED).order_by("id")[:limit])
