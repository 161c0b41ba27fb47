"""What a fleet's workers do now and how their recent attempts went.

- **Now**: the tasks in workers' hands in every queue the fleet serves (the attention page's
  shared SearchTasks read of each queue), each task's session read with BatchGetSession
  (100 a call) to learn its worker: bounded by the queues' running tasks, not by workers.
- **Recently**: the attempts of each served queue's most recently active jobs (at most
  ``JOBS_PER_QUEUE``; unfinished or ended within DASHBOARD_RECENT_SECONDS), as the attention
  page samples a job for worker health (its first pages of sessions and session actions, the
  same cache entries). A sample of the recent past, the same for every worker of the fleet,
  so a worker's rate compares with the fleet's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ...deadline.cache import cached_read
from ...deadline.calls import call, list_every
from ...deadline.errors import DeadlineError
from ...deadline.farm_types import ActionOutcomes, SessionList
from ...deadline.session_types import ActionStatus
from ...deadline.types import Cacheable
from .. import attention
from ..attention.rules import recent
from ..resources import now, read_concurrently
from . import reads

JOBS_PER_QUEUE = 3
BATCH = 100


@dataclass(frozen=True)
class CurrentTask:
    queue_id: str
    job_id: str
    step_id: str
    task_id: str

    def as_json(self) -> dict[str, str]:
        return {"job_id": self.job_id, "step_id": self.step_id, "task_id": self.task_id}


@dataclass(frozen=True)
class Tally:
    attempts: int = 0
    failures: int = 0

    @property
    def rate(self) -> float | None:
        return self.failures / self.attempts if self.attempts else None


@dataclass(frozen=True)
class FleetActivity(Cacheable):
    """worker ID -> its task now; worker ID -> (attempts, failures) in the sample."""

    current: Mapping[str, CurrentTask]
    tallies: Mapping[str, Tally]
    jobs_sampled: int = 0

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> FleetActivity:
        return cls(
            current={w: CurrentTask(**t) for w, t in (answer.get("current") or {}).items()},
            tallies={w: Tally(*pair) for w, pair in (answer.get("tallies") or {}).items()},
            jobs_sampled=int(answer.get("jobsSampled") or 0),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "current": {w: _task(t) for w, t in self.current.items()},
            "tallies": {w: [t.attempts, t.failures] for w, t in self.tallies.items()},
            "jobsSampled": self.jobs_sampled,
        }

    @property
    def fleet_tally(self) -> Tally:
        return Tally(
            sum(t.attempts for t in self.tallies.values()),
            sum(t.failures for t in self.tallies.values()),
        )


def _task(t: CurrentTask) -> dict[str, str]:
    return {"queue_id": t.queue_id, "job_id": t.job_id, "step_id": t.step_id, "task_id": t.task_id}


def job_all_sessions(*, farm_id: str, queue_id: str, job_id: str) -> SessionList:
    """Every session of a job (ListSessions, every page): who ran each attempt."""
    return cached_read(
        kind="job-all-sessions",
        ids=(farm_id, queue_id, job_id),
        ttl=reads.WORKER_SECONDS,
        fetch=lambda: {
            "sessions": list_every(
                "ListSessions", "sessions", farmId=farm_id, queueId=queue_id, jobId=job_id
            )
        },
        parse=SessionList,
    )


def job_tallies(
    *, farm_id: str, queue_id: str, job_id: str, fleet_id: str | None = None
) -> dict[str, Tally]:
    """Each worker's finished task-run attempts on one job (of one fleet's workers, when
    named) and how many failed, in the attention page's sample of the job (its first pages
    of sessions and of session actions, shared with that page's cache)."""
    got = read_concurrently(
        {
            "sessions": lambda: attention.job_sessions(
                farm_id=farm_id, queue_id=queue_id, job_id=job_id
            ),
            "outcomes": lambda: attention.job_outcomes(
                farm_id=farm_id, queue_id=queue_id, job_id=job_id
            ),
        }
    )
    return tally(got["sessions"], got["outcomes"], fleet_id=fleet_id)


def tally(
    sessions: SessionList, outcomes: ActionOutcomes, *, fleet_id: str | None = None
) -> dict[str, Tally]:
    worker_of = {
        s.session_id: s.worker_id
        for s in sessions.sessions
        if s.worker_id and (fleet_id is None or s.fleet_id == fleet_id)
    }
    counts: dict[str, list[int]] = {}
    for action in outcomes.actions:
        worker = worker_of.get(action.session_id)
        if worker is None or action.status not in (ActionStatus.SUCCEEDED, ActionStatus.FAILED):
            continue
        pair = counts.setdefault(worker, [0, 0])
        pair[0] += 1
        pair[1] += action.status is ActionStatus.FAILED
    return {w: Tally(a, f) for w, (a, f) in counts.items()}


def _recent_jobs(farm_id: str, queue_id: str) -> list[Any]:
    since = now() - recent()
    listed = attention.unfinished_or_recent_jobs(farm_id=farm_id, queue_id=queue_id)
    ran = [j for j in listed.jobs if j.started_at and (j.ended_at is None or j.ended_at >= since)]
    ran.sort(key=lambda j: (j.started_at, j.job_id), reverse=True)
    return ran[:JOBS_PER_QUEUE]


def _current(farm_id: str, queue_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    rows = []
    for queue_id in queue_ids:
        live = attention.queue_live_tasks(farm_id=farm_id, queue_id=queue_id)
        rows += [(queue_id, r) for r in live.rows if r.session_id and r.job_id and r.step_id]
    current: dict[str, dict[str, str]] = {}
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        answer = call(
            "BatchGetSession",
            identifiers=[
                {"farmId": farm_id, "queueId": q, "jobId": r.job_id, "sessionId": r.session_id}
                for q, r in chunk
            ],
        )
        task_of = {r.session_id: (q, r) for q, r in chunk}
        for session in answer.get("sessions") or ():
            found = task_of.get(session.get("sessionId"))
            if found and session.get("workerId"):
                q, r = found
                current[session["workerId"]] = {
                    "queue_id": q,
                    "job_id": str(r.job_id),
                    "step_id": str(r.step_id),
                    "task_id": r.task_id,
                }
    return current


def fleet_activity(*, farm_id: str, fleet_id: str, queue_ids: tuple[str, ...]) -> FleetActivity:
    """What the fleet's workers run now and their recent record (cached a minute)."""

    def fetch() -> dict[str, Any]:
        jobs = [(q, j) for q in queue_ids for j in _recent_jobs(farm_id, q)]
        got = read_concurrently(
            {
                j.job_id: lambda q=q, j=j: job_tallies(
                    farm_id=farm_id, queue_id=q, job_id=j.job_id, fleet_id=fleet_id
                )
                for q, j in jobs
            },
            optional=frozenset(j.job_id for _, j in jobs),
        )
        tallies: dict[str, list[int]] = {}
        for found in got.values():
            for worker, t in (found or {}).items():
                pair = tallies.setdefault(worker, [0, 0])
                pair[0] += t.attempts
                pair[1] += t.failures
        try:
            current = _current(farm_id, queue_ids)
        except DeadlineError:
            current = {}
        return {"current": current, "tallies": tallies, "jobsSampled": len(jobs)}

    return cached_read(
        kind="fleet-activity",
        ids=(farm_id, fleet_id, *queue_ids),
        ttl=reads.WORKER_SECONDS,
        fetch=fetch,
        parse=FleetActivity,
    )
