"""A page of a step's task table: each row's worker and last error, from one
BatchGetSessionAction and one BatchGetSession per page (cached), and the failure analysis's
records where a failures view read the attempt's log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ...deadline.cache import load_many, store_many
from ...deadline.session_types import ActionStatus
from ...deadline.types import Cacheable, TaskRunStatus, TaskSummary, compact
from . import signatures
from .naming import cause_titles
from .reads import read_attempts
from .records import FailedTask, FailureScope
from .store import entry_ttl, load_attempts

_ROW = "failure-row"


@dataclass(frozen=True)
class RowDetail(Cacheable):
    """What a task table row adds about a task's latest attempt: its worker, and for an
    attempt that failed, why (its signature's title when a failures view read its log, else
    exit code and progress message)."""

    session_action_id: str
    status: ActionStatus
    worker_id: str | None = None
    host_name: str | None = None
    exit_code: int | None = None
    message: str | None = None
    ended: bool = False

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> RowDetail:
        return cls(
            session_action_id=str(answer["sessionActionId"]),
            status=ActionStatus.parse(answer.get("status")),
            worker_id=answer.get("workerId"),
            host_name=answer.get("hostName"),
            exit_code=answer.get("exitCode"),
            message=answer.get("message"),
            ended=bool(answer.get("ended")),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "sessionActionId": self.session_action_id,
                "status": self.status.value,
                "workerId": self.worker_id,
                "hostName": self.host_name,
                "exitCode": self.exit_code,
                "message": self.message,
                "ended": self.ended,
            }
        )

    @property
    def worker_label(self) -> str | None:
        if self.host_name:
            return self.host_name.split(".")[0]
        return self.worker_id


@dataclass(frozen=True)
class TaskRowDetail:
    """A row's worker and last error, ready to show."""

    worker_id: str | None
    worker_label: str | None
    failed: bool
    exit_code: int | None
    error: str | None  # the failure's name: its cause's title, else the progress message
    session_action_id: str
    cause: str | None = None  # the log line a failures view found the failure in
    message: str | None = None  # the progress message the worker agent reported
    line: int | None = None
    line_at_ms: int | None = None


def task_row_details(
    *, farm_id: str, queue_id: str, job_id: str, tasks: Sequence[TaskSummary], read: bool
) -> tuple[dict[str, TaskRowDetail], bool]:
    """task ID -> the latest attempt's worker and error, for one page of a step's tasks, and
    whether some are still unknown. ``read=False`` looks in the cache only (no API call);
    ``read=True`` reads the rest: one BatchGetSessionAction and one BatchGetSession for the
    page (it holds at most 100 tasks). Finished attempts are kept for hours, live ones for
    DEADLINE_CACHE_SECONDS."""
    scope = FailureScope(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    actions = {t.task_id: t.latest_session_action_id for t in tasks if t.latest_session_action_id}
    ids = {(farm_id, queue_id, job_id, a): a for a in actions.values()}
    rows = {v: r for k, r in load_many(_ROW, ids, RowDetail).items() for v in [ids[k]]}
    missing = [a for a in actions.values() if a not in rows]
    if read and missing:
        rows.update(_read_rows(scope, missing))
        missing = [a for a in actions.values() if a not in rows]
    rows_as_tasks = [FailedTask(job_id=job_id, summary=t) for t in tasks]
    analysed = load_attempts(scope, rows_as_tasks)
    failed_rows = {a: r for a, r in rows.items() if r.status is ActionStatus.FAILED}
    reported = {a: (r.exit_code, r.message) for a, r in failed_rows.items()}
    names = cause_titles(scope, failed_rows, reported=reported) if failed_rows else {}
    details = {}
    for task_id, action_id in actions.items():
        row = rows.get(action_id)
        if row is None:
            continue
        failed = row.status is ActionStatus.FAILED
        known = analysed.get(action_id)
        from_log = known is not None and known.source == signatures.FROM_LOG
        details[task_id] = TaskRowDetail(
            worker_id=row.worker_id,
            worker_label=row.worker_label,
            failed=failed,
            exit_code=row.exit_code if failed else None,
            # One name per failure: the cause's title as the failures view names it; the
            # agent's progress message is the detail.
            error=(names.get(action_id) or row.message) if failed else None,
            cause=known.title if from_log and known else None,
            message=row.message if failed else None,
            session_action_id=action_id,
            line=known.line if from_log and known else None,
            line_at_ms=known.line_at_ms if from_log and known else None,
        )
    return details, bool(missing)


def _read_rows(scope: FailureScope, action_ids: Sequence[str]) -> dict[str, RowDetail]:
    tasks = [
        FailedTask(
            job_id=scope.job_id,
            summary=TaskSummary(
                task_id="", run_status=TaskRunStatus.UNKNOWN, latest_session_action_id=a
            ),
        )
        for a in action_ids
    ]
    actions, sessions = read_attempts(scope, tasks)
    found: dict[str, RowDetail] = {}
    for action_id, action in actions.items():
        session = sessions.get(action.session_id)
        row = RowDetail(
            session_action_id=action_id,
            status=action.status,
            worker_id=session.worker_id if session else None,
            host_name=session.host_name if session else None,
            exit_code=action.process_exit_code,
            message=action.progress_message,
            ended=action.ended_at is not None and not action.status.is_live,
        )
        found[action_id] = row
        ttl = entry_ttl() if row.ended else settings.DEADLINE_CACHE_SECONDS
        store_many(_ROW, {(scope.farm_id, scope.queue_id, scope.job_id, action_id): row}, ttl)
    return found
