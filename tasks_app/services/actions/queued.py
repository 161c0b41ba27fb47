"""An action run on the task engine: the worker's side of ``runs.spawn``.

The task carries a ticket, the lease owner stored when the run was started (or claimed by the
resumer). The worker trades it for a lease of its own with a conditional update, so a task
handed out twice (a killed worker's, redelivered; one that outlived the broker's visibility
timeout) executes the run once: the copy that finds a live holder waits, one that finds the
run finished stops, one that finds a lapsed lease takes the run over, from the items left
(their client tokens stored, so nothing is changed twice).
"""

from __future__ import annotations

import logging

from django.db.models import Q
from django.utils import timezone

from ...models import ActionRun
from ..background import BUSY, GONE, TAKEN
from .audit import expire
from .executor import execute, lease_until
from .runs import new_owner

logger = logging.getLogger(__name__)


def execute_queued(run_id: int, *, ticket: str) -> str:
    """Execute run ``run_id`` here if the ticket still holds it or its lease lapsed: TAKEN
    (executed as far as this worker could), BUSY (a live worker has it) or GONE (finished)."""
    running = ActionRun.objects.filter(pk=run_id, state=ActionRun.State.RUNNING)
    now = timezone.now()
    lapsed = Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    if not running.filter(lease_owner=ticket).exists() and running.filter(lapsed).exists():
        if expire(run_id):  # idle for a confirm window: listed, not resumed silently
            return GONE
        logger.warning("action run=%s: resuming it (its process stopped)", run_id)
    owner = new_owner()
    taken = running.filter(Q(lease_owner=ticket) | lapsed).update(
        lease_owner=owner, lease_until=lease_until()
    )
    if not taken:
        return BUSY if running.exists() else GONE
    execute(run_id, owner=owner)
    return TAKEN
