"""What a failure analysis records per scope, as cached: the failed tasks listed, each failing
attempt's signature and worker, retried successes and each job's sessions per worker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ...deadline.session_types import (
    SETUP_ACTIONS,
    ActionStatus,
    Session,
    SessionAction,
    session_id_of,
)
from ...deadline.types import Cacheable, TaskSummary, compact, format_datetime, parse_datetime
from ..resources import now
from . import signatures

#: The queue view's windows, in hours (the first is the default).
WINDOWS = (24, 6, 72, 168)


@dataclass(frozen=True)
class FailureScope:
    """Whose failures: a job, one of its steps, or a queue's jobs of the last ``window_hours``."""

    farm_id: str
    queue_id: str
    job_id: str = ""
    step_id: str = ""
    window_hours: int = WINDOWS[0]

    @property
    def kind(self) -> str:
        return "step" if self.step_id else "job" if self.job_id else "queue"

    @property
    def ids(self) -> tuple[str, ...]:
        """Cache key parts: the resource path (and the window of a queue)."""
        if self.kind == "queue":
            return (self.farm_id, self.queue_id, f"{self.window_hours}h")
        return tuple(i for i in (self.farm_id, self.queue_id, self.job_id, self.step_id) if i)


# --- Cached records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedTask:
    """One failed task as listed: its row (retries, parameters, latest attempt) and job."""

    job_id: str
    summary: TaskSummary

    @property
    def task_id(self) -> str:
        return self.summary.task_id

    @property
    def step_id(self) -> str:
        return self.summary.step_id or ""

    @property
    def action_id(self) -> str | None:
        return self.summary.latest_session_action_id

    @classmethod
    def from_api(
        cls, answer: Mapping[str, Any], *, job_id: str = "", step_id: str = ""
    ) -> FailedTask:
        summary = TaskSummary.from_api(answer)
        if summary.step_id is None and step_id:
            summary = replace(summary, step_id=step_id)
        return cls(job_id=str(answer.get("jobId") or job_id), summary=summary)

    def to_cache(self) -> dict[str, Any]:
        return {"jobId": self.job_id, **self.summary.to_cache()}


@dataclass(frozen=True)
class JobBrief:
    """A job a queue view covers: its name, failed count and whether it has settled."""

    job_id: str
    name: str
    failed: int
    settled: bool

    def to_cache(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "name": self.name,
            "failed": self.failed,
            "settled": self.settled,
        }

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> JobBrief:
        return cls(
            str(data["jobId"]), str(data["name"]), int(data["failed"]), bool(data["settled"])
        )


@dataclass(frozen=True)
class Listing(Cacheable):
    """The failed tasks of a scope, and what the API said about the scope when they were
    listed: names, the FAILED count, whether everything has settled, how they were listed."""

    tasks: tuple[FailedTask, ...]
    expected: int  # FAILED count the API reported for the scope
    method: str  # SEARCH | LIST
    complete: bool
    settled: bool
    listed_at: datetime
    names: tuple[tuple[str, str], ...] = ()  # kind or ID -> display name
    jobs: tuple[JobBrief, ...] = ()  # queue scope: the jobs covered
    jobs_matched: int = 0  # queue scope: the window's jobs SearchJobs counted (>= len(jobs))
    beyond: int = 0  # failed tasks past the listing cap (counted, not analysed)
    retried: tuple[FailedTask, ...] = ()  # successes after a retry seen while listing

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Listing:
        return cls(
            tasks=tuple(FailedTask.from_api(t) for t in answer["tasks"]),
            expected=int(answer["expected"]),
            method=str(answer["method"]),
            complete=bool(answer["complete"]),
            settled=bool(answer["settled"]),
            listed_at=parse_datetime(answer["listedAt"]) or now(),
            names=tuple((str(k), str(v)) for k, v in answer.get("names") or ()),
            jobs=tuple(JobBrief.from_cache(j) for j in answer.get("jobs") or ()),
            jobs_matched=int(answer.get("jobsMatched") or 0),
            beyond=int(answer.get("beyond") or 0),
            retried=tuple(FailedTask.from_api(t) for t in answer.get("retried") or ()),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "tasks": [t.to_cache() for t in self.tasks],
            "expected": self.expected,
            "method": self.method,
            "complete": self.complete,
            "settled": self.settled,
            "listedAt": format_datetime(self.listed_at),
            "names": [list(pair) for pair in self.names],
            "jobs": [j.to_cache() for j in self.jobs],
            "jobsMatched": self.jobs_matched,
            "beyond": self.beyond,
            "retried": [t.to_cache() for t in self.retried],
        }

    def name(self, key: str) -> str | None:
        return dict(self.names).get(key)


@dataclass(frozen=True)
class AttemptFailure(Cacheable):
    """What one failing attempt says: status, exit code, message, worker and signature."""

    session_action_id: str
    status: ActionStatus
    signature: str
    title: str
    source: str
    exit_code: int | None = None
    message: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    worker_id: str | None = None
    host_name: str | None = None
    line: int | None = None  # 1-based, in the attempt's latest log page (the task page's)
    line_at_ms: int | None = None
    exit_signature: str = ""
    failed_in: str = ""  # the setup action that failed instead of the task run, if any
    raw: str = ""  # the log line the title was made from, as written

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> AttemptFailure:
        return cls(
            session_action_id=str(answer["sessionActionId"]),
            status=ActionStatus.parse(answer.get("status")),
            signature=str(answer["signature"]),
            title=str(answer["title"]),
            source=str(answer["source"]),
            exit_code=answer.get("exitCode"),
            message=answer.get("message"),
            started_at=parse_datetime(answer.get("startedAt")),
            ended_at=parse_datetime(answer.get("endedAt")),
            worker_id=answer.get("workerId"),
            host_name=answer.get("hostName"),
            line=answer.get("line"),
            line_at_ms=answer.get("lineAtMs"),
            exit_signature=str(answer.get("exitSignature") or ""),
            failed_in=str(answer.get("failedIn") or ""),
            raw=str(answer.get("raw") or ""),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "sessionActionId": self.session_action_id,
                "status": self.status.value,
                "signature": self.signature,
                "title": self.title,
                "source": self.source,
                "exitCode": self.exit_code,
                "message": self.message,
                "startedAt": format_datetime(self.started_at),
                "endedAt": format_datetime(self.ended_at),
                "workerId": self.worker_id,
                "hostName": self.host_name,
                "line": self.line,
                "lineAtMs": self.line_at_ms,
                "exitSignature": self.exit_signature,
                "failedIn": self.failed_in or None,
                "raw": self.raw or None,
            }
        )

    @property
    def session_id(self) -> str:
        return session_id_of(self.session_action_id)

    @property
    def worker_label(self) -> str:
        if self.host_name:
            return self.host_name.split(".")[0]
        return self.worker_id or "an unknown worker"


@dataclass(frozen=True)
class RetriedSuccess(Cacheable):
    """A task that succeeded after failed attempts: each failed attempt's exit code and
    message (its signature is matched to the groups by them, or by its cached log)."""

    task_id: str
    failures: tuple[tuple[str, int | None, str | None], ...]  # (session action, exit, message)

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> RetriedSuccess:
        return cls(
            task_id=str(answer["taskId"]),
            failures=tuple(
                (str(f["sessionActionId"]), f.get("exitCode"), f.get("message"))
                for f in answer.get("failures") or ()
            ),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "failures": [
                {"sessionActionId": sa, "exitCode": code, "message": message}
                for sa, code, message in self.failures
            ],
        }


@dataclass(frozen=True)
class WorkerSample(Cacheable):
    """Sessions per worker in (the first pages of) a job's sessions: the baseline share."""

    counts: tuple[tuple[str, int], ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> WorkerSample:
        return cls(counts=tuple((str(w), int(n)) for w, n in answer.get("counts") or ()))

    def to_cache(self) -> dict[str, Any]:
        return {"counts": [list(pair) for pair in self.counts]}


# --- Building an attempt's record ---------------------------------------------------------------


def task_order(task: FailedTask) -> tuple[str, str, int, str]:
    """Listing order: job, step, task index."""
    index = task.summary.index
    return (task.job_id, task.step_id, -1 if index is None else index, task.task_id)


def attempt_entry(action: SessionAction, session: Session | None = None) -> AttemptFailure:
    """A failing attempt's record before its signature is known."""
    return AttemptFailure(
        session_action_id=action.session_action_id,
        status=action.status,
        signature="",
        title="",
        source="",
        exit_code=action.process_exit_code,
        message=action.progress_message,
        started_at=action.started_at,
        ended_at=action.ended_at,
        worker_id=session.worker_id if session else None,
        host_name=session.host_name if session else None,
        exit_signature=signatures.exit_key(action.process_exit_code, action.progress_message),
    )


def unreadable_entry(action_id: str) -> AttemptFailure:
    """The record of a failing attempt that could not be read."""
    signature = signatures.unreadable_signature()
    return AttemptFailure(
        session_action_id=action_id,
        status=ActionStatus.UNKNOWN,
        signature=signature.key,
        title=signature.title,
        source=signature.source,
    )


def with_signature(entry: AttemptFailure, signature: signatures.Signature) -> AttemptFailure:
    """The entry grouped by ``signature``; a failed input sync or environment enter is a
    group of its own, named after the action that failed."""
    key, title = signature.key, signature.title
    if entry.failed_in:
        label = SETUP_ACTIONS.get(entry.failed_in, entry.failed_in)
        key, title = f"{entry.failed_in}: {key}", f"Failed in its {label}: {title}"
    return replace(entry, signature=key, title=title, source=signature.source, raw=signature.raw)
