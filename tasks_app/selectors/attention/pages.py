"""What the other pages show of attention: a queue's, job's or step's stalled and slow tasks
from the report as last built (never a rebuild), and the task page's own verdict on one task."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...deadline.fanout import gather
from ...deadline.farm_types import LastLogEvent, TaskRows
from ...deadline.session_types import ActionStatus
from ...deadline.types import TaskRunStatus
from ..resources import now
from .items import AttentionItem, AttentionReport
from .reads import last_log_event, message, step_tasks
from .report import last_report
from .rules import (
    LIVE_STATUSES,
    SlowCheck,
    Verdict,
    assess_slow,
    assess_stall,
    clean_durations,
    stall_after,
)


@dataclass(frozen=True)
class PageFlags:
    """The report's stalled and slow tasks for one page (``report`` None: not built yet, and
    ``problem`` says so)."""

    report: AttentionReport | None
    problem: str = ""

    @property
    def version(self) -> str:
        return self.report.version if self.report else "none"

    @property
    def checked_at(self) -> datetime | None:
        return self.report.checked_at if self.report else None

    def for_job(self, job_id: str) -> list[AttentionItem]:
        return self.report.for_job(job_id) if self.report else []

    def for_tasks(self, job_id: str) -> dict[str, AttentionItem]:
        return self.report.for_tasks(job_id) if self.report else {}

    def counts(self, ids: Iterable[str], attribute: str) -> dict[str, dict[str, int]]:
        return self.report.task_counts(ids, attribute) if self.report else {}


def page_flags() -> PageFlags:
    """The report as last built (by ``/attention/`` or the header's count, which every page
    loads after itself), for a queue, job or step page: never waits for a rebuild, never
    calls the API. None before the first build: the page's next refresh fills it in."""
    report = last_report()
    if report is None:
        return PageFlags(
            report=None,
            problem="The farm-wide check for stalled and slow tasks has not run yet; "
            "this fills in on the next refresh.",
        )
    return PageFlags(report=report)


# --- One task (the task page) ------------------------------------------------------------------


@dataclass(frozen=True)
class TaskAttention:
    """The task page's verdict on one task: stalled or slow (``verdict``), the slowness check
    behind it (too few samples included), and what could not be read."""

    verdict: Verdict | None = None
    slow: SlowCheck | None = None
    problems: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        """A digest of what the page shows of it (equal: nothing to redraw)."""
        parts = (self.verdict, self.slow and self.slow.summary, self.problems)
        return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def task_attention(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    run_status: TaskRunStatus,
    attempt: Any,
    current: datetime | None = None,
) -> TaskAttention:
    """Judge one task from its latest attempt (``selectors.triage.Attempt``: its worker's
    status, its session, its start), its log's last line and its step's finished tasks.
    Reads only what the verdict needs: the log when the attempt has run for
    DASHBOARD_STALL_SECONDS, the step's tasks when the task runs. Never raises."""
    if run_status not in LIVE_STATUSES or attempt is None:
        return TaskAttention()
    current = now() if current is None else current
    started = attempt.action.started_at or (attempt.session.started_at if attempt.session else None)
    reads: dict[str, Callable[[], Any]] = {}
    if started is not None and current - started >= stall_after() and attempt.status.is_live:
        reads["log"] = lambda: last_log_event(
            farm_id=farm_id,
            queue_id=queue_id,
            session_id=attempt.session_id,
            session=attempt.session,
        )
    if run_status is TaskRunStatus.RUNNING:
        reads["step"] = lambda: step_tasks(
            farm_id=farm_id, queue_id=queue_id, job_id=job_id, step_id=step_id
        )
    got, errors = gather(reads)
    problems = tuple(
        f"Could not read the {key}'s data: {message(exc)}" for key, exc in errors.items()
    )
    worker = attempt.worker
    session = attempt.session
    log: LastLogEvent | None = got.get("log")
    verdict = None
    if attempt.status.is_live:
        verdict = assess_stall(
            run_status=run_status,
            now=current,
            worker_label=attempt.worker_label if attempt.worker_id else None,
            worker_status=worker.status if worker else None,
            session_open=None if session is None else session.ended_at is None,
            session_ended_at=None if session is None else session.ended_at,
            last_log_at=log.at if log else None,
            log_missing=bool(log and log.missing),
            attempt_started_at=started,
        )
    slow = None
    rows: TaskRows | None = got.get("step")
    if rows is not None:
        running_since = (
            attempt.action.started_at if attempt.status is ActionStatus.RUNNING else None
        )
        slow = assess_slow(
            elapsed=None if running_since is None else current - running_since,
            durations=clean_durations(rows.rows),
        )
        if verdict is None:
            verdict = slow.verdict(running_since)
    return TaskAttention(verdict=verdict, slow=slow, problems=problems)
