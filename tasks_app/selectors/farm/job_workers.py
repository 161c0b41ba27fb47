"""The workers that ran a job (``…/jobs/<job>/workers/``): each worker's attempts and failures
on this job, and a **bad worker** flag.

The flag is the failures view's worker-cluster test (``failures.CLUSTER_MIN_FAILURES``,
``failures.CLUSTER_SESSION_RATIO``) applied to the whole job: a worker is bad when at least
that many of the job's failed attempts ran on it and its share of the job's failures is at
least that many times its share of the job's attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...deadline.calls import call
from ...deadline.errors import DeadlineError
from ..failures import CLUSTER_MIN_FAILURES, CLUSTER_SESSION_RATIO
from ..resources import read_concurrently
from .activity import Tally, job_all_outcomes, job_all_sessions, tally

BATCH = 100


@dataclass(frozen=True)
class JobWorker:
    worker_id: str
    fleet_id: str
    host_name: str | None
    attempts: int
    failures: int
    bad: bool

    @property
    def label(self) -> str:
        return self.host_name.split(".")[0] if self.host_name else self.worker_id

    @property
    def rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "fleet_id": self.fleet_id,
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
    min_failures: int = CLUSTER_MIN_FAILURES
    ratio: float = CLUSTER_SESSION_RATIO

    def as_json(self) -> dict[str, Any]:
        return {"workers": [w.as_json() for w in self.workers]}

    @property
    def bad_count(self) -> int:
        return sum(w.bad for w in self.workers)


def is_bad(worker: Tally, *, attempts: int, failures: int) -> bool:
    """The failures view's cluster test over one job (see the module docstring)."""
    if worker.failures < CLUSTER_MIN_FAILURES or not failures or not attempts:
        return False
    return worker.failures / failures >= CLUSTER_SESSION_RATIO * (worker.attempts / attempts)


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


def job_workers(*, farm_id: str, queue_id: str, job_id: str) -> JobWorkers:
    """Every worker that finished an attempt of the job, worst first."""
    got = read_concurrently(
        {
            "sessions": lambda: job_all_sessions(farm_id=farm_id, queue_id=queue_id, job_id=job_id),
            "outcomes": lambda: job_all_outcomes(farm_id=farm_id, queue_id=queue_id, job_id=job_id),
        }
    )
    tallies = tally(got["sessions"], got["outcomes"])
    fleets = {s.worker_id: s.fleet_id or "" for s in got["sessions"].sessions if s.worker_id}
    hosts = _host_names(farm_id, {w: fleets[w] for w in tallies if fleets.get(w)})
    attempts = sum(t.attempts for t in tallies.values())
    failures = sum(t.failures for t in tallies.values())
    workers = [
        JobWorker(
            worker_id=w,
            fleet_id=fleets.get(w, ""),
            host_name=hosts.get(w),
            attempts=t.attempts,
            failures=t.failures,
            bad=is_bad(t, attempts=attempts, failures=failures),
        )
        for w, t in tallies.items()
    ]
    workers.sort(key=lambda w: (not w.bad, -w.failures, -w.rate, w.label))
    return JobWorkers(workers=tuple(workers), attempts=attempts, failures=failures)
