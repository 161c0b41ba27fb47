"""Peak memory of a step's listed tasks (its slowest and fastest), from their workers' logs.

The API reports no memory per task. What it does give: the task's latest run (its
``startedAt``/``endedAt`` and ``latestSessionActionId``), the session that ran it (its worker,
from BatchGetSession) and that worker's log, where the worker agent writes the host's
``memory-used-percent`` every 60 seconds (as the worker page charts it). So the figure here is the
worker's whole host (the task, its environment and the agent) at its highest sample inside
the task's run: a task shorter than a sample interval, or whose worker log is no longer kept,
has none. Read for the listed tasks only (a handful), never for the whole step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass
from typing import Any

from ...deadline.cache import cached_read
from ...deadline.calls import call
from ...deadline.errors import DeadlineError
from ...deadline.session_types import session_id_of
from ...deadline.types import Cacheable, TaskSummary
from ...deadline.worker_logs import read_window, worker_log_group
from ..resources import read_concurrently
from ..task_listing import StepIds


@dataclass(frozen=True)
class TaskMemory:
    task_id: str
    peak_percent: float | None  # the host's highest memory-used-percent inside the run
    samples: int  # metric samples inside the run
    worker_id: str | None


#: How long the figures are kept (finished runs' logs do not change).
PEAK_SECONDS = 600.0


@dataclass(frozen=True)
class Peaks(Cacheable):
    by_task: Mapping[str, TaskMemory]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Peaks:
        return cls({row[0]: TaskMemory(*row) for row in answer.get("rows") or ()})

    def to_cache(self) -> dict[str, Any]:
        return {
            "rows": [
                [m.task_id, m.peak_percent, m.samples, m.worker_id] for m in self.by_task.values()
            ]
        }


def listed_peaks(ids: StepIds, tasks: Iterable[TaskSummary]) -> dict[str, TaskMemory]:
    """Each task's peak host memory while it ran (task ID -> figure), cached; a task whose
    session or worker log cannot be read has no peak (``samples`` 0)."""
    runs = sorted(
        (t for t in tasks if t.started_at and t.ended_at and t.latest_session_action_id),
        key=lambda t: t.task_id,
    )
    return dict(
        cached_read(
            kind="task-memory",
            ids=(ids.farm_id, ids.queue_id, ids.job_id, ids.step_id, *(t.task_id for t in runs)),
            ttl=PEAK_SECONDS,
            fetch=lambda: {"rows": [list(astuple(m)) for m in _read_peaks(ids, runs).values()]},
            parse=Peaks,
        ).by_task
    )


def _read_peaks(ids: StepIds, runs: list[TaskSummary]) -> dict[str, TaskMemory]:
    if not runs:
        return {}
    sessions = _sessions(ids, {session_id_of(str(t.latest_session_action_id)) for t in runs})
    reads = {
        t.task_id: (lambda t=t: _peak(ids, t, sessions.get(_session(t))))
        for t in runs
        if _session(t) in sessions
    }
    got = read_concurrently(reads, optional=frozenset(reads))
    return {t.task_id: got.get(t.task_id) or TaskMemory(t.task_id, None, 0, None) for t in runs}


def _session(task: TaskSummary) -> str:
    return session_id_of(str(task.latest_session_action_id))


def _sessions(ids: StepIds, wanted: set[str]) -> dict[str, Mapping[str, str]]:
    """fleet and worker of each session (one BatchGetSession: the listed tasks are few)."""
    identifiers = [
        {"farmId": ids.farm_id, "queueId": ids.queue_id, "jobId": ids.job_id, "sessionId": s}
        for s in sorted(wanted)
    ]
    try:
        answer = call("BatchGetSession", identifiers=identifiers)
    except DeadlineError:
        return {}
    return {
        s["sessionId"]: {"fleetId": s.get("fleetId", ""), "workerId": s.get("workerId", "")}
        for s in answer.get("sessions") or ()
        if s.get("sessionId")
    }


def _peak(ids: StepIds, task: TaskSummary, session: Mapping[str, str] | None) -> TaskMemory:
    if not session or not session["fleetId"] or not session["workerId"]:
        return TaskMemory(task.task_id, None, 0, None)
    assert task.started_at is not None and task.ended_at is not None
    log = read_window(
        group=worker_log_group(farm_id=ids.farm_id, fleet_id=session["fleetId"]),
        stream=session["workerId"],
        start=task.started_at,
        end=task.ended_at,
    )
    values = [
        percent
        for event in log.get("events") or ()
        if task.started_at.timestamp() * 1000
        <= int(event.get("timestamp") or 0)
        <= task.ended_at.timestamp() * 1000
        and (percent := memory_percent(str(event.get("message") or ""))) is not None
    ]
    return TaskMemory(task.task_id, max(values, default=None), len(values), session["workerId"])


def memory_percent(message: str) -> float | None:
    """``memory-used-percent`` of a worker agent's ``Metrics`` event (values are strings)."""
    if '"Metrics"' not in message:
        return None
    try:
        event = json.loads(message)
        return float(event["memory-used-percent"]) if event.get("type") == "Metrics" else None
    except (ValueError, TypeError, KeyError, AttributeError):  # not JSON, NOT_AVAILABLE, absent
        return None
