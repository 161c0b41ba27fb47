"""Starting a confirmed action: store the plan (an ``ActionRun`` and one ``ActionItem`` per task
or scope-wide call, each with its client token) and execute it in a background thread.

One running action per job, whatever the scope: the database refuses a second running row for
a job (a partial unique constraint), so two confirmations, in one process or in two, cannot
both start. The second is told which action runs.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ...deadline import client, writes
from ...models import ActionItem, ActionRun
from .. import background
from .audit import expire
from .catalog import ActionError
from .dispatch import note_verified
from .executor import execute, lease_until
from .planning import Plan

logger = logging.getLogger(__name__)

_REASON_MAX = 1000


class ActionBusy(ActionError):
    """Another action on the same job is running: confirm again once it has finished."""

    def __init__(self, run: ActionRun) -> None:
        self.run = run
        super().__init__(
            f"Another action on this job is running (#{run.pk}, {run.get_action_display()} by "
            f"{run.username}): one action per job at a time. Preview again when it has "
            "finished."
        )


def new_owner() -> str:
    """A lease owner name: unique per claim, readable in logs."""
    return f"{uuid.uuid4().hex[:12]}@{threading.get_ident()}"


def start(
    *,
    plan: Plan,
    username: str,
    reason: str,
    nonce: str,
    request_id: str = "",
    client_request_id: str = "",
) -> ActionRun:
    """Store the plan and execute it in the background. A confirmation already used returns
    the run it started (a double-clicked button acts once); ActionBusy while another action on
    the job runs."""
    existing = ActionRun.objects.filter(confirm_nonce=nonce).first()
    if existing is not None:
        return existing
    owner = new_owner()
    for attempt in (1, 2):
        run = _new_run(plan, username, reason, nonce, request_id, client_request_id, owner)
        try:
            with transaction.atomic():
                run.save()
                ActionItem.objects.bulk_create(_items(run, plan), batch_size=500)
            break
        except IntegrityError:
            existing = ActionRun.objects.filter(confirm_nonce=nonce).first()
            if existing is not None:
                return existing
            busy = ActionRun.objects.filter(
                job_id=plan.scope.job_id, state=ActionRun.State.RUNNING
            ).first()
            if busy is None:
                raise
            # A run abandoned long ago holds the job: expire it (listing what it left), once.
            if attempt == 2 or not expire(busy.pk):
                raise ActionBusy(busy) from None
    read_at = plan.verified_at
    if read_at is not None and background.in_process():  # executed here, at once
        transaction.on_commit(lambda: note_verified(run.pk, read_at))
    transaction.on_commit(lambda: spawn(run.pk, owner))
    return run


def _new_run(
    plan: Plan,
    username: str,
    reason: str,
    nonce: str,
    request_id: str,
    client_request_id: str,
    owner: str,
) -> ActionRun:
    scope, choice = plan.scope, plan.choice
    return ActionRun(
        username=username,
        action=choice.action,
        scope=scope.kind,
        farm_id=scope.farm_id,
        queue_id=scope.queue_id,
        job_id=scope.job_id,
        step_id=scope.step_id,
        task_id=scope.task_id,
        signature=plan.group_title[:2000] if scope.kind == "failures" else "",
        job_name=plan.job.name[:512],
        step_name=(plan.step.name if plan.step else "")[:512],
        run_statuses=[s.value for s in choice.run_statuses],
        priority=choice.priority,
        previous_priority=plan.job.priority,
        reason=reason.strip()[:_REASON_MAX],
        counts=plan.counts,
        worker_seconds=sum(t.worker_seconds for t in plan.tasks),
        method=plan.method,
        task_set="" if plan.is_priority else plan.digest,
        backend=client.backend_identity().as_key()[:300],
        request_id=request_id[:200],
        client_request_id=client_request_id[:200],
        planned=1 if plan.is_priority else plan.total,
        confirm_nonce=nonce,
        lease_owner=owner,
        lease_until=lease_until(),
        last_progress_at=timezone.now(),
    )


def _items(run: ActionRun, plan: Plan) -> list[ActionItem]:
    token = writes.new_client_token
    if plan.method in ("UpdateTask", "BatchUpdateTask"):
        return [
            ActionItem(
                run=run,
                step_id=task.step_id,
                task_id=task.task_id,
                previous_status=task.status.value,
                client_token=token(),
            )
            for task in plan.tasks
        ]
    step_id = plan.scope.step_id if plan.method == "UpdateStep" else ""
    return [
        ActionItem(
            run=run,
            step_id=step_id,
            client_token=token(),
            task_count=1 if plan.is_priority else plan.total,
        )
    ]


_threads_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}


def spawn(run_id: int, owner: str) -> None:
    """Execute ``run_id`` on a worker, queued with ``owner`` as its ticket (``queued``); with
    no broker (tests, a bare runserver), in a background thread of this process."""
    if not background.in_process():
        try:
            background.enqueue("tasks_app.execute_action", run_id=run_id, ticket=owner)
        except Exception:  # the broker is down: the resumer takes the run once its lease lapses
            logger.warning("action run=%s not queued", run_id, exc_info=True)
        return
    thread = threading.Thread(
        target=_execute_in_thread, args=(run_id, owner), name=f"action-{run_id}", daemon=True
    )
    with _threads_lock:
        _threads[run_id] = thread
    thread.start()


def _execute_in_thread(run_id: int, owner: str) -> None:
    try:
        execute(run_id, owner=owner)
    except Exception:  # a background thread: log it, the lease lets another process resume
        logger.exception("action run=%s stopped unexpectedly", run_id)
    finally:
        with _threads_lock:
            _threads.pop(run_id, None)
        connection.close()


def wait_for(run_id: int, timeout: float) -> bool:
    """Wait for this process's thread executing ``run_id`` (tests, benchmarks); True when
    no thread of this process works on it any more."""
    with _threads_lock:
        thread = _threads.get(run_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def drain(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for every thread of this process executing a run (tests:
    a test's database is emptied after it, which must not race a run still writing); True when
    none is left."""
    deadline = time.monotonic() + timeout
    while True:
        with _threads_lock:
            left = next(iter(_threads.values()), None)  # a thread leaves as it ends
        if left is None or time.monotonic() >= deadline:
            return left is None
        left.join(deadline - time.monotonic())
