"""When the first waiting task should start, where only capacity and order hold it back.

The fleets' throughput is what the jobs on them have been finishing: for each job with a
start, its succeeded tasks over the time since it started, summed. A worker frees for this
job once the queued tasks ahead of it have been taken and one more task finishes: at best
``(ahead + 1) / throughput`` from now, a quarter faster; at worst ``(ahead + workers) /
throughput`` (a whole round of the fleet's workers), a quarter slower.
"""

from __future__ import annotations

from datetime import timedelta

from ...deadline.types import Job, TaskRunStatus
from .facts import WorkFacts, queued
from .model import CAPACITY_KINDS, Blocker, StartEstimate

SPREAD = 1.25


def throughput(facts: WorkFacts) -> float | None:
    """Tasks per second finishing on the queue's usable fleets (None: nothing finished)."""
    total = 0.0
    for _, job in facts.competing:
        done = job.status_counts.get(TaskRunStatus.SUCCEEDED, 0)
        if not done or job.started_at is None or job.ended_at is not None:
            continue
        elapsed = (facts.now - job.started_at).total_seconds()
        if elapsed > 0:
            total += done / elapsed
    return total or None


def estimate_start(
    facts: WorkFacts, blockers: tuple[Blocker, ...], ahead: list[tuple[str, Job]]
) -> StartEstimate:
    kinds = {b.kind for b in blockers}
    if not blockers:
        return StartEstimate(None, None, "Nothing holds it back: it should start any moment.")
    if not kinds <= CAPACITY_KINDS:
        return StartEstimate(
            None, None, "It waits on something a person must change, not only on capacity."
        )
    rate = throughput(facts)
    if rate is None:
        return StartEstimate(
            None, None, "No task has finished on these fleets yet: no throughput to go by."
        )
    work_ahead = sum(queued(j) for _, j in ahead)
    workers = sum(f.fleet.worker_count for f in facts.usable if f.fleet) or 1
    soonest = (work_ahead + 1) / (rate * SPREAD)
    latest = (work_ahead + workers) * SPREAD / rate
    return StartEstimate(
        facts.now + timedelta(seconds=soonest), facts.now + timedelta(seconds=latest)
    )
