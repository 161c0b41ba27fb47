"""Reads of the audit trail: the actions taken (``ActionRun`` rows), filtered and paged, and
one action's tasks that were not changed. These come from the database, not the API: every
host sharing the database (``DATABASE_URL``) sees the same trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from ..models import ActionItem, ActionRun

AUDIT_PAGE_SIZE = 50
#: Tasks not changed listed on a result page (all are counted; the rest are in the database).
FAILURES_SHOWN = 500


@dataclass(frozen=True)
class AuditFilter:
    """What /audit/ narrows to: a farm, a job, a user (all optional, exact matches)."""

    farm_id: str = ""
    job_id: str = ""
    username: str = ""

    @property
    def active(self) -> bool:
        return bool(self.farm_id or self.job_id or self.username)


def _runs(where: AuditFilter) -> QuerySet[ActionRun]:
    runs = ActionRun.objects.all()
    if where.farm_id:
        runs = runs.filter(farm_id=where.farm_id)
    if where.job_id:
        runs = runs.filter(job_id=where.job_id)
    if where.username:
        runs = runs.filter(username=where.username)
    return runs.order_by("-created_at", "-id")


def audit_page(
    *,
    where: AuditFilter,
    page: int = 1,
    allowed_farms: frozenset[str] | None,
    page_size: int = AUDIT_PAGE_SIZE,
) -> Page:
    """One page of actions, newest first; only farms on the allow-list (None: every farm)."""
    runs = _runs(where)
    if allowed_farms is not None:
        runs = runs.filter(farm_id__in=sorted(allowed_farms))
    return Paginator(runs, page_size).get_page(page)


def get_run(*, run_id: int) -> ActionRun | None:
    return ActionRun.objects.filter(pk=run_id).first()


def unchanged_items(*, run: ActionRun, limit: int = FAILURES_SHOWN) -> list[ActionItem]:
    """The calls of a run that did not change their task, with the reason, first ``limit``."""
    return list(run.items.filter(outcome=ActionItem.Outcome.FAILED).order_by("id")[:limit])
