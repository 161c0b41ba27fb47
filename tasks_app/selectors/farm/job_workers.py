"""The workers that ran a job (``…/jobs/<job>/workers/``): each worker's sessions of the job,
the job's failed tasks whose failing attempt ran on it, and a **bad worker** flag.

The numbers are the failures view's own: failed tasks per worker come from its analysis of
the job (each failed task's failing attempt, read once and shared with that view), sessions
per worker from the job's ListSessions (every page). The flag is that view's worker cluster:
for one cause, at least ``CLUSTER_MIN_FAILURES`` of the job's failed tasks and at least
``CLUSTER_MIN_SHARE`` of that cause's failures on the worker, a share at least
``CLUSTER_SESSION_RATIO`` times its share of the job's sessions.

Whole-job session-action listings are not read: on a job of 10,000 tasks they are hundreds of
pages, where ListSessions is a hundred and the analysis is bounded by the failed tasks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ...deadline.calls import call
from ...deadline.errors import DeadlineError, NotFound
from ..failures import (
    CLUSTER_MIN_FAILURES,
    CLUSTER_MIN_SHARE,
    CLUSTER_SESSION_RATIO,
    FailureReport,
)
from .activity import job_all_sessions

BATCH = 100


@dataclass(frozen=True)
class JobWorker:
    worker_id: str
    fleet_id: str
    host_name: str | None
    attempts: int  # sessions of this job on the worker
    failures: int  # failed tasks whose failing attempt ran on it
    bad: bool
    causes: tuple[str, ...] = ()  # the causes it clusters on (titles)

    @property
    def label(self) -> str:
        return self.host_name.split(".")[0] if self.host_name else self.worker_id

    @property
    def share(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "host_name": self.host_name,
            "attempts": self.attempts,
            "failures": self.failures,
            "bad": self.bad,
        }


@dataclass(frozen=True)
class JobWorkers:
    workers: tuple[JobWorker, ...]
    attempts: int
    failures: int
    complete: bool  # the failure analysis covered every failed task
    running: bool  # the analysis is still running: the page refreshes
    error: str = ""  # why the failures could not be read (the sessions still stand)
    min_failures: int = CLUSTER_MIN_FAILURES
    min_share: float = CLUSTER_MIN_SHARE
    ratio: float = CLUSTER_SESSION_RATIO

    @property
    def min_share_percent(self) -> int:
        return round(self.min_share * 100)

    def as_json(self) -> dict[str, Any]:
        return {"workers": [w.as_json() for w in self.workers], "complete": self.complete}

    @property
    def bad_count(self) -> int:
        return sum(w.bad for w in self.workers)


def _host_names(farm_id: str, fleets: dict[str, str]) -> dict[str, str]:
    """worker ID -> host name, BatchGetWorker 100 at a time (a worker it cannot read is
    shown by its ID)."""
    names: dict[str, str] = {}
    ids = sorted(fleets)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        try:
            answer = call(
                "BatchGetWorker",
                identifiers=[
                    {"farmId": farm_id, "fleetId": fleets[w], "workerId": w} for w in chunk
                ],
            )
        except DeadlineError:
            continue
        for worker in answer.get("workers") or ():
            host = (worker.get("hostProperties") or {}).get("hostName")
            if host:
                names[worker["workerId"]] = host
    return names


def job_workers(
    *, farm_id: str, queue_id: str, job_id: str, report: FailureReport | None, error: str = ""
) -> JobWorkers:
    """Every worker that ran a session of the job, bad ones first, then by failures.
    ``report``: the failures view's report of the job (the view asks the service for it),
    None with the ``error`` that kept it (the sessions still stand)."""
    try:
        listed = job_all_sessions(farm_id=farm_id, queue_id=queue_id, job_id=job_id).sessions
    except NotFound:
        raise
    except DeadlineError as exc:  # the failures still stand; the sessions wait for a reload
        listed, error = (), error or exc.message
    sessions = Counter(s.worker_id for s in listed if s.worker_id)
    fleets = {s.worker_id: s.fleet_id or "" for s in listed if s.worker_id}
    failures: Counter[str] = Counter()
    hosts: dict[str, str] = {}
    for group in report.groups if report else ():
        for counted in group.workers:
            failures[counted.worker_id] += counted.attempts
            if counted.host_name:
                hosts[counted.worker_id] = counted.host_name
    missing = {w: f for w, f in fleets.items() if f and w not in hosts}
    hosts.update(_host_names(farm_id, missing))
    clustered: dict[str, list[str]] = {}
    for cluster in report.clusters if report else ():
        clustered.setdefault(cluster.worker_id, []).append(cluster.title)
    workers = [
        JobWorker(
            worker_id=w,
            fleet_id=fleets.get(w, ""),
            host_name=hosts.get(w),
            attempts=sessions.get(w, 0),
            failures=failures.get(w, 0),
            bad=w in clustered,
            causes=tuple(clustered.get(w, ())),
        )
        for w in sorted(set(sessions) | set(failures))
    ]
    workers.sort(key=lambda w: (not w.bad, -w.failures, -w.share, w.label))
    return JobWorkers(
        workers=tuple(workers),
        attempts=sum(sessions.values()),
        failures=sum(failures.values()),
        complete=bool(report and report.complete),
        running=bool(report and report.running),
        error=error or (report.error if report and report.error else ""),
    )
