"""Planning: read, fresh from the API, exactly which tasks an action would change.

Every read that decides what is changed goes to its end (``list_every``: however many
ListTasks pages a step has). The listing is then held against the job's or step's
``taskRunStatusCounts``: when they disagree (the farm moved between the reads) the plan is read
again, a bounded number of times, and a plan that still disagrees says so and offers no
confirmation, rather than acting on a subset. A failure group's members come from the failures
analysis; their statuses from BatchGetTask, every member.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from ...deadline import client, writes
from ...deadline.calls import call, list_every
from ...deadline.resilience import read_pool
from ...deadline.types import Job, Step, Task, TaskRunStatus, TaskSummary
from . import refusals
from .catalog import ActionChoice, ActionError, Scope, status_order
from .groups import FailureGroupMembers, failure_group, signatures_among
from .statuses import TaskRef, read_tasks

logger = logging.getLogger(__name__)

S = TaskRunStatus
#: Reads of a scope in all, when its listing and its counts disagree.
PLAN_READS = 3


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
    method: str  # BatchUpdateTask, UpdateTask, UpdateStep or UpdateJob
    # Failure causes (titles) among the planned tasks, with how many of them each.
    signatures: tuple[tuple[str, int], ...] = ()
    # Something the operator should know before confirming (an analysis still running...).
    notice: str = ""
    # The failure group's title (scope "failures").
    group_title: str = ""
    planned_at: datetime = field(default_factory=timezone.now)
    # What the job's or step's taskRunStatusCounts say of the chosen statuses (None: no count
    # applies, e.g. a task or a failure group), and whether the listing agreed with it.
    expected: int | None = None
    settled: bool = True
    # time.monotonic() when every task of the plan was last read in its planned status (the
    # confirmation's recheck), or None: a run started at once may trust that read instead of
    # reading its first chunks again (``dispatch.FRESH_SECONDS``).
    verified_at: float | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Run status -> tasks, in the dashboard's status order."""
        found: dict[str, int] = {}
        for task in sorted(self.tasks, key=lambda t: status_order(t.status)):
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
    def calls(self) -> int:
        """Write calls the plan takes (before any retry)."""
        if self.method == "BatchUpdateTask":
            return -(-self.total // writes.BATCH_UPDATE_MAX)
        return self.total if self.method == "UpdateTask" else 1

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
    def digest(self) -> str:
        """Digest of the task set: every planned task's ID and the status it was planned in,
        with the target. Equal counts of other tasks give another digest."""
        target = self.choice.kind.target
        lines = sorted(f"{t.step_id}/{t.task_id}={t.status.value}" for t in self.tasks)
        text = "\n".join([target.value if target else "-", *lines])
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _ids(scope: Scope) -> dict[str, str]:
    return {"farmId": scope.farm_id, "queueId": scope.queue_id, "jobId": scope.job_id}


def _worker_seconds(task: Task | TaskSummary, now: datetime) -> float:
    duration = task.duration(now)
    return 0.0 if duration is None else duration.total_seconds()


def _list_step_tasks(
    scope: Scope, step_id: str, statuses: frozenset[TaskRunStatus], now: datetime
) -> list[PlannedTask]:
    """Every task of a step whose run status is in ``statuses``: ListTasks to its last page,
    as the official CLI lists them."""
    found = []
    for raw in list_every("ListTasks", "tasks", **_ids(scope), stepId=step_id):
        task = TaskSummary.from_api(raw)
        if task.run_status in statuses:
            found.append(
                PlannedTask(step_id, task.task_id, task.run_status, _worker_seconds(task, now))
            )
    return found


def _wanted(step_or_job: Job | Step, statuses: frozenset[TaskRunStatus]) -> int:
    return sum(n for status, n in step_or_job.task_run_status_counts if status in statuses)


def plan(*, scope: Scope, choice: ActionChoice) -> Plan:
    """Read what ``choice`` would change in ``scope`` (fresh, uncached API reads); read again
    while the listing and the counts disagree, ``PLAN_READS`` times in all."""
    for attempt in range(1, PLAN_READS + 1):
        planned = _plan_once(scope, choice)
        if planned.settled:
            return planned
        logger.info(
            "action plan %s: listed %d, counts say %s (read %d of %d)",
            scope.key(),
            planned.total,
            planned.expected,
            attempt,
            PLAN_READS,
        )
    return planned


def _plan_once(scope: Scope, choice: ActionChoice) -> Plan:
    now = client.backend_now()
    job = Job.from_api(call("GetJob", **_ids(scope)))
    statuses = frozenset(choice.run_statuses)
    if choice.kind.target is None:
        if scope.kind != "job":
            raise ActionError("Priority belongs to a job: set it from the job's page.")
        return Plan(scope=scope, choice=choice, job=job, step=None, tasks=(), method="UpdateJob")
    step: Step | None = None
    if scope.kind in ("step", "task") or (scope.kind == "failures" and scope.step_id):
        step = Step.from_api(call("GetStep", **_ids(scope), stepId=scope.step_id))
    expected: int | None = None
    if scope.kind == "task":
        task = Task.from_api(
            call("GetTask", **_ids(scope), stepId=scope.step_id, taskId=scope.task_id)
        )
        tasks = []
        if task.run_status in statuses:
            tasks.append(
                PlannedTask(
                    scope.step_id, task.task_id, task.run_status, _worker_seconds(task, now)
                )
            )
    elif scope.kind == "step":
        assert step is not None
        expected = _wanted(step, statuses)
        tasks = _list_step_tasks(scope, scope.step_id, statuses, now) if expected else []
    elif scope.kind == "job":
        expected = _wanted(job, statuses)
        tasks = _job_tasks(scope, statuses, now) if expected else []
    elif scope.kind == "failures":
        return _group_plan(scope, choice, job, step, statuses, now)
    else:
        raise ActionError(f"Unknown scope {scope.kind!r}.")
    tasks.sort(key=lambda t: (t.step_id, _task_index(t.task_id)))
    signatures, notice = signatures_among(scope, [t.task_id for t in tasks if t.status is S.FAILED])
    settled = expected is None or expected == len(tasks)
    if not settled:
        notice = _unsettled(expected, len(tasks))
    return Plan(
        scope=scope,
        choice=choice,
        job=job,
        step=step,
        tasks=tuple(tasks),
        method=_method(scope, choice),
        signatures=signatures,
        notice=notice,
        expected=expected,
        settled=settled,
    )


def _job_tasks(
    scope: Scope, statuses: frozenset[TaskRunStatus], now: datetime
) -> list[PlannedTask]:
    """The tasks of every step of the job in ``statuses`` (steps listed concurrently)."""
    steps = [Step.from_api(s) for s in list_every("ListSteps", "steps", **_ids(scope))]
    futures = [
        read_pool().submit(_list_step_tasks, scope, s.step_id, statuses, now)
        for s in steps
        if _wanted(s, statuses)
    ]
    tasks: list[PlannedTask] = []
    for future in futures:
        tasks.extend(future.result())
    return tasks


def _unsettled(expected: int | None, listed: int) -> str:
    return (
        f"The farm is changing under this preview: its counts say {expected:,} tasks "
        f"are in the chosen statuses, the listing found {listed:,}, after {PLAN_READS} reads. "
        "Nothing can be confirmed on a partial list: update the preview in a moment."
    )


def _group_plan(
    scope: Scope,
    choice: ActionChoice,
    job: Job,
    step: Step | None,
    statuses: frozenset[TaskRunStatus],
    now: datetime,
) -> Plan:
    """Every member of the failure group ``scope.signature`` in the chosen statuses, each
    member's status read now (BatchGetTask)."""
    group = failure_group(scope)
    if group is None:
        notice = (
            "This failure group is not among the current failures any more: its tasks may "
            "have been requeued already. Reload the failures page."
        )
        return Plan(
            scope=scope,
            choice=choice,
            job=job,
            step=step,
            tasks=(),
            method=_method(scope, choice),
            notice=notice,
        )
    tasks, unread = _member_tasks(scope, group, statuses, now)
    notice = group.notice
    if unread:
        notice = (
            f"{unread:,} of the group's tasks could not be read just now: update the preview "
            "to include them."
        )
    return Plan(
        scope=scope,
        choice=choice,
        job=job,
        step=step,
        tasks=tuple(tasks),
        method=_method(scope, choice),
        signatures=((group.title, len(tasks)),) if tasks else (),
        notice=notice,
        group_title=group.title,
        settled=not unread,
    )


def _member_tasks(
    scope: Scope,
    group: FailureGroupMembers,
    statuses: frozenset[TaskRunStatus],
    now: datetime,
) -> tuple[list[PlannedTask], int]:
    """(the group's members in ``statuses``, how many could not be read)."""
    refs = [
        TaskRef(scope.farm_id, scope.queue_id, scope.job_id, step_id, task_id)
        for step_id, task_id in group.tasks
    ]
    reading = read_tasks(refs)
    step_of = dict((task_id, step_id) for step_id, task_id in group.tasks)
    tasks = [
        PlannedTask(step_of[t.task_id], t.task_id, t.run_status, _worker_seconds(t, now))
        for t in reading.tasks.values()
        if t.task_id in step_of and t.run_status in statuses
    ]
    tasks.sort(key=lambda t: (t.step_id, _task_index(t.task_id)))
    return tasks, len(reading.unknown)


def _task_index(task_id: str) -> int:
    tail = task_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _method(scope: Scope, choice: ActionChoice) -> str:
    """One UpdateStep/UpdateJob when the chosen statuses are exactly what it changes (as
    ``deadline job cancel`` does); otherwise BatchUpdateTask, 100 tasks a call, unless this
    backend refused it lately (then UpdateTask per task); a single task: UpdateTask."""
    target = choice.kind.target
    if target is None:
        return "UpdateJob"
    if scope.kind in ("step", "job") and set(choice.run_statuses) == writes.scope_wide_statuses(
        target
    ):
        return "UpdateStep" if scope.kind == "step" else "UpdateJob"
    if scope.kind == "task" or refusals.refused("BatchUpdateTask"):
        return "UpdateTask"
    return "BatchUpdateTask"


def recheck(*, scope: Scope, choice: ActionChoice, previewed: list[PlannedTask]) -> Plan | None:
    """The plan again without listing anything, when it provably has not changed: every
    previewed task is still in the status it was previewed in (BatchGetTask) and the job's or
    step's counts of the chosen statuses are exactly as many. Those tasks are then all the
    tasks in those statuses, the same set. None when that cannot be shown (read in full then).
    """
    if scope.kind not in ("job", "step") or choice.kind.target is None or not previewed:
        return None
    job = Job.from_api(call("GetJob", **_ids(scope)))
    step = None
    counted: Job | Step = job
    if scope.kind == "step":
        step = counted = Step.from_api(call("GetStep", **_ids(scope), stepId=scope.step_id))
    if _wanted(counted, frozenset(choice.run_statuses)) != len(previewed):
        return None
    refs = [
        TaskRef(scope.farm_id, scope.queue_id, scope.job_id, t.step_id, t.task_id)
        for t in previewed
    ]
    read_at = time.monotonic()  # when the read was sent: its answer is at least this fresh
    reading = read_tasks(refs)
    for task in previewed:
        now = reading.tasks.get(task.task_id)
        if now is None or now.run_status is not task.status:
            return None
    return Plan(
        scope=scope,
        choice=choice,
        job=job,
        step=step,
        tasks=tuple(previewed),
        method=_method(scope, choice),
        expected=len(previewed),
        verified_at=read_at,
    )
