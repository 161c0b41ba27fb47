"""The farm-wide attention report: read every visible farm and queue in rounds (each round's
reads concurrent, bounded by the number of queues, never by the number of tasks; docs/
attention.md lists them), judge what was read, rank it, and keep it in the shared cache
for every viewer, rebuilt once per DASHBOARD_ATTENTION_SECONDS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...deadline import search
from ...deadline.cache import cached_only, cached_read
from ...deadline.errors import DeadlineError, NotFound
from ...deadline.fanout import gather
from ...deadline.farm_types import DEAD_WORKER_STATUSES
from .. import browse
from ..resources import now
from ..usage import budgets as usage_budgets
from .items import DEFAULT_TASK_SECONDS, AttentionItem, AttentionReport, rank, url
from .judgement import Judgement, evidence_of
from .queue_items import queue_items
from .reads import (
    CENSUS_JOBS,
    job_tasks,
    list_fleets,
    list_workers,
    message,
    queue_live_tasks,
    queue_recent_successes,
    unfinished_or_recent_jobs,
    worker_sessions,
)
from .rules import refresh_seconds, span
from .state import FarmState, QueueState, busiest
from .workers import WorkerHealth

REPORT_KIND = "attention"
REPORT_IDS = ("every-visible-farm",)


def get_report() -> AttentionReport:
    """The farm-wide attention list: rebuilt once per DASHBOARD_ATTENTION_SECONDS for every
    viewer (shared cache), the last good one standing in while the API is sick."""
    return cached_read(
        kind=REPORT_KIND,
        ids=REPORT_IDS,
        ttl=refresh_seconds(),
        fetch=build_report,
        parse=AttentionReport,
    )


def last_report() -> AttentionReport | None:
    """The report as last built, fresh or stale, or None: never waits, never calls the API."""
    return cached_only(kind=REPORT_KIND, ids=REPORT_IDS, parse=AttentionReport)


@dataclass
class Refresh:
    """One rebuild's state: the farms and queues read so far and what could not be read."""

    current: datetime
    farms: dict[str, FarmState] = field(default_factory=dict)
    queues: list[QueueState] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def could_not(self, what: str, errors: dict[Any, Exception]) -> None:
        for subject, exc in errors.items():
            self.notes.append(f"Could not {what} {subject}: {message(exc)}")


def build_report() -> dict[str, Any]:
    """Read and judge every visible farm and queue; the cache form of an AttentionReport.
    Only the farm list failing fails it: any other read that fails leaves its part out with
    a note."""
    refresh = Refresh(current=now())
    fleets = _farms_and_queues(refresh)
    _jobs_and_workers(refresh, fleets)
    _tasks_and_dead_sessions(refresh)
    for q in refresh.queues:
        refresh.notes += q.truncation_notes()
    items = _judge(refresh)
    items.extend(_budget_items(refresh))
    return AttentionReport(
        items=tuple(rank(items)),
        checked_at=refresh.current,
        queues=len(refresh.queues),
        notes=tuple(dict.fromkeys(refresh.notes)),
    ).to_cache()


def _farms_and_queues(refresh: Refresh) -> dict[str, Any]:
    """Round zero: the farms, their queues and fleets. Answers the fleets by farm ID."""
    farms = browse.list_farms().farms
    queue_lists, errors = gather(
        {f.farm_id: lambda f=f: browse.list_queues(farm_id=f.farm_id) for f in farms}
    )
    refresh.could_not("list the queues of farm", errors)
    fleets, errors = gather({f: lambda f=f: list_fleets(farm_id=f) for f in queue_lists})
    refresh.could_not("list the fleets of farm", errors)
    refresh.farms = {
        f.farm_id: FarmState(f.farm_id, f.display_name) for f in farms if f.farm_id in queue_lists
    }
    refresh.queues = [
        QueueState(farm_id=farm_id, farm_name=refresh.farms[farm_id].name, queue=q)
        for farm_id, listed in queue_lists.items()
        for q in listed.queues
    ]
    return fleets


def _jobs_and_workers(refresh: Refresh, fleets: dict[str, Any]) -> None:
    """Round one: every queue's unfinished and recent jobs, every fleet's workers."""
    by_queue = {q.queue_id: q for q in refresh.queues}
    jobs, errors = gather(
        {
            q.queue_id: lambda q=q: unfinished_or_recent_jobs(
                farm_id=q.farm_id, queue_id=q.queue_id
            )
            for q in refresh.queues
        }
    )
    for queue_id, found in jobs.items():
        by_queue[queue_id].jobs = found
    refresh.could_not("search the jobs of", {by_queue[k].where: e for k, e in errors.items()})
    workers, errors = gather(
        {
            fleet.fleet_id: lambda f=farm_id, fl=fleet.fleet_id: list_workers(
                farm_id=f, fleet_id=fl
            )
            for farm_id, fleet_list in fleets.items()
            for fleet in fleet_list.fleets
        }
    )
    for listed in workers.values():
        for worker in listed.workers:
            refresh.farms[worker.farm_id].workers[worker.worker_id] = worker
    refresh.could_not("list the workers of fleet", errors)


def _tasks_and_dead_sessions(refresh: Refresh) -> None:
    """Round two: tasks in workers' hands and duration samples (a filtered search per queue),
    and the open sessions of workers that stopped."""
    by_queue = {q.queue_id: q for q in refresh.queues}
    live, live_errors = gather(
        {q.queue_id: lambda q=q: queue_live_tasks(farm_id=q.farm_id, queue_id=q.queue_id)
         for q in refresh.queues}
    )  # fmt: skip
    samples, sample_errors = gather(
        {q.queue_id: lambda q=q: queue_recent_successes(farm_id=q.farm_id, queue_id=q.queue_id)
         for q in refresh.queues}
    )  # fmt: skip
    for queue_id, rows in live.items():
        by_queue[queue_id].live = rows
    for queue_id, rows in samples.items():
        by_queue[queue_id].samples = rows
    unusable: dict[str, search.NamesUnusable] = {}
    for queue_id, exc in {**sample_errors, **live_errors}.items():
        if isinstance(exc, search.NamesUnusable):
            unusable[queue_id] = exc
        else:
            refresh.could_not("list the tasks of", {by_queue[queue_id].where: exc})
    _dead_sessions(refresh)
    if unusable:
        # The account refuses or ignores the assumed names: list the busiest jobs instead.
        _census_instead(refresh, [by_queue[queue_id] for queue_id in unusable])
        for exc in {exc.message: exc for exc in unusable.values()}.values():
            refresh.notes.append(
                f"{exc.message} on this account: stalled and slow tasks were looked for in "
                f"each queue's {CENSUS_JOBS} busiest jobs only."
            )


def _dead_sessions(refresh: Refresh) -> None:
    """The open sessions of every worker that stopped responding: the work it still holds."""
    dead = [
        (farm, worker)
        for farm in refresh.farms.values()
        for worker in farm.workers.values()
        if worker.status in DEAD_WORKER_STATUSES
    ]
    found, errors = gather(
        {
            (farm.farm_id, w.worker_id): lambda w=w: worker_sessions(
                farm_id=w.farm_id, fleet_id=w.fleet_id, worker_id=w.worker_id
            )
            for farm, w in dead
        }
    )
    for (farm_id, worker_id), listed in found.items():
        for session in listed.sessions:
            if session.is_open:
                refresh.farms[farm_id].saw(worker_id, session.session_id, session.started_at)
    refresh.could_not("list the sessions of worker", {k[1]: e for k, e in errors.items()})


def _census_instead(refresh: Refresh, queues: list[QueueState]) -> None:
    """Queues whose filtered search is refused or ignored: list their busiest jobs whole."""
    reads = {
        (q.queue_id, job.job_id): lambda q=q, j=job.job_id: job_tasks(
            farm_id=q.farm_id, queue_id=q.queue_id, job_id=j
        )
        for q in queues
        for job in busiest(q.jobs)
    }
    got, errors = gather(reads)
    by_queue = {q.queue_id: q for q in queues}
    for q in queues:
        q.live = q.samples = None
    for (queue_id, job_id), rows in got.items():
        by_queue[queue_id].census[job_id] = rows
    refresh.could_not(
        "list the tasks of", {by_queue[queue_id].where: e for (queue_id, _), e in errors.items()}
    )


def _judge(refresh: Refresh) -> list[AttentionItem]:
    """Rounds three and four, one by one, only what may be in trouble: long-running tasks
    (their session, then their log), slow candidates (their step's own durations), the jobs
    that failed most (their attempts, for worker health); step names of what will be shown.
    Then the items: tasks, queues and jobs, workers."""
    judged = Judgement(refresh.current, refresh.farms, refresh.queues)
    judged.pick_candidates()
    got, errors = gather(judged.reads())
    sessions = {subject: value for (kind, subject), value in got.items() if kind == "sessions"}
    logs, log_errors = gather(judged.log_reads(sessions))
    for (kind, subject), exc in {**errors, **log_errors}.items():
        if not isinstance(exc, NotFound):
            what = _READ_NAMES.get(kind, kind)
            refresh.notes.append(f"Could not check {what} {_last(subject)}: {message(exc)}")
    evidence = evidence_of({**got, **logs})
    health = WorkerHealth(refresh.current, refresh.farms)
    items: list[AttentionItem] = []
    for item in judged.task_items(evidence):
        items.append(item)
        if item.kind == "stalled_task":
            health.add_stall(item)
    for q in refresh.queues:
        items += queue_items(q, refresh.current)
    health.add_attempts(judged.health_jobs, evidence)
    items += health.items()
    refresh.notes.extend(judged.notes)
    return items


_READ_NAMES = {
    "sessions": "session",
    "logs": "log",
    "steps": "step",
    "step_tasks": "step tasks",
    "attempts": "attempt",
    "job_sessions": "job sessions",
    "job_attempts": "job attempts",
}


def _last(subject: Any) -> str:
    return str(subject[-1] if isinstance(subject, tuple) else subject)


def _budget_items(refresh: Refresh) -> list[AttentionItem]:
    """Budgets past a threshold or projected to reach one within a day (selectors/usage/
    budgets.py). Read farm by farm in this thread: the budgets' own reads use the pool."""
    items = []
    current = refresh.current
    for farm_id, farm in refresh.farms.items():
        try:
            views = usage_budgets.farm_budgets(farm_id=farm_id)
        except DeadlineError as exc:
            refresh.could_not("read the budgets of farm", {farm_id: exc})
            continue
        for view in views:
            threshold = usage_budgets.needs_attention(view, current)
            if threshold is None:
                continue
            if threshold.reached:
                state = f"{threshold.percentage:g}% reached"
            else:
                assert threshold.projected_at is not None
                left = span((threshold.projected_at - current).total_seconds())
                state = f"{threshold.percentage:g}% projected in {left}"
            used = f"${view.budget.used:,.0f} of ${view.budget.limit:,.0f} used"
            # A stop action holds a whole queue: it outranks a few slow tasks.
            weight = (50 if threshold.stops else 5) * (2 if threshold.reached else 1)
            items.append(
                AttentionItem(
                    kind="budget",
                    reason=f"{view.budget.name}: {state} ({threshold.label.lower()}); {used}",
                    impact=weight * DEFAULT_TASK_SECONDS,
                    url=url("farm_budgets", farm_id=farm_id),
                    farm_id=farm_id,
                    queue_id=view.budget.queue_id,
                    title=view.budget.name,
                    where=farm.name,
                    state=f"{threshold.percentage:g}:{threshold.reached}",
                )
            )
    return items
