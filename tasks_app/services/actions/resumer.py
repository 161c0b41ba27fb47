"""Resuming runs whose process stopped: every serving process looks, every third of a lease,
for running actions whose lease ran out. One that made no progress for a confirm window is
expired (``audit.expire``), not resumed; any other is claimed by exactly one process (a
conditional update) and executed on from where it was, with its stored client tokens."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from ...models import ActionRun
from .. import background
from .audit import expire
from .executor import lease_until
from .runs import new_owner, spawn

logger = logging.getLogger(__name__)


def resume_abandoned(*, limit: int = 5) -> list[int]:
    """Expire or claim runs whose process stopped renewing their lease, and execute what the
    claimed ones left (``runs.spawn``: on a worker, or in background threads). Returns the IDs
    claimed."""
    now = timezone.now()
    abandoned = ActionRun.objects.filter(state=ActionRun.State.RUNNING).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    )
    claimed = []
    for run_id in abandoned.values_list("pk", flat=True)[:limit]:
        if expire(run_id):
            continue
        owner = new_owner()
        # A conditional UPDATE: of several processes looking at once, exactly one wins.
        won = (
            ActionRun.objects.filter(pk=run_id, state=ActionRun.State.RUNNING)
            .filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True))
            .update(lease_owner=owner, lease_until=lease_until())
        )
        if won:
            logger.warning("action run=%s: resuming it (its process stopped)", run_id)
            claimed.append(run_id)
            spawn(run_id, owner)
    return claimed


_resumer_lock = threading.Lock()
_resumer: threading.Thread | None = None


def start_resumer() -> None:
    """In a serving process: look for abandoned runs every third of a lease (idempotent).
    Not while DASHBOARD_ACTIONS is off: then nothing writes to the farm, not even a resume.
    Not with a broker either: then the workers' periodic job does it (tasks_app/tasks.py)."""
    global _resumer  # one per process
    if not settings.DASHBOARD_ACTIONS or not background.in_process():
        return
    with _resumer_lock:
        if _resumer is not None and _resumer.is_alive():
            return
        _resumer = threading.Thread(target=_resume_forever, name="action-resumer", daemon=True)
        _resumer.start()


def _resume_forever() -> None:
    while True:
        interval = max(1.0, settings.DASHBOARD_ACTION_LEASE_SECONDS / 3)
        try:
            close_old_connections()
            resume_abandoned()
        except Exception:  # the database may be down or not migrated yet: try again later
            logger.warning("action resumer: could not look for abandoned actions", exc_info=True)
        finally:
            connection.close()
        time.sleep(interval)
