"""The home page's status board: across the visible farms, how many jobs are failing, stalled,
waiting and running now, the jobs behind each count, the top of the attention list and the
jobs that finished recently.

Reads only what the attention list reads too (each queue's unfinished and recent jobs, shared
in the cache) and the attention list as last built (never waits for a rebuild).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..deadline.errors import DeadlineError
from ..deadline.types import Job, Queue
from . import attention, browse, job_attention
from .attention.stories import Incident, incidents
from .resources import now, read_concurrently

#: The counts the board leads with, in this order (keys of ``StatusBoard.jobs``).
SHOWN = ("failed", "stalled", "waiting", "running")
LABELS = {
    "failed": "Failing",
    "stalled": "Stalled",
    "waiting": "Waiting",
    "running": "Running",
}
TOP_ITEMS = 5
RECENT_JOBS = 8


@dataclass(frozen=True)
class BoardJob:
    """A job with where it lives (the board spans queues and farms)."""

    job: Job
    farm_id: str
    farm_name: str
    queue: Queue
    standing: str


@dataclass(frozen=True)
class StatusBoard:
    jobs: dict[str, list[BoardJob]]  # SHOWN key -> jobs, most urgent first
    finished: list[BoardJob]  # ended within DASHBOARD_RECENT_SECONDS, last ended first
    # The attention list's incidents (a stopped worker with the tasks it holds is one), as on
    # /attention/ before anyone acknowledges them (the header's count leaves those out).
    top_items: list[Incident]
    attention_count: int | None  # None: the attention list has not been built yet
    queues: int
    farms: list[str]  # display names of the farms read
    checked_at: datetime
    notes: list[str] = field(default_factory=list)

    def count(self, key: str) -> int:
        return len(self.jobs.get(key, ()))


def _queues() -> tuple[list[tuple[str, str, Queue]], list[str], list[str]]:
    try:
        farms = browse.list_farms().farms
    except DeadlineError as exc:
        return [], [], [f"Could not list the farms: {exc.message}"]
    names = {farm.farm_id: farm.display_name for farm in farms}
    failures: dict[str, DeadlineError] = {}
    listed = read_concurrently(
        {f.farm_id: lambda f=f: browse.list_queues(farm_id=f.farm_id) for f in farms},
        optional=frozenset(names),
        failures=failures,
    )
    notes = [
        f"Could not list the queues of farm {names[k]}: {e.message}" for k, e in failures.items()
    ]
    queues = [
        (farm_id, names[farm_id], queue)
        for farm_id, answer in listed.items()
        if answer is not None
        for queue in answer.queues
    ]
    return queues, sorted(names.values()), notes


def status_board() -> StatusBoard:
    """The board. What cannot be read (the farms, a farm's queues, a queue's jobs) is a note
    on it: the page and its go-to box stay usable."""
    queues, farms, notes = _queues()
    failures: dict[str, DeadlineError] = {}
    lists = read_concurrently(
        {
            q.queue_id: lambda f=farm_id, q=q: attention.unfinished_or_recent_jobs(
                farm_id=f, queue_id=q.queue_id
            )
            for farm_id, _name, q in queues
        },
        optional=frozenset(q.queue_id for _f, _n, q in queues),
        failures=failures,
    )
    notes += [f"Could not search the jobs of queue {k}: {e.message}" for k, e in failures.items()]
    report = _last_report(notes)
    stalled = job_attention.stalled_jobs(report.items if report else ())
    stories = incidents(report) if report else []
    rows: list[BoardJob] = []
    for farm_id, farm_name, queue in queues:
        found = lists.get(queue.queue_id)
        for job in found.jobs if found is not None else ():
            standing = job_attention.standing(job, stalled)
            rows.append(BoardJob(job, farm_id, farm_name, queue, standing))
    return StatusBoard(
        jobs=_by_count(rows, stalled),
        finished=_finished(rows),
        top_items=stories[:TOP_ITEMS],
        attention_count=len(stories) if report else None,
        queues=len(queues),
        farms=farms,
        checked_at=now(),
        notes=notes,
    )


def _last_report(notes: list[str]) -> attention.AttentionReport | None:
    """The attention list as last built (no call); None before the first build, or when even
    the cache cannot be asked (no backend: a note says so)."""
    try:
        return attention.page_flags().report
    except DeadlineError as exc:
        notes.append(f"Could not read the attention list: {exc.message}")
        return None


def _by_count(rows: list[BoardJob], stalled: frozenset[str]) -> dict[str, list[BoardJob]]:
    """Each count's jobs. A failing job holding a stalled task counts in both."""
    ordered = {id(r.job): r for r in rows}
    by_job = [ordered[id(j)] for j in job_attention.by_attention((r.job for r in rows), stalled)]
    return {
        "failed": [r for r in by_job if r.standing == "failed" and _unfinished_or_failed(r.job)],
        "stalled": [r for r in by_job if r.job.job_id in stalled],
        "waiting": [r for r in by_job if r.standing == "waiting"],
        "running": [r for r in by_job if r.standing == "running"],
    }


def _unfinished_or_failed(job: Job) -> bool:
    """A job whose failures still matter: not canceled or suspended by someone."""
    return job.task_run_status is None or job.task_run_status.value in job_attention.OPEN_STATUSES


def _finished(rows: list[BoardJob]) -> list[BoardJob]:
    ended = [r for r in rows if r.job.ended_at is not None and r.standing in ("other", "failed")]
    ended = [r for r in ended if r.job.task_run_status and r.job.task_run_status.is_terminal]
    ended.sort(key=lambda r: r.job.ended_at or now(), reverse=True)
    return ended[:RECENT_JOBS]
