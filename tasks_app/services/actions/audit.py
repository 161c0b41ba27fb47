"""The end of a run: its state, the one audit line it logs, and the cached reads it made
stale. The counts are what the API confirmed: a task is "changed" only when its call (or its
item of a batch call) came back without an error."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ...deadline.cache import invalidate_queue
from ...deadline.calls import list_every
from ...deadline.errors import DeadlineError
from ...models import ActionItem, ActionRun
from ...selectors import failures
from ...selectors.failures import store as failure_analysis

logger = logging.getLogger(__name__)
audit_logger = logging.getLogger("tasks_app.audit")


def make_fresh(run: ActionRun) -> None:
    """The cached reads of what ``run`` changed are out of date, in every process: the queue's
    reads (invalidate_queue) and the failures views' lists of failed tasks."""
    invalidate_queue(farm_id=run.farm_id, queue_id=run.queue_id)
    scopes = [
        failures.FailureScope(farm_id=run.farm_id, queue_id=run.queue_id, window_hours=hours)
        for hours in failures.WINDOWS
    ]
    scopes.append(
        failures.FailureScope(farm_id=run.farm_id, queue_id=run.queue_id, job_id=run.job_id)
    )
    steps = set(run.items.exclude(step_id="").values_list("step_id", flat=True).distinct())
    if run.step_id:
        steps.add(run.step_id)
    if not steps or run.method == "UpdateJob":
        steps |= set(_job_step_ids(run))
    scopes += [
        failures.FailureScope(
            farm_id=run.farm_id, queue_id=run.queue_id, job_id=run.job_id, step_id=step_id
        )
        for step_id in sorted(steps)
    ]
    for scope in scopes:
        failure_analysis.forget_listing(scope)


def _job_step_ids(run: ActionRun) -> list[str]:
    try:
        steps = list_every(
            "ListSteps", "steps", farmId=run.farm_id, queueId=run.queue_id, jobId=run.job_id
        )
    except DeadlineError:
        return []
    return [str(step["stepId"]) for step in steps]


def totals(run_id: int) -> tuple[int, int]:
    """(tasks the API confirmed changed, tasks not changed) so far."""
    rows = (
        ActionItem.objects.filter(run_id=run_id)
        .exclude(outcome=ActionItem.Outcome.PENDING)
        .values("outcome")
        .annotate(tasks=Sum("task_count"), rows=Count("id"))
    )
    changed = failed = 0
    for row in rows:
        if row["outcome"] == ActionItem.Outcome.CHANGED:
            changed += row["tasks"] or 0
        else:
            failed += row["tasks"] or 0
    return changed, failed


def finish(run: ActionRun, owner: str, seconds: float) -> ActionRun:
    """Close a run this process holds (its state from the outcomes) and log its audit line;
    a run another process took over or closed is left alone and logged by that process."""
    changed, failed = totals(run.pk)
    if failed == 0 and changed:
        state = ActionRun.State.DONE
    elif changed:
        state = ActionRun.State.PARTIAL
    else:
        state = ActionRun.State.FAILED
    finished_at = timezone.now()
    updated = ActionRun.objects.filter(
        pk=run.pk, lease_owner=owner, state=ActionRun.State.RUNNING
    ).update(
        state=state,
        changed=changed,
        failed=failed,
        finished_at=finished_at,
        lease_until=None,
    )
    run.refresh_from_db()
    make_fresh(run)
    if updated:
        log_audit(run, seconds=seconds)
    return run


def log_audit(run: ActionRun, *, seconds: float | None = None) -> None:
    """One structured line per finished action (``tasks_app.audit``): key=value pairs, free
    text JSON-quoted so a reason cannot forge another line."""
    fields: dict[str, Any] = {
        "run": run.pk,
        "user": json.dumps(run.username),
        "action": run.action,
        "scope": run.scope,
        "farm": run.farm_id,
        "queue": run.queue_id,
        "job": run.job_id,
        "step": run.step_id or "-",
        "task": run.task_id or "-",
        "signature": json.dumps(run.signature) if run.signature else "-",
        "statuses": ",".join(run.run_statuses) or "-",
        "priority": "-" if run.priority is None else f"{run.previous_priority}->{run.priority}",
        "method": run.method,
        "fallback": json.dumps(run.fallback) if run.fallback else "-",
        "planned": run.planned,
        "changed": run.changed,
        "failed": run.failed,
        "state": run.state,
        "reason": json.dumps(run.reason),
        "request": run.request_id or "-",
    }
    if seconds is not None:
        fields["seconds"] = f"{seconds:.2f}"
    level = logging.INFO if run.state == ActionRun.State.DONE else logging.WARNING
    audit_logger.log(level, "action %s", " ".join(f"{k}={v}" for k, v in fields.items()))


def expire(run_id: int) -> bool:
    """Close an abandoned run as expired when nothing progressed for a confirm window
    (``DASHBOARD_ACTION_CONFIRM_SECONDS``): it is not resumed silently after a long stop (a
    crash, actions switched off and on), and each item left is listed, not sent. True when
    this call expired it (a conditional update: one process wins)."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=int(settings.DASHBOARD_ACTION_CONFIRM_SECONDS))
    idle = Q(last_progress_at__lt=cutoff) | Q(last_progress_at__isnull=True, created_at__lt=cutoff)
    abandoned = Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    with transaction.atomic():
        won = ActionRun.objects.filter(
            idle, abandoned, pk=run_id, state=ActionRun.State.RUNNING
        ).update(state=ActionRun.State.EXPIRED, finished_at=now, lease_until=None)
        if not won:
            return False
        left = ActionItem.objects.filter(run_id=run_id, outcome=ActionItem.Outcome.PENDING)
        left.filter(batch_token="").update(
            outcome=ActionItem.Outcome.FAILED,
            error=(
                "Not sent: the action expired (its process stopped and nothing progressed for "
                "a confirm window). Preview again to act on what is left."
            ),
        )
        left.update(
            outcome=ActionItem.Outcome.FAILED,
            error=(
                "Not confirmed: a call carrying it may have gone out before the action's "
                "process stopped, and the action expired before it could ask again. Check the "
                "task."
            ),
        )
        changed, failed = totals(run_id)
        ActionRun.objects.filter(pk=run_id).update(changed=changed, failed=failed)
    run = ActionRun.objects.get(pk=run_id)
    logger.warning("action run=%s expired: %d tasks left unsent", run_id, failed)
    log_audit(run)
    return True
