"""The farm's limits page: each limit's counts, the queues associated with it, and the jobs
holding it now (running tasks of steps that require its amount, in those queues)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...deadline.errors import DeadlineError
from ...deadline.scheduling_types import Limit
from .. import browse, job_table
from ..resources import read_concurrently
from . import reads
from .facts import active

#: Jobs with running tasks looked at per queue when finding who holds a limit.
MAX_HOLDER_JOBS = 20


@dataclass(frozen=True)
class Holder:
    queue_id: str
    job_id: str
    job_name: str
    step_name: str
    tasks: int


@dataclass(frozen=True)
class LimitRow:
    limit: Limit
    queues: tuple[tuple[str, str, str], ...]  # (queue ID, name, association status)
    holders: tuple[Holder, ...]

    def as_json(self) -> dict[str, Any]:
        x = self.limit
        return {
            "limit_id": x.limit_id,
            "display_name": x.display_name,
            "amount_requirement_name": x.amount_requirement_name,
            "current_count": x.current_count,
            "max_count": x.max_count,
            "queues": [{"queue_id": q, "name": n, "status": st} for q, n, st in self.queues],
            "holders": [
                {"queue_id": h.queue_id, "job_id": h.job_id, "tasks": h.tasks} for h in self.holders
            ],
        }


@dataclass(frozen=True)
class LimitsPage:
    rows: tuple[LimitRow, ...]
    notes: tuple[str, ...] = ()
    # (queue ID, name, active jobs past MAX_HOLDER_JOBS): holders not looked for, said so.
    not_read: tuple[tuple[str, str, int], ...] = ()

    @property
    def holder_cap(self) -> int:
        return MAX_HOLDER_JOBS

    def as_json(self) -> dict[str, Any]:
        return {
            "limits": [row.as_json() for row in self.rows],
            "holders_not_read": [{"queue_id": q, "active_jobs": n} for q, _, n in self.not_read],
        }


def _holders(
    farm_id: str, queue_id: str, amounts: set[str]
) -> tuple[list[tuple[str, Holder]], int]:
    """(amount, holder) for the running steps of the queue that require one of ``amounts``,
    among its first MAX_HOLDER_JOBS active jobs; and how many active jobs that cap left out."""
    jobs = [j for j in job_table.list_every_job(farm_id, queue_id).jobs if active(j)]
    found: list[tuple[str, Holder]] = []
    for job in jobs[:MAX_HOLDER_JOBS]:
        steps = browse.list_steps(farm_id=farm_id, queue_id=queue_id, job_id=job.job_id).steps
        for step in (s for s in steps if active(s)):
            reqs = reads.step_requirements(
                farm_id=farm_id, queue_id=queue_id, job_id=job.job_id, step_id=step.step_id
            )
            for need in reqs.required:
                if need.name in amounts:
                    found.append(
                        (need.name, Holder(queue_id, job.job_id, job.name, step.name, active(step)))
                    )
    return found, max(0, len(jobs) - MAX_HOLDER_JOBS)


def limits_page(*, farm_id: str) -> LimitsPage:
    """Every limit of the farm with its queues and holders."""
    first = read_concurrently(
        {
            "limits": lambda: reads.limits(farm_id=farm_id),
            "associations": lambda: reads.limit_associations(farm_id=farm_id),
            "queues": lambda: browse.list_queues(farm_id=farm_id),
        }
    )
    names = {q.queue_id: q.display_name for q in first["queues"].queues}
    by_limit: dict[str, list[tuple[str, str]]] = {}
    for a in first["associations"].items:
        by_limit.setdefault(a.other_id, []).append((a.queue_id, a.status))
    amounts = {x.amount_requirement_name: x.limit_id for x in first["limits"].limits}
    busy_queues = sorted(
        {
            q
            for x in first["limits"].limits
            if x.current_count
            for q, _ in by_limit.get(x.limit_id, ())
        }
    )
    failures: dict[str, DeadlineError] = {}
    held = read_concurrently(
        {q: lambda q=q: _holders(farm_id, q, set(amounts)) for q in busy_queues},
        optional=frozenset(busy_queues),
        failures=failures,
    )
    holders: dict[str, list[Holder]] = {}
    for found, _ in held.values():
        for amount, holder in found:
            holders.setdefault(amounts[amount], []).append(holder)
    not_read = tuple((q, names.get(q, q), n) for q, (_, n) in sorted(held.items()) if n)
    rows = tuple(
        LimitRow(
            limit=x,
            queues=tuple((q, names.get(q, q), st) for q, st in by_limit.get(x.limit_id, ())),
            holders=tuple(holders.get(x.limit_id, ())),
        )
        for x in sorted(first["limits"].limits, key=lambda x: x.display_name.lower())
    )
    return LimitsPage(rows=rows, not_read=not_read)
