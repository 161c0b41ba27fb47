"""Acting on farm work: plan, preview, confirm, execute, resume, audit.

1. ``plan`` reads, fresh from the API, the tasks an action would change in its scope (a task,
   a step's or a job's tasks of the chosen run statuses, or a failure group's tasks) and what
   they cost so far; nothing is changed.
2. ``preview`` adds a confirm token bound to the person, the scope, the choice and the counts
   (``DASHBOARD_ACTION_CONFIRM_SECONDS``). ``check_confirmation`` plans again and accepts the
   token only if all of them still match: otherwise the operator previews again.
3. ``start`` stores the plan (an ``ActionRun`` and one ``ActionItem`` per Update* call, each
   with its own client token) and executes it in a background thread: bounded concurrency on
   the write client (fewer calls in flight while the API keeps throttling), throttled calls
   tried again in later rounds with the same token, every outcome recorded, progress readable
   at once by any process.
4. A process that stops mid-way stops renewing the run's lease; ``resume_abandoned`` (run
   periodically by every serving process, ``start_resumer``) claims it and sends what is left,
   again with the stored tokens, so no task is changed twice and none is silently left out.
5. Each finished run logs one structured line (``tasks_app.audit``) and invalidates the cached
   reads of its queue in every process sharing the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..deadline import client, writes
from ..deadline.cache import invalidate_queue
from ..deadline.calls import call, list_all
from ..deadline.errors import AccessDenied, DeadlineError, NotFound, Unavailable
from ..deadline.resilience import TRANSIENT_REASONS, read_pool
from ..deadline.types import Job, Step, Task, TaskRunStatus, TaskSummary
from ..models import ActionItem, ActionRun
from ..selectors import failure_analysis, failures

logger = logging.getLogger(__name__)
audit_logger = logging.getLogger("tasks_app.audit")

S = TaskRunStatus
_CONFIRM_SALT = "tasks_app.actions.confirm"
_REASON_MAX = 1000


# --- What can be done ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionKind:
    """One action: its target run status and which run statuses it can apply to."""

    name: str  # requeue, cancel, ...
    label: str  # "Requeue"
    verb: str  # past tense, for results: "requeued"
    target: TaskRunStatus | None  # None: priority
    eligible: frozenset[TaskRunStatus]
    default: frozenset[TaskRunStatus]


ACTIONS: dict[str, ActionKind] = {
    kind.name: kind
    for kind in (
        # As `deadline job requeue-tasks`: PENDING, default FAILED/CANCELED/SUSPENDED.
        ActionKind(
            "requeue",
            "Requeue",
            "requeued",
            S.PENDING,
            writes.SETTLED,
            frozenset({S.FAILED, S.CANCELED, S.SUSPENDED}),
        ),
        # As `deadline job cancel --mark-as ...`: every task that has not finished.
        ActionKind(
            "cancel", "Cancel", "canceled", S.CANCELED, writes.UNFINISHED, writes.UNFINISHED
        ),
        ActionKind(
            "suspend",
            "Suspend",
            "suspended",
            S.SUSPENDED,
            writes.UNFINISHED - {S.SUSPENDED},
            writes.UNFINISHED - {S.SUSPENDED},
        ),
        ActionKind(
            "succeed",
            "Mark succeeded",
            "marked succeeded",
            S.SUCCEEDED,
            frozenset(S.known()) - {S.SUCCEEDED},
            writes.UNFINISHED,
        ),
        ActionKind(
            "fail",
            "Mark failed",
            "marked failed",
            S.FAILED,
            frozenset(S.known()) - {S.FAILED},
            writes.UNFINISHED,
        ),
        ActionKind("priority", "Set priority", "reprioritised", None, frozenset(), frozenset()),
    )
}
SCOPES = ("task", "step", "job", "failures")


class ActionError(Exception):
    """The request cannot be planned as asked (shown to the operator, HTTP 400)."""


@dataclass(frozen=True)
class Scope:
    """Where an action applies: a task, a step, a job, or a failure group (``kind``
    "failures": a job's or one of its steps' failed tasks of one cause; ``signature`` is the
    group's digest, as the failures page names it)."""

    kind: str
    farm_id: str
    queue_id: str
    job_id: str
    step_id: str = ""
    task_id: str = ""
    signature: str = ""

    def key(self) -> str:
        return "/".join(
            (self.kind, self.farm_id, self.queue_id, self.job_id, self.step_id, self.task_id)
        ) + (f"#{self.signature}" if self.signature else "")


@dataclass(frozen=True)
class ActionChoice:
    """What the operator asked: the action, the run statuses it applies to, a priority."""

    action: str
    run_statuses: tuple[TaskRunStatus, ...] = ()
    priority: int | None = None

    @property
    def kind(self) -> ActionKind:
        return ACTIONS[self.action]

    @classmethod
    def build(
        cls, action: str, run_statuses: Iterable[str] = (), priority: int | None = None
    ) -> ActionChoice:
        """Validated: unknown actions, statuses the action cannot change and a missing or
        out-of-range priority raise ActionError. No statuses: the action's defaults."""
        kind = ACTIONS.get(action)
        if kind is None:
            raise ActionError(f"Unknown action {action!r}: one of {', '.join(ACTIONS)}.")
        if kind.target is None:
            if priority is None or not 0 <= priority <= 100:
                raise ActionError("A job's priority is a whole number from 0 to 100.")
            return cls(action=action, priority=priority)
        chosen = {S.parse(status) for status in run_statuses} or set(kind.default)
        refused = sorted(status.value for status in chosen - kind.eligible)
        if refused:
            raise ActionError(
                f"{kind.label} does not apply to tasks that are {', '.join(refused)}."
            )
        return cls(action=action, run_statuses=tuple(sorted(chosen, key=_status_order)))


def _status_order(status: TaskRunStatus) -> int:
    return S.known().index(status) if status in S.known() else len(S.known())


# --- Planning ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedTask:
    step_id: str
    task_id: str
    status: TaskRunStatus
    worker_seconds: float


@dataclass(frozen=True)
class Plan:
    """What an action would change, read fresh from the API."""

    scope: Scope
    choice: ActionChoice
    job: Job
    step: Step | None
    tasks: tuple[PlannedTask, ...]
    method: str  # UpdateTask, UpdateStep or UpdateJob
    # Failure causes (titles) among the planned tasks, with how many of them each.
    signatures: tuple[tuple[str, int], ...] = ()
    # Something the operator should know before confirming (an analysis still running...).
    notice: str = ""
    # The failure group's title (scope "failures").
    group_title: str = ""
    planned_at: datetime = field(default_factory=timezone.now)

    @property
    def counts(self) -> dict[str, int]:
        """Run status -> tasks, in the dashboard's status order."""
        found: dict[str, int] = {}
        for task in sorted(self.tasks, key=lambda t: _status_order(t.status)):
            found[task.status.value] = found.get(task.status.value, 0) + 1
        return found

    @property
    def total(self) -> int:
        return len(self.tasks)

    @property
    def worker_hours(self) -> float:
        return sum(task.worker_seconds for task in self.tasks) / 3600.0

    @property
    def is_priority(self) -> bool:
        return self.choice.kind.target is None

    @property
    def has_work(self) -> bool:
        if self.is_priority:
            return self.job.priority != self.choice.priority
        return self.total > 0

    @property
    def selection(self) -> str:
        """Digest of what was chosen (scope, action, statuses, priority)."""
        text = json.dumps(
            [
                self.scope.key(),
                self.choice.action,
                [s.value for s in self.choice.run_statuses],
                self.choice.priority,
            ]
        )
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    @property
    def state(self) -> dict[str, Any]:
        """What must not have changed between preview and confirmation."""
        if self.is_priority:
            return {"priority": self.job.priority}
        return self.counts


def _ids(scope: Scope) -> dict[str, str]:
    return {"farmId": scope.farm_id, "queueId": scope.queue_id, "jobId": scope.job_id}


def _worker_seconds(task: Task | TaskSummary, now: datetime) -> float:
    duration = task.duration(now)
    return 0.0 if duration is None else duration.total_seconds()


def _list_step_tasks(
    scope: Scope, step_id: str, statuses: frozenset[TaskRunStatus], now: datetime
) -> list[PlannedTask]:
    """Every task of a step whose run status is in ``statuses`` (ListTasks pages, as the
    official CLI lists them)."""
    answer = list_all("ListTasks", "tasks", **_ids(scope), stepId=step_id)
    found = []
    for raw in answer["tasks"]:
        task = TaskSummary.from_api(raw)
        if task.run_status in statuses:
            found.append(
                PlannedTask(step_id, task.task_id, task.run_status, _worker_seconds(task, now))
            )
    return found


def _wanted(step_or_job: Job | Step, statuses: frozenset[TaskRunStatus]) -> int:
    return sum(n for status, n in step_or_job.task_run_status_counts if status in statuses)


def plan(*, scope: Scope, choice: ActionChoice) -> Plan:
    """Read what ``choice`` would change in ``scope`` (fresh, uncached API reads; a failure
    group's members come from the failures analysis)."""
    now = client.backend_now()
    job = Job.from_api(call("GetJob", **_ids(scope)))
    kind = choice.kind
    statuses = frozenset(choice.run_statuses)
    if kind.target is None:
        if scope.kind != "job":
            raise ActionError("Priority belongs to a job: set it from the job's page.")
        return Plan(scope=scope, choice=choice, job=job, step=None, tasks=(), method="UpdateJob")
    step: Step | None = None
    tasks: list[PlannedTask] = []
    group: FailureGroupMembers | None = None
    if scope.kind in ("step", "task") or (scope.kind == "failures" and scope.step_id):
        step = Step.from_api(call("GetStep", **_ids(scope), stepId=scope.step_id))
    if scope.kind == "task":
        task = Task.from_api(
            call("GetTask", **_ids(scope), stepId=scope.step_id, taskId=scope.task_id)
        )
        if task.run_status in statuses:
            tasks.append(
                PlannedTask(
                    scope.step_id, task.task_id, task.run_status, _worker_seconds(task, now)
                )
            )
    elif scope.kind == "step":
        assert step is not None
        if _wanted(step, statuses):
            tasks = _list_step_tasks(scope, scope.step_id, statuses, now)
    elif scope.kind == "job":
        steps = [Step.from_api(s) for s in list_all("ListSteps", "steps", **_ids(scope))["steps"]]
        futures = [
            read_pool().submit(_list_step_tasks, scope, s.step_id, statuses, now)
            for s in steps
            if _wanted(s, statuses)
        ]
        for future in futures:
            tasks.extend(future.result())
    elif scope.kind == "failures":
        group = failure_group(scope)
        by_step: dict[str, set[str]] = {}
        for step_id, task_id in group.tasks if group else ():
            by_step.setdefault(step_id, set()).add(task_id)
        futures = [
            (ids, read_pool().submit(_list_step_tasks, scope, step_id, statuses, now))
            for step_id, ids in sorted(by_step.items())
        ]
        for ids, future in futures:
            tasks.extend(t for t in future.result() if t.task_id in ids)
    else:
        raise ActionError(f"Unknown scope {scope.kind!r}.")
    tasks.sort(key=lambda t: (t.step_id, _task_index(t.task_id)))
    if group is not None:
        signatures = ((group.title, len(tasks)),) if tasks else ()
        notice = group.notice
    elif scope.kind == "failures":
        signatures, notice = (
            (),
            (
                "This failure group is not among the current failures any more: its tasks may "
                "have been requeued already. Reload the failures page."
            ),
        )
    else:
        signatures, notice = _signatures_among(scope, tasks)
    return Plan(
        scope=scope,
        choice=choice,
        job=job,
        step=step,
        tasks=tuple(tasks),
        method=_method(scope, choice),
        signatures=signatures,
        notice=notice,
        group_title=group.title if group else "",
    )


# --- Failure groups (tasks_app/selectors/failures.py) -----------------------------------------


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
    report = failures.failure_report(
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
        elif group.hidden:
            notice = (
                f"{group.hidden:,} more tasks of this cause are beyond the failures view's "
                "listing limit and are not included."
            )
        return FailureGroupMembers(group.title, members, notice)
    return None


def _signatures_among(
    scope: Scope, tasks: list[PlannedTask]
) -> tuple[tuple[tuple[str, int], ...], str]:
    """The failure causes of the FAILED tasks among ``tasks``, as far as the failures analysis
    knows them now (it is started if needed, never waited for)."""
    failed = {t.task_id for t in tasks if t.status is S.FAILED}
    if not failed or scope.kind not in ("job", "step"):
        return (), ""
    try:
        report = failures.failure_report(_failure_scope(scope), wait_seconds=0.0)
    except DeadlineError as exc:  # the causes only inform the preview; never block it
        logger.info("preview without failure causes: %s", exc.message)
        return (), ""
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
            "far; update the preview to see more."
        )
    elif not report.complete:
        notice = "The failure causes are still being read: update the preview to see them."
    return tuple(found), notice


def _task_index(task_id: str) -> int:
    tail = task_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _method(scope: Scope, choice: ActionChoice) -> str:
    """One UpdateStep/UpdateJob when the chosen statuses are exactly what it changes (as
    ``deadline job cancel`` does), UpdateTask per task otherwise."""
    target = choice.kind.target
    if target is None:
        return "UpdateJob"
    if scope.kind in ("step", "job") and set(choice.run_statuses) == writes.scope_wide_statuses(
        target
    ):
        return "UpdateStep" if scope.kind == "step" else "UpdateJob"
    return "UpdateTask"


# --- Preview and confirmation ------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    plan: Plan
    confirm: str  # the signed token for the hidden "confirm" input ("" when nothing to do)


def confirm_seconds() -> int:
    """How long a preview's confirm token stays valid."""
    return int(settings.DASHBOARD_ACTION_CONFIRM_SECONDS)


def preview(*, plan: Plan, username: str) -> Preview:
    """The plan and a confirm token bound to ``username``, the selection and the counts."""
    if not plan.has_work:
        return Preview(plan=plan, confirm="")
    token = signing.dumps(
        {
            "u": username,
            "s": plan.selection,
            "c": plan.state,
            "n": uuid.uuid4().hex,
        },
        salt=_CONFIRM_SALT,
        compress=True,
    )
    return Preview(plan=plan, confirm=token)


@dataclass(frozen=True)
class Confirmation:
    """The outcome of checking a confirm token against a fresh plan."""

    ok: bool
    nonce: str = ""
    problem: str = ""  # why the operator sees the preview again
    before: Mapping[str, Any] = field(default_factory=dict)


def check_confirmation(*, token: str, plan: Plan, username: str) -> Confirmation:
    """Accept ``token`` only for this person, this selection and unchanged counts, within
    ``DASHBOARD_ACTION_CONFIRM_SECONDS``."""
    try:
        payload = signing.loads(
            token, salt=_CONFIRM_SALT, max_age=settings.DASHBOARD_ACTION_CONFIRM_SECONDS
        )
    except signing.SignatureExpired:
        return Confirmation(False, problem="The preview expired: check it again, then confirm.")
    except signing.BadSignature:
        return Confirmation(False, problem="The confirmation was not valid: check the preview.")
    if not isinstance(payload, dict) or payload.get("u") != username:
        return Confirmation(False, problem="That confirmation was made for someone else.")
    if payload.get("s") != plan.selection:
        return Confirmation(
            False, problem="The choice changed after the preview: check the new preview."
        )
    if payload.get("c") != plan.state:
        return Confirmation(
            False,
            problem="The work changed since your preview: check the new figures, then confirm.",
            before=payload.get("c") or {},
        )
    if not plan.has_work:
        return Confirmation(False, problem="There is nothing left to change.")
    return Confirmation(True, nonce=str(payload.get("n", "")))


# --- Starting and executing ----------------------------------------------------------------------


def _owner() -> str:
    return f"{uuid.uuid4().hex[:12]}@{threading.get_ident()}"


def _lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=settings.DASHBOARD_ACTION_LEASE_SECONDS)


def start(*, plan: Plan, username: str, reason: str, nonce: str, request_id: str = "") -> ActionRun:
    """Store the plan and execute it in the background. A confirmation already used returns
    the run it started (a double-clicked button acts once)."""
    existing = ActionRun.objects.filter(confirm_nonce=nonce).first()
    if existing is not None:
        return existing
    owner = _owner()
    scope, choice = plan.scope, plan.choice
    run = ActionRun(
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
        backend=client.backend_identity().as_key()[:300],
        request_id=request_id[:200],
        planned=1 if plan.is_priority else plan.total,
        confirm_nonce=nonce,
        lease_owner=owner,
        lease_until=_lease_until(),
    )
    try:
        with transaction.atomic():
            run.save()
            ActionItem.objects.bulk_create(_items(run, plan), batch_size=500)
    except IntegrityError:
        existing = ActionRun.objects.filter(confirm_nonce=nonce).first()
        if existing is None:
            raise
        return existing
    transaction.on_commit(lambda: _spawn(run.pk, owner))
    return run


def _items(run: ActionRun, plan: Plan) -> list[ActionItem]:
    token = writes.new_client_token
    if plan.method == "UpdateTask":
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


#: How often an executing run writes its progress and renews its lease, at least.
_HEARTBEAT_SECONDS = 1.0

_threads_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}


def _spawn(run_id: int, owner: str) -> None:
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


@dataclass
class _Outcome:
    item: ActionItem
    changed: bool
    error: str = ""
    transient: bool = False
    retry_after: float = 0.0
    fatal: bool = False  # every other call would fail the same way (access, credentials)


def _send(run: ActionRun, item: ActionItem) -> _Outcome:
    ids = {"farm_id": run.farm_id, "queue_id": run.queue_id, "job_id": run.job_id}
    try:
        if run.action == "priority":
            writes.update_job(**ids, priority=run.priority, client_token=item.client_token)
        else:
            target = ACTIONS[run.action].target
            assert target is not None
            if item.task_id:
                writes.update_task(
                    **ids,
                    step_id=item.step_id,
                    task_id=item.task_id,
                    target=target,
                    client_token=item.client_token,
                )
            elif item.step_id:
                writes.update_step(
                    **ids, step_id=item.step_id, target=target, client_token=item.client_token
                )
            else:
                writes.update_job(**ids, target=target, client_token=item.client_token)
    except AccessDenied as exc:
        return _Outcome(
            item,
            False,
            f"{exc.message} The README's optional write statement grants it.",
            fatal=True,
        )
    except Unavailable as exc:
        reason = getattr(exc, "cause", exc.reason) if exc.reason == "circuit-open" else exc.reason
        if reason in TRANSIENT_REASONS:
            return _Outcome(item, False, exc.message, transient=True, retry_after=exc.retry_after)
        return _Outcome(item, False, exc.message, fatal=True)
    except NotFound as exc:
        return _Outcome(item, False, exc.message)
    except DeadlineError as exc:
        return _Outcome(item, False, exc.message)
    return _Outcome(item, True)


class _Progress:
    """Outcomes not yet written, flushed in batches (one transaction, a heartbeat)."""

    FLUSH_SECONDS = 0.25

    def __init__(self, run: ActionRun, owner: str) -> None:
        self.run = run
        self.owner = owner
        self.buffer: list[ActionItem] = []
        self.last_flush = time.monotonic()
        self.changed_since_invalidation = False
        self.lost_lease = False

    def add(self, item: ActionItem) -> None:
        self.buffer.append(item)
        if item.outcome == ActionItem.Outcome.CHANGED:
            self.changed_since_invalidation = True

    def due(self) -> bool:
        return time.monotonic() - self.last_flush >= self.FLUSH_SECONDS

    def flush(self) -> None:
        """Write the buffered outcomes and the run's counters; renew the lease (a run whose
        lease another process took is abandoned here: that process goes on with it)."""
        run = self.run
        with transaction.atomic():
            if self.buffer:
                ActionItem.objects.bulk_update(
                    self.buffer, ["outcome", "error", "tries"], batch_size=500
                )
            changed, failed = _totals(run.pk)
            claimed = ActionRun.objects.filter(
                pk=run.pk, lease_owner=self.owner, state=ActionRun.State.RUNNING
            ).update(changed=changed, failed=failed, lease_until=_lease_until())
        run.changed, run.failed = changed, failed
        self.buffer.clear()
        self.last_flush = time.monotonic()
        if not claimed:
            self.lost_lease = True
        if self.changed_since_invalidation:
            _make_fresh(run)
            self.changed_since_invalidation = False


def _make_fresh(run: ActionRun) -> None:
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
        answer = list_all(
            "ListSteps", "steps", farmId=run.farm_id, queueId=run.queue_id, jobId=run.job_id
        )
    except DeadlineError:
        return []
    return [str(step["stepId"]) for step in answer["steps"]]


def _totals(run_id: int) -> tuple[int, int]:
    changed = failed = 0
    rows = ActionItem.objects.filter(run_id=run_id).exclude(outcome=ActionItem.Outcome.PENDING)
    for outcome, task_count in rows.values_list("outcome", "task_count"):
        if outcome == ActionItem.Outcome.CHANGED:
            changed += task_count
        else:
            failed += task_count
    return changed, failed


def execute(run_id: int, *, owner: str) -> ActionRun:
    """Send every pending call of a run this process holds the lease of; returns the run
    as left (finished, unless the lease was lost to another process)."""
    run = ActionRun.objects.get(pk=run_id)
    pending = list(run.items.filter(outcome=ActionItem.Outcome.PENDING))
    progress = _Progress(run, owner)
    started = time.monotonic()
    fatal = ""
    rounds = settings.DASHBOARD_ACTION_ROUNDS
    window = _Window(settings.DASHBOARD_ACTION_CONCURRENCY)
    with ThreadPoolExecutor(
        max_workers=settings.DASHBOARD_ACTION_CONCURRENCY, thread_name_prefix=f"action-{run_id}"
    ) as pool:
        for number in range(1, rounds + 1):
            if not pending or fatal or progress.lost_lease:
                break
            retry, pause, fatal = _round(
                run, pending, pool, progress, window, last=number == rounds
            )
            pending = retry
            if pending and not fatal and number < rounds:
                time.sleep(min(30.0, max(pause, 2.0 ** (number - 1))))
    if progress.lost_lease:
        logger.warning("action run=%s: another process took it over", run_id)
        return run
    for item in pending:  # fatal: nothing else can succeed; say so for each
        item.outcome = ActionItem.Outcome.FAILED
        item.error = item.error or f"Not sent: {fatal}"
        progress.add(item)
    progress.flush()
    return _finish(run, owner, time.monotonic() - started)


class _Window:
    """How many calls may be in flight: halved when a call stays throttled (or failing)
    through all its botocore tries, one more after a window's worth of calls went through,
    up to DASHBOARD_ACTION_CONCURRENCY. A share of throttled *attempts* that retries absorb
    does not slow the run; sustained throttling (a quota) does."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self._successes = 0

    def succeeded(self) -> None:
        self._successes += 1
        if self._successes >= self.limit and self.limit < self.ceiling:
            self.limit += 1
            self._successes = 0

    def exhausted(self) -> None:
        self.limit = max(1, self.limit // 2)
        self._successes = 0


def _round(
    run: ActionRun,
    items: list[ActionItem],
    pool: ThreadPoolExecutor,
    progress: _Progress,
    window: _Window,
    *,
    last: bool,
) -> tuple[list[ActionItem], float, str]:
    """Send ``items`` concurrently; (still transient, longest Retry-After, fatal error)."""
    retry: list[ActionItem] = []
    pause = 0.0
    fatal = ""
    queue = iter(items)
    in_flight: set[Future[_Outcome]] = set()

    def refill() -> None:
        while not fatal and len(in_flight) < window.limit:
            item = next(queue, None)
            if item is None:
                return
            in_flight.add(pool.submit(_send, run, item))

    refill()
    while in_flight:
        done, _ = wait(in_flight, timeout=_HEARTBEAT_SECONDS, return_when=FIRST_COMPLETED)
        for future in done:
            in_flight.discard(future)
            outcome = future.result()
            item = outcome.item
            item.tries += 1
            if outcome.changed:
                item.outcome, item.error = ActionItem.Outcome.CHANGED, ""
                window.succeeded()
            elif outcome.transient and not last:
                item.error = outcome.error
                retry.append(item)
                pause = max(pause, outcome.retry_after)
                window.exhausted()
            else:
                item.outcome, item.error = ActionItem.Outcome.FAILED, outcome.error
                if outcome.fatal and not fatal:
                    fatal = outcome.error
            progress.add(item)
        if progress.due() or not in_flight:
            progress.flush()
            if progress.lost_lease:
                fatal = fatal or "another process took this action over"
        refill()
    # Fatal: the items never sent stay pending; the caller lists them as not sent.
    remaining = list(queue)
    return retry + remaining, pause, fatal


def _finish(run: ActionRun, owner: str, seconds: float) -> ActionRun:
    changed, failed = _totals(run.pk)
    if failed == 0 and changed:
        state = ActionRun.State.DONE
    elif changed:
        state = ActionRun.State.PARTIAL
    else:
        state = ActionRun.State.FAILED
    finished_at = timezone.now()
    updated = ActionRun.objects.filter(pk=run.pk, lease_owner=owner).update(
        state=state,
        changed=changed,
        failed=failed,
        finished_at=finished_at,
        lease_until=None,
    )
    run.refresh_from_db()
    _make_fresh(run)
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


# --- Resuming ------------------------------------------------------------------------------------


def resume_abandoned(*, limit: int = 5) -> list[int]:
    """Claim runs whose process stopped renewing their lease, and execute what they left,
    in background threads. Returns the IDs claimed."""
    now = timezone.now()
    abandoned = ActionRun.objects.filter(state=ActionRun.State.RUNNING).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    )
    claimed = []
    for run_id in abandoned.values_list("pk", flat=True)[:limit]:
        owner = _owner()
        # A conditional UPDATE: of several processes looking at once, exactly one wins.
        won = (
            ActionRun.objects.filter(pk=run_id, state=ActionRun.State.RUNNING)
            .filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True))
            .update(lease_owner=owner, lease_until=_lease_until())
        )
        if won:
            logger.warning("action run=%s: resuming it (its process stopped)", run_id)
            claimed.append(run_id)
            _spawn(run_id, owner)
    return claimed


_resumer_lock = threading.Lock()
_resumer: threading.Thread | None = None


def start_resumer() -> None:
    """In a serving process: look for abandoned runs every third of a lease (idempotent).
    Not while DASHBOARD_ACTIONS is off: then nothing writes to the farm, not even a resume."""
    global _resumer  # one per process
    if not settings.DASHBOARD_ACTIONS:
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
