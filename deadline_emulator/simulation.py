"""The time model: a task's state as a closed-form function of its blueprint and the clock.

A step becomes runnable at ``ready_at``; task ``i`` is first assigned at
``ready_at + (i // concurrency) * slot_seconds`` (plus jitter). Each attempt goes
ASSIGNED (a few s) -> STARTING (10-40 s) -> SCHEDULED (1-3 s) -> RUNNING (minutes) ->
SUCCEEDED or FAILED; a FAILED attempt with retries left sends the task back to READY
(``failureRetryCount`` + 1). Durations, workers and outcomes come from one hash per
(task, run), so evaluating a task costs a few microseconds and never depends on history.

Overrides (UpdateTask/UpdateStep/UpdateJob, a job-wide halt, a canceled frame) cut the
timeline at their time: an active task is INTERRUPTING for ``INTERRUPT_SECONDS`` first, then
takes the target; READY/PENDING start a new run with fresh attempts. A PENDING requeue (what
``deadline job requeue-tasks`` sends) is READY at once when nothing blocks the task, and
stays PENDING while its step's dependencies are unresolved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from deadline_emulator.scripted import scripted_attempts
from deadline_emulator.seed import MAX_ATTEMPTS, JobSpec, StepSpec, uniforms

INF = math.inf
INTERRUPT_SECONDS = 6.0
STEP_HANDOFF_SECONDS = 5.0  # a dependent step is READY this long after its dependency ends

TASK_RUN_STATUSES = (
    "PENDING",
    "READY",
    "ASSIGNED",
    "STARTING",
    "SCHEDULED",
    "INTERRUPTING",
    "RUNNING",
    "SUSPENDED",
    "CANCELED",
    "FAILED",
    "SUCCEEDED",
    "NOT_COMPATIBLE",
)
ACTIVE = frozenset({"ASSIGNED", "STARTING", "SCHEDULED", "RUNNING"})
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "NOT_COMPATIBLE"})
SETTLED = TERMINAL | {"SUSPENDED"}
# A step's or job's taskRunStatus is the first status in this order that any task has:
# live work first (what an operator watches), then what needs a person, then outcomes.
AGGREGATE_PRECEDENCE = (
    "RUNNING",
    "INTERRUPTING",
    "SCHEDULED",
    "STARTING",
    "ASSIGNED",
    "READY",
    "PENDING",
    "SUSPENDED",
    "NOT_COMPATIBLE",
    "FAILED",
    "CANCELED",
    "SUCCEEDED",
)

# (exit code, progress message) of a failed attempt on a healthy worker.
FAILURES = (
    (1, "Render failed: missing texture /mnt/assets/chr_hero/tex/hero_diffuse.1004.exr"),
    (137, "Killed: out of memory (peak RSS 61.8 GiB of 64 GiB)"),
    (139, "Renderer crashed: segmentation fault (signal 11)"),
    (2, "License checkout failed: no free seats for renderer"),
)
UNRELIABLE_FAILURE = (74, "I/O error: stale file handle on /mnt/renders (NFS mount lost)")
UNRELIABLE_FAIL_RATE = 0.8
#: Failure causes a scripted step can assign to a task (the render logs' failure kinds).
FAILURE_CAUSES = {
    "texture": FAILURES[0],
    "oom": FAILURES[1],
    "segfault": FAILURES[2],
    "license": FAILURES[3],
    "nfs": UNRELIABLE_FAILURE,
}
CAUSE_NAMES = tuple(FAILURE_CAUSES)


@dataclass(slots=True)
class Attempt:
    """One attempt of a task on a worker: one session with envEnter, taskRun, envExit."""

    seq: int  # attempt number across every run of the task, from 0
    worker_id: str
    assigned_at: float
    starting_at: float
    scheduled_at: float
    running_at: float
    ended_at: float  # natural end of the taskRun (INF: never, e.g. a wedged worker)
    outcome: str  # SUCCEEDED | FAILED | "" (never ends)
    exit_code: int | None
    message: str
    exit_seconds: float  # envExit duration
    fail_progress: float  # progress reached when it failed / froze
    cut_at: float = INF  # interruption requested (UpdateTask, halt)
    cut_end: float = INF  # interruption done
    cut_target: str = ""
    # A session a worker keeps open for several tasks (``real_sessions.py``): the task index
    # of the session's first task (-1: a session of its own), this task's place in it, and
    # on the first task, when the last task's run ends (-1: not shared).
    session_head: int = -1
    session_pos: int = 0
    group_end: float = -1.0
    # The action that failed instead of the task run ("syncInputJobAttachments", "envEnter").
    failed_action: str = ""

    @property
    def task_run_end(self) -> float:
        return min(self.ended_at, self.cut_end) if self.cut_at < self.ended_at else self.ended_at

    @property
    def session_end(self) -> float:
        end = self.task_run_end if self.group_end < 0 else max(self.group_end, self.task_run_end)
        return end + self.exit_seconds if end < INF else INF

    @property
    def counts_as_failure(self) -> bool:
        """A retry the task pays for: a failed run; a spot reclaim or an interruption by the
        worker is not (see ``real_sessions.RECLAIM_SOURCE``)."""
        return self.outcome == "FAILED"


@dataclass(slots=True)
class Override:
    time: float
    target: str
    user: str
    only_if_unsettled: bool = False  # job-wide halts leave settled tasks alone
    interrupt_seconds: float = INTERRUPT_SECONDS
    applies_to: frozenset[str] | None = None  # job/step-wide updates: statuses they change
    # Order among updates made at one instant (a pinned clock): the later one applies last,
    # whichever scope (task, step, job) it was made on.
    seq: int = 0


@dataclass(slots=True)
class TaskState:
    status: str
    target: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    retries: int = 0
    updated_at: float | None = None
    updated_by: str | None = None
    attempts: tuple[Attempt, ...] = ()
    stable_from: float = INF  # no change after this time unless someone acts
    attempted: bool = False  # ever reached a scheduler decision (shows failureRetryCount)


@dataclass(slots=True)
class TaskContext:
    """What evaluating one task needs besides the clock."""

    seed: int
    job: JobSpec
    step: StepSpec
    index: int
    ready_at: float | None  # when the step is runnable (None: dependencies unresolved)
    worker_pool: tuple[str, ...]
    unreliable_worker_id: str
    user_overrides: tuple[Override, ...] = ()
    held_until: float = -INF  # READY tasks wait until then (INF: a cause still holds them)


# --- runs and holds ------------------------------------------------------------------------


class _Run:
    """READY -> attempts -> outcome, starting at ``ready_at`` (None: PENDING for good)."""

    __slots__ = ("attempts", "ready_at")

    def __init__(self, ready_at: float | None, attempts: list[Attempt]) -> None:
        self.ready_at = ready_at
        self.attempts = attempts

    def state_at(self, t: float) -> TaskState:
        attempts = self.attempts
        if self.ready_at is None:
            return TaskState("PENDING")
        stable = _last_change(attempts[-1]) if attempts else self.ready_at
        if t < self.ready_at:
            return TaskState("PENDING", stable_from=stable)
        if not attempts:
            return TaskState("READY", stable_from=stable)
        started = attempts[0].running_at if t >= attempts[0].running_at else None
        for k, a in enumerate(attempts):
            begun = tuple(attempts[: k + 1])
            retries = sum(b.counts_as_failure for b in attempts[:k])
            if t < a.assigned_at:
                return TaskState(
                    "READY",
                    None,
                    started,
                    None,
                    retries,
                    attempts=begun[:-1],
                    stable_from=stable,
                    attempted=True,
                )
            if t < a.starting_at:
                status = "ASSIGNED"
            elif t < a.scheduled_at:
                status = "STARTING"
            elif t < a.running_at:
                status = "SCHEDULED"
            elif t < a.ended_at:
                status = "RUNNING"
            elif k < len(attempts) - 1:
                continue  # failed with retries left: READY until the next attempt
            else:
                ended = a.ended_at if a.outcome else None
                return TaskState(
                    a.outcome or "RUNNING",
                    None,
                    started,
                    ended,
                    retries,
                    attempts=begun,
                    stable_from=stable,
                    attempted=True,
                )
            return TaskState(
                status,
                None,
                started,
                None,
                retries,
                attempts=begun,
                stable_from=stable,
                attempted=True,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def begun(self, t: float) -> list[Attempt]:
        return [a for a in self.attempts if a.assigned_at <= t]


def _last_change(a: Attempt) -> float:
    for when in (a.ended_at, a.running_at, a.scheduled_at, a.starting_at):
        if when < INF:
            return when
    return a.assigned_at


class _Hold:
    """A status someone set (SUSPENDED, CANCELED, SUCCEEDED, FAILED) or NOT_COMPATIBLE."""

    __slots__ = ("ended_at", "retries", "since", "started_at", "status")

    def __init__(
        self,
        status: str,
        since: float,
        started_at: float | None = None,
        ended_at: float | None = None,
        retries: int = 0,
    ) -> None:
        self.status = status
        self.since = since
        self.started_at = started_at
        self.ended_at = ended_at
        self.retries = retries

    def state_at(self, t: float) -> TaskState:
        return TaskState(
            self.status,
            None,
            self.started_at,
            self.ended_at,
            self.retries,
            stable_from=self.since,
            attempted=True,
        )

    def begun(self, t: float) -> list[Attempt]:
        return []


# --- building runs from the hash ------------------------------------------------------------


SCRIPT_CANCELED = -2  # a failure_script entry: canceled by its owner before it ran


def _plan_attempts(ctx: TaskContext, run_no: int, first_assign: float, seq0: int) -> list[Attempt]:
    step = ctx.step
    u = uniforms(ctx.seed, step.step_id, ctx.index, run_no)
    script = step.failure_script
    # A scripted step fails exactly the tasks its script names, every attempt, with the
    # cause it names; the others succeed on their first attempt.
    cause = script[ctx.index] if script else -1
    scripted = FAILURE_CAUSES[CAUSE_NAMES[cause]] if cause >= 0 else None
    doomed = scripted is not None if script else u[30] < step.doomed_rate
    pool = ctx.worker_pool
    attempts: list[Attempt] = []
    t = first_assign
    for n in range(MAX_ATTEMPTS):
        b = n * 9
        worker = pool[int(u[b] * len(pool))]
        unreliable = worker == ctx.unreliable_worker_id
        starting = t + 2.0 + u[b + 1] * 4.0
        scheduled = starting + 10.0 + u[b + 2] * 30.0
        running = scheduled + 1.0 + u[b + 3] * 2.0
        duration = step.run_min + (step.run_max - step.run_min) * u[b + 4]
        if ctx.index in step.slow_tasks:
            duration *= step.slow_factor
        if script:
            failed = doomed  # scripted outcomes do not depend on the worker
        else:
            failed = doomed or u[b + 5] < (UNRELIABLE_FAIL_RATE if unreliable else step.fail_rate)
        if failed:
            duration *= 0.2 + 0.6 * u[b + 6]
            if scripted is not None:
                code, message = scripted
            else:
                code, message = UNRELIABLE_FAILURE if unreliable else FAILURES[int(u[b + 7] * 4)]
        else:
            code, message = 0, f"Task completed in {int(duration // 60)}m{int(duration % 60):02d}s"
        end = running + duration
        attempts.append(
            Attempt(
                seq0 + n,
                worker,
                t,
                starting,
                scheduled,
                running,
                end,
                "FAILED" if failed else "SUCCEEDED",
                code,
                message,
                exit_seconds=2.0 + u[b + 8] * 4.0,
                fail_progress=round(10 + 80 * u[b + 6], 1),
            )
        )
        if not failed:
            break
        t = end + 15.0 + u[b + 8] * 45.0  # back to READY, then picked up again
    return attempts


def _wedged_attempts(ctx: TaskContext, status: str) -> tuple[list[Attempt], Override | None]:
    """A frozen attempt on the job's unresponsive worker, stuck in ``status`` for good."""
    base = ctx.ready_at or ctx.job.created_at
    t = base + 60.0 + ctx.index * 17.0
    worker = ctx.job.wedged_worker_id or ctx.worker_pool[0]
    stuck = {"ASSIGNED": 1, "STARTING": 2, "SCHEDULED": 3}.get(status, 4)
    times = [t, t + 4.0, t + 30.0, t + 32.0]
    times = [v if i < stuck else INF for i, v in enumerate(times)]
    attempt = Attempt(
        0,
        worker,
        times[0],
        times[1],
        times[2],
        times[3],
        INF,
        "",
        None,
        "Rendering frame: 37%",
        exit_seconds=3.0,
        fail_progress=37.0,
    )
    cancel = None
    if status == "INTERRUPTING":
        # Canceled by its owner, but the worker never acknowledged the interrupt.
        cancel = Override(t + 900.0, "CANCELED", ctx.job.created_by, interrupt_seconds=INF)
    return [attempt], cancel


def _natural(ctx: TaskContext) -> tuple[_Run | _Hold, list[Override]]:
    """The task's timeline without user overrides, and the overrides the world made."""
    step, job = ctx.step, ctx.job
    overrides: list[Override] = []
    if step.mode == "not_compatible":
        return _Hold("NOT_COMPATIBLE", job.created_at), overrides
    if step.mode == "blocked":
        return _Run(ctx.ready_at, []), overrides
    if step.mode == "wedged":
        script = step.wedged_script
        if ctx.index < len(script):
            attempts, cancel = _wedged_attempts(ctx, script[ctx.index])
            if cancel:
                overrides.append(cancel)
            return _Run(ctx.ready_at, attempts), overrides
        return _Run(ctx.ready_at, []), overrides
    if ctx.ready_at is None:
        run = _Run(None, [])
    elif ctx.held_until == INF:
        run = _Run(ctx.ready_at, [])
    elif step.mode == "scripted":
        plans = scripted_attempts(ctx.seed, step, ctx.index, ctx.ready_at, ctx.worker_pool)
        run = _Run(ctx.ready_at, [Attempt(**plan) for plan in plans])
    else:
        u = uniforms(ctx.seed, step.step_id, ctx.index, "window")
        wave = ctx.index // max(1, step.concurrency)
        base = max(ctx.ready_at, ctx.held_until)
        window = base + wave * step.slot_seconds + u[0] * step.slot_seconds * 0.3
        script = step.failure_script
        if (script and script[ctx.index] == SCRIPT_CANCELED) or u[1] < step.cancel_rate:
            overrides.append(Override(window, "CANCELED", job.created_by))
        run = _Run(ctx.ready_at, _plan_attempts(ctx, 0, window, 0))
    if job.halt is not None:
        halt = job.halt
        overrides.append(Override(halt.time, halt.status, halt.user, only_if_unsettled=True))
    return run, overrides


# --- evaluation -----------------------------------------------------------------------------


def evaluate_task(ctx: TaskContext, t: float) -> TaskState:
    """The task's state at ``t``: natural timeline cut by every override up to ``t``."""
    segment, overrides = _natural(ctx)
    if ctx.user_overrides:
        overrides = overrides + list(ctx.user_overrides)
    overrides.sort(key=lambda o: (o.time, o.seq))
    prior: list[Attempt] = []
    interrupt: tuple[float, float, str, TaskState] | None = None  # (cut, until, target, before)
    updated: tuple[float, str] | None = None
    run_no = 0
    for ov in overrides:
        if ov.time > t:
            break
        if interrupt is not None and ov.time < interrupt[1]:
            before = replace(interrupt[3], status="INTERRUPTING")
        else:
            before = segment.state_at(ov.time)
        if ov.only_if_unsettled and before.status in SETTLED:
            continue
        if ov.applies_to is not None and before.status not in ov.applies_to:
            continue
        updated = (ov.time, ov.user)
        active = before.status in ACTIVE or before.status == "INTERRUPTING"
        begun = segment.begun(ov.time)
        if active and begun:
            last = begun[-1]
            if last.cut_at == INF and ov.time < last.task_run_end:
                begun[-1] = replace(
                    last,
                    cut_at=ov.time,
                    cut_end=ov.time + ov.interrupt_seconds,
                    cut_target=ov.target,
                )
        prior.extend(begun)
        resume = ov.time + (ov.interrupt_seconds if active else 0.0)
        interrupt = (ov.time, resume, ov.target, before) if active else None
        if ov.target in ("READY", "PENDING"):
            run_no += 1
            if ctx.step.mode == "not_compatible":
                segment = _Hold("NOT_COMPATIBLE", resume)
            elif ctx.step.mode == "blocked" or ctx.ready_at is None or ctx.held_until == INF:
                ready = None if ctx.ready_at is None else max(resume, ctx.ready_at)
                segment = _Run(ready, [])
            else:
                ready = max(resume, ctx.ready_at)
                first = max(ready, ctx.held_until)
                u = uniforms(ctx.seed, ctx.step.step_id, ctx.index, "requeue", run_no)
                segment = _Run(
                    ready, _plan_attempts(ctx, run_no, first + 5 + 20 * u[0], len(prior))
                )
        else:
            ended = resume if ov.target in TERMINAL else None
            segment = _Hold(ov.target, resume, before.started_at, ended, before.retries)
    if interrupt is not None and t < interrupt[1]:
        cut, until, target, before = interrupt
        # An interrupt that never completes (wedged worker) is stable from the cut on.
        state = TaskState(
            "INTERRUPTING",
            target,
            before.started_at,
            None,
            before.retries,
            stable_from=until if until < INF else cut,
            attempted=True,
        )
    else:
        state = segment.state_at(t)
        if interrupt is not None:
            state.stable_from = max(state.stable_from, interrupt[1])
    state.attempts = (*prior, *segment.begun(t))
    if updated is not None:
        state.updated_at, state.updated_by = updated
        state.attempted = True
    return state


@dataclass(slots=True)
class StepAggregate:
    counts: dict[str, int]
    status: str
    started_at: float | None
    ended_at: float | None
    retries: int
    updated_at: float | None
    updated_by: str | None
    stable_from: float
    complete_at: float | None  # every task SUCCEEDED: when the last one ended


def aggregate(states: list[TaskState]) -> StepAggregate:
    """Counts, aggregate status and times of a step, always computed from its tasks."""
    counts = dict.fromkeys(TASK_RUN_STATUSES, 0)
    started: float | None = None
    ended: float | None = None
    updated: tuple[float, str] | None = None
    retries = 0
    stable = -INF
    for s in states:
        counts[s.status] += 1
        if s.started_at is not None and (started is None or s.started_at < started):
            started = s.started_at
        if s.ended_at is not None and (ended is None or s.ended_at > ended):
            ended = s.ended_at
        if s.updated_at is not None and (updated is None or s.updated_at > updated[0]):
            updated = (s.updated_at, s.updated_by or "")
        retries += s.retries
        if s.stable_from > stable:
            stable = s.stable_from
    status = next(st for st in AGGREGATE_PRECEDENCE if counts[st]) if states else "SUCCEEDED"
    all_terminal = sum(counts[st] for st in TERMINAL) == len(states)
    complete = ended if counts["SUCCEEDED"] == len(states) and ended is not None else None
    return StepAggregate(
        counts=counts,
        status=status,
        started_at=started,
        ended_at=ended if all_terminal else None,
        retries=retries,
        updated_at=updated[0] if updated else None,
        updated_by=updated[1] if updated else None,
        stable_from=stable,
        complete_at=complete,
    )


def combine(aggregates: list[StepAggregate]) -> StepAggregate:
    """A job's aggregate from its steps' aggregates (same rules as a step's)."""
    counts = dict.fromkeys(TASK_RUN_STATUSES, 0)
    for agg in aggregates:
        for status, n in agg.counts.items():
            counts[status] += n
    total = sum(counts.values())
    starts = [a.started_at for a in aggregates if a.started_at is not None]
    updates = [(a.updated_at, a.updated_by or "") for a in aggregates if a.updated_at is not None]
    all_terminal = sum(counts[st] for st in TERMINAL) == total
    ends = [a.ended_at for a in aggregates if a.ended_at is not None]
    status = next((st for st in AGGREGATE_PRECEDENCE if counts[st]), "SUCCEEDED")
    latest = max(updates) if updates else None
    return StepAggregate(
        counts=counts,
        status=status,
        started_at=min(starts) if starts else None,
        ended_at=max(ends) if all_terminal and ends else None,
        retries=sum(a.retries for a in aggregates),
        updated_at=latest[0] if latest else None,
        updated_by=latest[1] if latest else None,
        stable_from=max((a.stable_from for a in aggregates), default=-INF),
        complete_at=None,
    )


# --- session actions of an attempt ----------------------------------------------------------


def session_action_state(a: Attempt, n: int, t: float) -> dict[str, object] | None:
    """Status fields of action ``n`` (0 envEnter, 1 taskRun, 2 envExit) at ``t``; None if
    the action does not exist yet."""
    cut = a.cut_at
    if n == 0:
        return _phase(a.starting_at, a.scheduled_at, cut, a.cut_end, t, a.assigned_at)
    if n == 1:
        answer = _phase(
            a.running_at,
            a.ended_at,
            cut,
            a.cut_end,
            t,
            a.assigned_at,
            waiting="SCHEDULED" if a.scheduled_at <= t else "ASSIGNED",
        )
        if answer["status"] == "SUCCEEDED" and a.outcome == "FAILED":
            answer["status"] = "FAILED"
        status = answer["status"]
        if status == "RUNNING":
            if a.ended_at == INF:
                answer["progressPercent"] = a.fail_progress
                answer["workerUpdatedAt"] = a.running_at + 45.0
            else:
                pct = 100.0 * (t - a.running_at) / (a.ended_at - a.running_at)
                if a.outcome == "FAILED":
                    pct *= a.fail_progress / 100.0
                answer["progressPercent"] = round(min(pct, 99.0), 1)
                answer["workerUpdatedAt"] = t - (t % 15.0)
            answer["progressMessage"] = f"Rendering: {answer['progressPercent']:.0f}%"
        elif status == "SUCCEEDED":
            answer.update(progressPercent=100.0, processExitCode=0, progressMessage=a.message)
            answer["workerUpdatedAt"] = a.ended_at
        elif status == "FAILED":
            answer.update(
                progressPercent=a.fail_progress,
                processExitCode=a.exit_code,
                progressMessage=a.message,
                workerUpdatedAt=a.ended_at,
            )
        elif status in ("CANCELED", "CANCELING"):
            answer["progressMessage"] = f"Interrupted: task set to {a.cut_target or 'CANCELED'}"
            if status == "CANCELED":
                answer["processExitCode"] = -15
        return answer
    start = a.task_run_end
    if t < start:
        return None
    end = start + a.exit_seconds
    if t < end:
        return {"status": "RUNNING", "startedAt": start}
    return {"status": "SUCCEEDED", "startedAt": start, "endedAt": end, "progressPercent": 100.0}


def _phase(
    start: float,
    end: float,
    cut: float,
    cut_end: float,
    t: float,
    assigned: float,
    waiting: str = "ASSIGNED",
) -> dict[str, object]:
    """Status of an action that runs [start, end), possibly interrupted at ``cut``."""
    if cut <= t and cut < end:
        if cut < start:  # interrupted before it began
            return {"status": "NEVER_ATTEMPTED"}
        if t < cut_end:
            return {"status": "CANCELING", "startedAt": start}
        return {"status": "CANCELED", "startedAt": start, "endedAt": cut_end}
    if t < start:
        return {"status": waiting}
    if t < end:
        return {"status": "RUNNING", "startedAt": start}
    return {"status": "SUCCEEDED" if end < INF else "RUNNING", "startedAt": start, "endedAt": end}
