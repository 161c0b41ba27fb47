"""The background tasks the workers run (``celery -A dashboard worker --beat``): thin entries
into the services, which enqueue them by name. Each is safe to run twice: the work it starts
is guarded by a lease in the database, so a task handed out again (its worker was killed, or
it ran past the broker's visibility timeout) takes the work over or leaves it to its holder.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError

from .services import background, failure_runs, notifications
from .services.actions import resume_abandoned
from .services.actions.queued import execute_queued

#: Retries (with exponential backoff, capped) while the work is held by a live worker, or
#: while the database cannot be reached.
HELD_RETRIES = 1000
HELD_BACKOFF_MAX = 30
_ON_DATABASE_ERRORS = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": HELD_BACKOFF_MAX,
}


@shared_task(
    bind=True,
    name="tasks_app.execute_action",
    max_retries=HELD_RETRIES,
    acks_late=True,
    **_ON_DATABASE_ERRORS,
)
def execute_action(self: Task, run_id: int, ticket: str) -> str:
    """Execute (or go on with) an action run; waits, retrying, while a live worker has it."""
    outcome = execute_queued(run_id, ticket=ticket)
    if outcome == background.BUSY:
        raise self.retry(countdown=_backoff(self.request.retries))
    return outcome


@shared_task(name="tasks_app.resume_actions")
def resume_actions() -> bool:
    """Periodic (beat): finish or expire actions whose worker stopped, once per period."""
    if not settings.DASHBOARD_ACTIONS:
        return False
    period = max(5.0, settings.DASHBOARD_ACTION_LEASE_SECONDS / 3)
    return background.run_periodic("resume-actions", period_seconds=period, work=resume_abandoned)


@shared_task(name="tasks_app.notify")
def notify() -> bool:
    """Periodic (beat, every DASHBOARD_NOTIFY_SECONDS): evaluate the notification rules once
    per period across hosts, then send what is due. Every beat's worker sends: each message is
    claimed by one of them (a conditional update), so none goes out twice. True when this
    worker evaluated."""
    return notifications.run_round()


@shared_task(
    bind=True,
    name="tasks_app.analyse_failures",
    max_retries=HELD_RETRIES,
    acks_late=True,
    **_ON_DATABASE_ERRORS,
)
def analyse_failures(self: Task, scope: dict[str, Any], ticket: str, more_logs: bool) -> str:
    """Run a failure analysis of ``scope``; waits, retrying, while a live worker runs it."""
    outcome = failure_runs.run_queued(scope, ticket=ticket, more_logs=more_logs)
    if outcome == background.BUSY:
        raise self.retry(countdown=_backoff(self.request.retries))
    return outcome


def _backoff(retries: int) -> float:
    """Exponential, capped below half the broker's visibility timeout: a retry held by a
    worker past that timeout would be handed out a second time."""
    cap = min(HELD_BACKOFF_MAX, settings.DASHBOARD_TASK_VISIBILITY_SECONDS / 2)
    return max(0.5, min(cap, float(2 ** min(retries, 5))))
