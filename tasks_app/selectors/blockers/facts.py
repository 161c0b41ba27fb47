"""Everything the blocker rules look at, read in three rounds of concurrent cached reads:
the job and queue, then its fleets, budgets and waiting steps, then the other queues that
share its fleets (their jobs compete for the same workers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...deadline.errors import DeadlineError
from ...deadline.scheduling_types import (
    Budget,
    FleetDetail,
    Limit,
    QueueSettings,
    StepLinks,
    StepRequirements,
)
from ...deadline.types import Job, Step, TaskRunStatus
from .. import browse, job_table
from ..resources import now, read_concurrently
from . import reads

ACTIVE = (
    TaskRunStatus.ASSIGNED,
    TaskRunStatus.STARTING,
    TaskRunStatus.SCHEDULED,
    TaskRunStatus.RUNNING,
    TaskRunStatus.INTERRUPTING,
)
WAITING = (
    TaskRunStatus.READY,
    TaskRunStatus.PENDING,
    TaskRunStatus.NOT_COMPATIBLE,
    TaskRunStatus.SUSPENDED,
)
QUEUED = (TaskRunStatus.READY, TaskRunStatus.PENDING)


def active(item: Job | Step) -> int:
    counts = item.status_counts
    return sum(counts.get(s, 0) for s in ACTIVE)


def waiting(item: Job | Step) -> int:
    counts = item.status_counts
    return sum(counts.get(s, 0) for s in WAITING)


def queued(item: Job | Step) -> int:
    counts = item.status_counts
    return sum(counts.get(s, 0) for s in QUEUED)


@dataclass(frozen=True)
class FleetFacts:
    """One fleet associated with the queue, and what runs on it."""

    fleet_id: str
    association: str
    fleet: FleetDetail | None  # None: GetFleet failed
    queue_ids: tuple[str, ...]  # every queue that schedules onto it

    @property
    def name(self) -> str:
        return self.fleet.display_name if self.fleet else self.fleet_id

    @property
    def schedules(self) -> bool:
        return self.association == "ACTIVE" and (
            self.fleet is None or self.fleet.status == "ACTIVE"
        )


@dataclass(frozen=True)
class WorkFacts:
    """A job (and optionally one of its steps) with everything around it."""

    farm_id: str
    queue_id: str
    job: Job
    steps: tuple[Step, ...]  # the steps in scope (one for a step's blockers)
    all_steps: tuple[Step, ...]
    settings: QueueSettings
    fleets: tuple[FleetFacts, ...]
    limits: tuple[tuple[Limit, str], ...]  # limits associated with the queue, with status
    budgets: tuple[Budget, ...]
    requirements: dict[str, StepRequirements]
    dependencies: dict[str, StepLinks]
    competing: tuple[tuple[str, Job], ...]  # (queue ID, job) on the queue's usable fleets
    now: datetime
    notes: tuple[str, ...] = ()

    @property
    def usable(self) -> tuple[FleetFacts, ...]:
        return tuple(f for f in self.fleets if f.schedules)

    def step_name(self, step_id: str) -> str:
        return next((s.name for s in self.all_steps if s.step_id == step_id), step_id)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.all_steps if s.step_id == step_id), None)


def _gather(reads_by_key: dict[str, Callable[[], Any]], notes: list[str], required=()) -> dict:
    failures: dict[str, DeadlineError] = {}
    optional = frozenset(reads_by_key) - frozenset(required)
    results = read_concurrently(reads_by_key, optional=optional, failures=failures)
    for key, exc in failures.items():
        notes.append(f"Could not read {key.split(':')[0]}: {exc.message}")
    return results


def work_facts(*, farm_id: str, queue_id: str, job_id: str, step_id: str = "") -> WorkFacts:
    """Read what decides whether the job's (or the step's) waiting tasks run."""
    ids = {"farm_id": farm_id, "queue_id": queue_id}
    notes: list[str] = []
    first = _gather(
        {
            "job": lambda: browse.get_job_status(**ids, job_id=job_id),
            "steps": lambda: browse.list_steps(**ids, job_id=job_id),
            "queue": lambda: reads.queue_settings(**ids),
            "fleet associations": lambda: reads.fleet_associations(**ids),
            "limit associations": lambda: reads.limit_associations(**ids),
            "limits": lambda: reads.limits(farm_id=farm_id),
            "budgets": lambda: reads.budgets(farm_id=farm_id),
            "jobs": lambda: job_table.list_every_job(farm_id, queue_id),
        },
        notes,
        required=("job", "steps", "queue"),
    )
    all_steps = first["steps"].steps
    scope = tuple(s for s in all_steps if not step_id or s.step_id == step_id)
    waiting_steps = [s for s in scope if waiting(s)]
    fleet_ids = (
        [a.other_id for a in first["fleet associations"].items]
        if first["fleet associations"]
        else []
    )
    budget_ids = [
        b for b, q in (first["budgets"].budgets if first["budgets"] else ()) if q == queue_id
    ]
    second_reads: dict[str, Callable[[], Any]] = {}
    for fid in fleet_ids:
        second_reads[f"fleet:{fid}"] = lambda fid=fid: reads.fleet(farm_id=farm_id, fleet_id=fid)
        second_reads[f"fleet queues:{fid}"] = lambda fid=fid: reads.fleet_associations(
            farm_id=farm_id, fleet_id=fid
        )
    for bid in budget_ids:
        second_reads[f"budget:{bid}"] = lambda bid=bid: reads.budget(farm_id=farm_id, budget_id=bid)
    for s in waiting_steps:
        step_ids = {**ids, "job_id": job_id, "step_id": s.step_id}
        second_reads[f"step:{s.step_id}"] = lambda k=step_ids: reads.step_requirements(**k)
        second_reads[f"dependencies:{s.step_id}"] = lambda k=step_ids: reads.step_links(**k)
    second = _gather(second_reads, notes) if second_reads else {}
    fleets = _fleets(first["fleet associations"], second)
    competing_queues = sorted({q for f in fleets if f.schedules for q in f.queue_ids} - {queue_id})
    third = _gather(
        {f"jobs:{q}": lambda q=q: job_table.list_every_job(farm_id, q) for q in competing_queues},
        notes,
    )
    competing = [(queue_id, j) for j in (first["jobs"].jobs if first["jobs"] else ())]
    for q in competing_queues:
        listing = third.get(f"jobs:{q}")
        competing.extend((q, j) for j in (listing.jobs if listing else ()))
    return WorkFacts(
        farm_id=farm_id,
        queue_id=queue_id,
        job=first["job"],
        steps=scope,
        all_steps=all_steps,
        settings=first["queue"],
        fleets=fleets,
        limits=_limits(first["limits"], first["limit associations"]),
        budgets=tuple(second[f"budget:{b}"] for b in budget_ids if second.get(f"budget:{b}")),
        requirements={
            s.step_id: second[f"step:{s.step_id}"]
            for s in waiting_steps
            if second.get(f"step:{s.step_id}")
        },
        dependencies={
            s.step_id: second[f"dependencies:{s.step_id}"]
            for s in waiting_steps
            if second.get(f"dependencies:{s.step_id}")
        },
        competing=tuple(competing),
        now=now(),
        notes=tuple(notes),
    )


def _fleets(associations: Any, second: dict[str, Any]) -> tuple[FleetFacts, ...]:
    if associations is None:
        return ()
    found = []
    for a in associations.items:
        sharing = second.get(f"fleet queues:{a.other_id}")
        queues = tuple(
            x.queue_id for x in (sharing.items if sharing else ()) if x.status == "ACTIVE"
        ) or (a.queue_id,)
        found.append(FleetFacts(a.other_id, a.status, second.get(f"fleet:{a.other_id}"), queues))
    return tuple(found)


def _limits(limits: Any, associations: Any) -> tuple[tuple[Limit, str], ...]:
    if limits is None or associations is None:
        return ()
    status = {a.other_id: a.status for a in associations.items}
    return tuple((x, status[x.limit_id]) for x in limits.limits if x.limit_id in status)
