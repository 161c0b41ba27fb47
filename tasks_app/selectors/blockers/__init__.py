"""Why isn't it running? Every reason a job's or a step's waiting tasks are not running,
most decisive first, with evidence, a link to where each is fixed, and an estimated start
where only capacity and order hold it back.

Modules: ``reads`` (cached API reads), ``facts`` (what the rules look at, read
concurrently), ``rules`` (one function per reason), ``order`` (the queue's scheduling
configuration), ``estimate`` (the start range), ``graph`` (the step dependency graph),
``limits`` (the farm's limits page), ``model`` (the view models).
"""

from __future__ import annotations

from . import rules
from .estimate import estimate_start, throughput
from .facts import WorkFacts, active, waiting, work_facts
from .model import KIND_LABELS, KINDS, Blocker, BlockerReport, ordered

__all__ = [
    "KINDS",
    "KIND_LABELS",
    "Blocker",
    "BlockerReport",
    "WorkFacts",
    "blockers_of",
    "job_blockers",
    "step_blockers",
]


def blockers_of(facts: WorkFacts) -> BlockerReport:
    """Every rule over ``facts``; each reason once, most decisive first."""
    waiting_now = sum(waiting(s) for s in facts.steps)
    running_now = sum(active(s) for s in facts.steps)
    if not waiting_now:
        return BlockerReport(running=running_now, waiting=0, notes=facts.notes)
    found = [
        *rules.suspended(facts),
        *rules.queue_blocked(facts),
        *rules.budget(facts),
        *rules.no_fleet(facts),
        *rules.fleet_not_scheduling(facts),
        *rules.no_compatible_fleet(facts),
        *rules.waiting_on_step(facts),
        *rules.limit_reached(facts),
        *rules.job_max_workers(facts),
    ]
    capacity = rules.fleet_at_capacity(facts)
    found.extend(capacity)
    rate = throughput(facts)
    ahead = rules.ahead_jobs(facts)
    if capacity:
        behind, ahead = rules.behind_other_jobs(facts, rate)
        found.extend(behind)
    blockers = ordered(found)
    return BlockerReport(
        running=running_now,
        waiting=waiting_now,
        blockers=blockers,
        estimate=estimate_start(facts, blockers, ahead),
        notes=facts.notes,
    )


def job_blockers(*, farm_id: str, queue_id: str, job_id: str) -> BlockerReport:
    """Why the job's waiting tasks are not running."""
    return blockers_of(work_facts(farm_id=farm_id, queue_id=queue_id, job_id=job_id))


def step_blockers(*, farm_id: str, queue_id: str, job_id: str, step_id: str) -> BlockerReport:
    """Why the step's waiting tasks are not running."""
    return blockers_of(
        work_facts(farm_id=farm_id, queue_id=queue_id, job_id=job_id, step_id=step_id)
    )
