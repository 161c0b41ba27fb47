"""Worker clusters: one worker holds far more of a cause's failures than of the scope's work
(its share of the jobs' sessions, or without a session sample, of every failure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .records import AttemptFailure, WorkerSample
from .report import FailureGroup, WorkerCluster

#: A worker cluster: at least this many of a signature's failures on one worker...
CLUSTER_MIN_FAILURES = 3
#: ... at least this share of them ...
CLUSTER_MIN_SHARE = 0.5
#: ... and this many times the worker's share of the scope's sessions (or, without a
#: session sample, twice its share of every failure in the scope).
CLUSTER_SESSION_RATIO = 3.0
CLUSTER_FAILURE_RATIO = 2.0


def clusters(
    groups: Iterable[FailureGroup],
    samples: Iterable[WorkerSample],
    attempts: Iterable[AttemptFailure],
) -> tuple[WorkerCluster, ...]:
    sessions: Counter[str] = Counter()
    for sample in samples:
        sessions.update(dict(sample.counts))
    failures = Counter(a.worker_id for a in attempts if a.worker_id)
    total_sessions = sum(sessions.values())
    total_failures = sum(failures.values())
    found = []
    for group in groups:
        total = sum(w.attempts for w in group.workers)
        if not group.workers or total < CLUSTER_MIN_FAILURES:
            continue
        top = group.workers[0]
        share = top.attempts / total
        if top.attempts < CLUSTER_MIN_FAILURES or share < CLUSTER_MIN_SHARE:
            continue
        if total_sessions:
            baseline: float | None = sessions.get(top.worker_id, 0) / total_sessions
            kind, ratio = "sessions", CLUSTER_SESSION_RATIO
        else:
            baseline = failures.get(top.worker_id, 0) / total_failures if total_failures else None
            kind, ratio = "failures", CLUSTER_FAILURE_RATIO
        if baseline is not None and share < ratio * baseline:
            continue
        found.append(
            WorkerCluster(
                worker_id=top.worker_id,
                label=top.label,
                signature=group.signature,
                title=group.title,
                failures=top.attempts,
                total=total,
                baseline=baseline,
                baseline_kind=kind,
            )
        )
    found.sort(key=lambda c: (-c.failures, c.label))
    return tuple(found)
