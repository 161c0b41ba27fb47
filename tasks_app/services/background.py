"""Background work on the task engine (Celery, docs/architecture.md): where a task goes, a
periodic job's once-per-period guard, and leases on work kept in the database.

Services enqueue tasks by name (``tasks_app/tasks.py`` defines them and imports the services,
not the other way round). Without a broker (the tests, a bare ``manage.py runserver``) the
callers run the work on threads of their own process instead: nothing else would.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import PeriodicRun, WorkLease

logger = logging.getLogger(__name__)

#: Periodic runs older than this are deleted when a newer one is recorded.
PERIODIC_KEEP = timedelta(days=2)


def in_process() -> bool:
    """True when no broker is configured: work runs on threads of the process that asks."""
    return bool(settings.DASHBOARD_TASKS_IN_PROCESS)


def enqueue(task_name: str, **kwargs: Any) -> None:
    """Queue ``task_name`` for a worker; raises kombu's OperationalError when the broker
    cannot be reached within a few seconds."""
    current_app.send_task(task_name, kwargs=kwargs)


# --- Once per period ------------------------------------------------------------------------


def period_start(period_seconds: float, *, now: datetime | None = None) -> datetime:
    """The start of the period ``now`` falls in: periods are aligned on the epoch, so every
    host computes the same one."""
    moment = (now or timezone.now()).timestamp()
    return datetime.fromtimestamp(moment // period_seconds * period_seconds, tz=UTC)


def once_per_period(
    job: str, *, period_seconds: float, now: datetime | None = None, ran_by: str = ""
) -> bool:
    """Record that ``job`` runs for the current period; False when some process already did
    (a conditional insert: of two schedulers asking at once, exactly one is told True)."""
    start = period_start(period_seconds, now=now)
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(job=job, period_start=start, ran_by=ran_by[:200])
    except IntegrityError:
        return False
    PeriodicRun.objects.filter(job=job, period_start__lt=start - PERIODIC_KEEP).delete()
    return True


def run_periodic(job: str, *, period_seconds: float, work: Callable[[], object]) -> bool:
    """Run ``work`` unless ``job`` ran already this period (anywhere); True when it ran."""
    if not once_per_period(job, period_seconds=period_seconds, ran_by=worker_name()):
        logger.debug("periodic %s: already run this period", job)
        return False
    work()
    return True


def worker_name() -> str:
    return f"{uuid.uuid4().hex[:8]}@{threading.get_ident()}"


# --- Leases on work -------------------------------------------------------------------------

TAKEN, BUSY, GONE = "taken", "busy", "gone"


def new_owner() -> str:
    return uuid.uuid4().hex


def acquire(name: str, *, seconds: float, owner: str) -> bool:
    """Take the lease ``name`` for ``owner`` if it is free or lapsed (its holder stopped
    renewing it: killed, say)."""
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    if WorkLease.objects.filter(name=name, expires_at__lt=now).update(
        owner=owner, expires_at=until
    ):
        return True
    try:
        with transaction.atomic():
            WorkLease.objects.create(name=name, owner=owner, expires_at=until)
    except IntegrityError:
        return False
    return True


def take_over(name: str, *, ticket: str, seconds: float) -> tuple[str, str]:
    """For a task queued with ``ticket``: (TAKEN, the new owner) when the lease is still held
    under that ticket or lapsed; (BUSY, "") while another live holder has it; (GONE, "") when
    there is no lease any more (its work was done and released)."""
    now = timezone.now()
    owner = new_owner()
    until = now + timedelta(seconds=seconds)
    taken = (
        WorkLease.objects.filter(name=name)
        .filter(Q(owner=ticket) | Q(expires_at__lt=now))
        .update(owner=owner, expires_at=until)
    )
    if taken:
        return TAKEN, owner
    return (BUSY, "") if WorkLease.objects.filter(name=name).exists() else (GONE, "")


def renew(name: str, *, owner: str, seconds: float) -> bool:
    """Extend the lease if ``owner`` still holds it."""
    until = timezone.now() + timedelta(seconds=seconds)
    return bool(WorkLease.objects.filter(name=name, owner=owner).update(expires_at=until))


def release(name: str, *, owner: str) -> bool:
    """Give the lease up: only its holder can (a lapsed holder's release leaves the new
    holder's lease alone)."""
    deleted, _ = WorkLease.objects.filter(name=name, owner=owner).delete()
    return bool(deleted)


def held(name: str) -> bool:
    """Someone holds the lease and has renewed it in time."""
    return WorkLease.objects.filter(name=name, expires_at__gte=timezone.now()).exists()


class Heartbeat:
    """Renews a lease every third of its life on a thread of its own while work runs (the work
    itself does not have to remember to)."""

    def __init__(self, name: str, *, owner: str, seconds: float) -> None:
        self.name, self.owner, self.seconds = name, owner, seconds
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._beat, name=f"lease-{name}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(max(0.5, self.seconds / 3)):
                if not renew(self.name, owner=self.owner, seconds=self.seconds):
                    self.lost = True
                    logger.warning("lease %s: lost to another worker", self.name)
                    return
        finally:
            connection.close()
