"""Round three of a refresh: which tasks in workers' hands need a closer look (stalled or
slow candidates), the reads that look, and the verdicts and task items they lead to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...deadline.farm_types import ActionOutcomes, LastLogEvent, SessionList, TaskRow, TaskRows
from ...deadline.ids import is_valid_id
from ...deadline.session_types import Session, SessionAction
from ...deadline.types import Job, Step, TaskRunStatus
from ..resources import get_step
from ..triage import get_session, get_session_action
from .items import AttentionItem, task_url
from .reads import MAX_CANDIDATES, job_outcomes, job_sessions, last_log_event, step_tasks
from .rules import (
    DurationStats,
    Verdict,
    assess_slow,
    assess_stall,
    clean_durations,
    min_samples,
    slow_factor,
    stall_after,
)
from .state import (
    FarmState,
    QueueState,
    durations_by_step,
    most_failed,
    typical_seconds,
    worker_label,
)


@dataclass
class Candidate:
    """A task in a worker's hands that may be stalled or slow, and what to read about it."""

    queue: QueueState
    row: TaskRow
    verdict: Verdict | None = None
    worker_id: str | None = None
    check_log: bool = False
    check_slow: bool = False

    @property
    def step_key(self) -> tuple[str, str | None, str | None]:
        return (self.queue.queue_id, self.row.job_id, self.row.step_id)


@dataclass(frozen=True)
class Evidence:
    """What round three read, by subject: sessions and logs by session ID, the steps and their
    tasks, retried attempts by session action ID, and the attempts of the jobs that failed
    most (worker health) by job ID."""

    sessions: Mapping[str, Session] = field(default_factory=dict)
    logs: Mapping[str, LastLogEvent] = field(default_factory=dict)
    steps: Mapping[str | None, Step] = field(default_factory=dict)
    step_tasks: Mapping[tuple[str, str | None, str | None], TaskRows] = field(default_factory=dict)
    attempts: Mapping[str, SessionAction] = field(default_factory=dict)
    job_sessions: Mapping[str, SessionList] = field(default_factory=dict)
    job_attempts: Mapping[str, ActionOutcomes] = field(default_factory=dict)


class Judgement:
    """Round three: which tasks need a closer look, the reads that look, and the task items."""

    def __init__(
        self, current: datetime, farms: dict[str, FarmState], queues: list[QueueState]
    ) -> None:
        self.now = current
        self.farms = farms
        self.queues = queues
        self.notes: list[str] = []
        self.candidates: list[Candidate] = []
        self.health_jobs: list[tuple[QueueState, Job]] = []

    # -- candidates --

    def pick_candidates(self) -> None:
        rows_of = {
            q.queue_id: [r for r in q.live_rows() if r.job_id is not None and r.step_id is not None]
            for q in self.queues
        }
        # When each stopped worker was last seen working, across every queue it served.
        for q in self.queues:
            farm = self.farms[q.farm_id]
            for row in rows_of[q.queue_id]:
                if (dead := farm.dead_sessions.get(row.session_id or "")) and row.started_at:
                    farm.seen_at(dead, row.started_at)
        picked = 0
        for q in self.queues:
            samples = durations_by_step(q.sample_rows())
            for row in rows_of[q.queue_id]:
                candidate = self._held_by_dead_worker(q, row) or self._long_running(q, row, samples)
                if candidate is None:
                    continue
                if candidate.verdict is None:
                    if picked >= MAX_CANDIDATES:
                        continue
                    picked += 1
                self.candidates.append(candidate)
            if picked >= MAX_CANDIDATES:
                self.notes.append(
                    f"More than {MAX_CANDIDATES} long-running tasks: only the first were checked."
                )
            self.health_jobs += [(q, job) for job in most_failed(q.jobs, self.now)]

    def _held_by_dead_worker(self, q: QueueState, row: TaskRow) -> Candidate | None:
        """Every task a stopped worker holds stalled at one moment, so each is judged from the
        same time: when the worker was last seen starting work (its open sessions and the
        tasks it holds), not from each task's own start."""
        farm = self.farms[q.farm_id]
        dead = farm.dead_sessions.get(row.session_id or "")
        if dead is None:
            return None
        worker = farm.workers.get(dead)
        verdict = assess_stall(
            run_status=row.run_status,
            now=self.now,
            worker_label=worker_label(worker, dead),
            worker_status=worker.status if worker else None,
            attempt_started_at=farm.last_seen.get(dead),
        )
        return Candidate(queue=q, row=row, worker_id=dead, verdict=verdict)

    def _long_running(
        self, q: QueueState, row: TaskRow, samples: Mapping[str, list[float]]
    ) -> Candidate | None:
        elapsed = None if row.started_at is None else self.now - row.started_at
        if elapsed is None or row.session_id is None:
            return None  # never started here: only its worker's state can tell
        candidate = Candidate(queue=q, row=row, check_log=elapsed >= stall_after())
        if row.run_status is TaskRunStatus.RUNNING:
            durations = samples.get(row.step_id or "", [])
            stats = DurationStats.of(durations)
            if stats is not None and len(durations) >= min_samples():
                # Confirmed against the step's own tasks below: a margin for the sample's noise.
                margin = 0.75 * slow_factor() * stats.p95
                candidate.check_slow = elapsed.total_seconds() > margin
            else:
                candidate.check_slow = elapsed >= stall_after()
        return candidate if candidate.check_log or candidate.check_slow else None

    # -- reads --

    def reads(self) -> dict[tuple[str, Any], Callable[[], Any]]:
        """Round three's reads, keyed (subject kind, ID) for ``evidence``."""
        reads: dict[tuple[str, Any], Callable[[], Any]] = {}
        for c in self.candidates:
            q, row = c.queue, c.row
            ids = {"farm_id": q.farm_id, "queue_id": q.queue_id}
            session = row.session_id
            if c.check_log and session and is_valid_id("session_id", session):
                reads["sessions", session] = lambda ids=ids, j=row.job_id, s=session: get_session(
                    **ids, job_id=j, session_id=s
                )
            if c.check_slow:
                reads["step_tasks", c.step_key] = lambda ids=ids, j=row.job_id, s=row.step_id: (
                    step_tasks(**ids, job_id=j, step_id=s)
                )
                action = row.latest_session_action_id
                if row.retries and action and is_valid_id("session_action_id", action):
                    reads["attempts", action] = lambda ids=ids, j=row.job_id, a=action: (
                        get_session_action(**ids, job_id=j, session_action_id=a)
                    )
            if c.verdict is not None or c.check_log or c.check_slow:
                reads["steps", row.step_id] = lambda ids=ids, j=row.job_id, s=row.step_id: get_step(
                    **ids, job_id=j, step_id=s
                )
        for q, job in self.health_jobs:
            ids = {"farm_id": q.farm_id, "queue_id": q.queue_id, "job_id": job.job_id}
            reads["job_sessions", job.job_id] = lambda ids=ids: job_sessions(**ids)
            reads["job_attempts", job.job_id] = lambda ids=ids: job_outcomes(**ids)
        return reads

    def log_reads(
        self, sessions: Mapping[str, Session]
    ) -> dict[tuple[str, Any], Callable[[], Any]]:
        """The last log line of each long-running task, where its session says its log is
        (round four: the sessions are known)."""
        reads: dict[tuple[str, Any], Callable[[], Any]] = {}
        for c in self.candidates:
            session_id = c.row.session_id
            if not c.check_log or not session_id or session_id not in sessions:
                continue
            q, found = c.queue, sessions[session_id]
            reads["logs", session_id] = lambda q=q, s=session_id, found=found: last_log_event(
                farm_id=q.farm_id, queue_id=q.queue_id, session_id=s, session=found
            )
        return reads

    # -- verdicts and items --

    def task_items(self, evidence: Evidence) -> list[AttentionItem]:
        """The items of every candidate found stalled or slow."""
        found = []
        for c in self.candidates:
            verdict = c.verdict or self._stall(c, evidence) or self._slow(c, evidence)
            if verdict is not None:
                found.append(self._task_item(c, verdict, evidence))
        return found

    def _stall(self, c: Candidate, evidence: Evidence) -> Verdict | None:
        if not c.check_log or c.row.session_id is None:
            return None
        session = evidence.sessions.get(c.row.session_id)
        log = evidence.logs.get(c.row.session_id)
        worker = None
        if session is not None:
            c.worker_id = session.worker_id
            worker = self.farms[c.queue.farm_id].workers.get(session.worker_id)
        return assess_stall(
            run_status=c.row.run_status,
            now=self.now,
            worker_label=worker_label(worker, c.worker_id) if c.worker_id else None,
            worker_status=worker.status if worker else None,
            session_open=None if session is None else session.ended_at is None,
            session_ended_at=None if session is None else session.ended_at,
            last_log_at=log.at if log else None,
            log_missing=bool(log and log.missing),
            attempt_started_at=c.row.started_at,
        )

    def _slow(self, c: Candidate, evidence: Evidence) -> Verdict | None:
        if not c.check_slow:
            return None
        rows = evidence.step_tasks.get(c.step_key)
        if rows is None:
            return None
        started = c.row.started_at
        action = c.row.latest_session_action_id
        if c.row.retries and action:
            attempt = evidence.attempts.get(action)
            started = attempt.started_at if attempt is not None else None
        if started is None:
            return None
        check = assess_slow(elapsed=self.now - started, durations=clean_durations(rows.rows))
        return check.verdict(started)

    def _task_item(self, c: Candidate, verdict: Verdict, evidence: Evidence) -> AttentionItem:
        q, row = c.queue, c.row
        assert row.job_id is not None and row.step_id is not None
        job = q.job(row.job_id)
        step = evidence.steps.get(row.step_id)
        since = verdict.since or row.started_at or row.updated_at
        if since is not None:
            impact = max((self.now - since).total_seconds(), 0.0)
        else:
            # Held but never started, and no time known: the work it holds back (a typical
            # task of its step when it was read, else of its queue), not zero, or it would
            # rank below every lesser trouble.
            rows = evidence.step_tasks.get(c.step_key)
            impact = typical_seconds(rows.rows if rows is not None else q.sample_rows())
        what = row.parameter_summary or f"task {row.task_id.rpartition('-')[2]}"
        detail = " \u00b7 ".join(part for part in (step.name if step else "", what) if part)
        return AttentionItem(
            kind="stalled_task" if verdict.kind == "stalled" else "slow_task",
            reason=verdict.reason,
            impact=impact,
            url=task_url(q.farm_id, q.queue_id, row.job_id, row.step_id, row.task_id),
            farm_id=q.farm_id,
            queue_id=q.queue_id,
            job_id=row.job_id,
            step_id=row.step_id,
            task_id=row.task_id,
            worker_id=c.worker_id,
            title=job.name if job else row.job_id,
            detail=detail,
            where=q.where,
            state=verdict.kind,
        )


def evidence_of(got: Mapping[tuple[str, Any], Any]) -> Evidence:
    """Round three's and four's answers, by subject kind (the keys ``reads`` made)."""
    by_kind: dict[str, dict[Any, Any]] = {name: {} for name in Evidence.__dataclass_fields__}
    for (kind, subject), value in got.items():
        by_kind[kind][subject] = value
    return Evidence(**by_kind)
