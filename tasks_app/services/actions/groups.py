"""Failure groups (tasks_app/selectors/failures/) as actions see them: the members of one
group, and the causes among a plan's failed tasks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from ...selectors import failures
from ...selectors.failures import store as analysis
from .. import failure_runs
from .catalog import Scope

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailureGroupMembers:
    title: str
    tasks: tuple[tuple[str, str], ...]  # (step ID, task ID)
    notice: str = ""


def _failure_scope(scope: Scope) -> failures.FailureScope:
    return failures.FailureScope(
        farm_id=scope.farm_id, queue_id=scope.queue_id, job_id=scope.job_id, step_id=scope.step_id
    )


def failure_group(scope: Scope) -> FailureGroupMembers | None:
    """The failed tasks of the group ``scope.signature`` names (its digest), as the failures
    analysis knows them now (waiting for it as long as a failures page does); None when no
    group has that signature any more."""
    report = failure_runs.report(
        _failure_scope(scope), wait_seconds=float(settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS)
    )
    for group in report.groups:
        if group.digest != scope.signature:
            continue
        members = tuple((t.step_id, t.task_id) for t in group.tasks if t.job_id == scope.job_id)
        notice = ""
        if not report.complete:
            notice = (
                f"The failures analysis has read {report.analysed:,} of {report.listed:,} failed "
                "tasks so far: more may join this cause. Update the preview to count them."
            )
        elif report.failed_tasks > report.listed:
            notice = (
                f"{report.failed_tasks - report.listed:,} failed tasks of this scope are beyond "
                "the failures view's analysis limit: any of this cause among them are not "
                "included."
            )
        return FailureGroupMembers(group.title, members, notice)
    return None


def signatures_among(
    scope: Scope, failed_task_ids: Sequence[str]
) -> tuple[tuple[tuple[str, int], ...], str]:
    """The failure causes of the FAILED tasks ``failed_task_ids``, as far as the cache already
    knows them (no API call). A preview never starts a failures analysis: for a job of
    thousands of failed tasks that is dozens of calls and seconds of CPU competing with the
    preview's own reads, for a list the operator did not ask for; the Failures page starts it
    (and a failure group's preview, whose members it is)."""
    failed = set(failed_task_ids)
    if not failed or scope.kind not in ("job", "step"):
        return (), ""
    failure_scope = _failure_scope(scope)
    listing = analysis.load_listing(failure_scope)
    if listing is None:
        return (), ""
    attempts = analysis.load_attempts(failure_scope, listing.tasks)
    report = failures.assemble(
        failure_scope, listing, progress=failure_runs.running(failure_scope), attempts=attempts
    )
    found = []
    for group in report.groups:
        count = len(failed.intersection(group.task_ids))
        if count:
            found.append((group.title, count))
    found.sort(key=lambda item: -item[1])
    notice = ""
    if not report.complete and report.listed:
        notice = (
            f"Failure causes: {report.analysed:,} of {report.listed:,} failed tasks analysed so "
            "far; the Failures page has the rest."
        )
    return tuple(found), notice
