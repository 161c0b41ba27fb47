"""What needs attention now: stalled and slow tasks, failed jobs, blocked queues, sick workers.

The rules (stalled, slow, sick; pure functions) are in ``attention_rules``; here:

- **Items**: what the list holds, ranked by impact, and its JSON in the issue's shape.
- **Reads**: the farm-wide report (``get_report``), refreshed once per
  ``DASHBOARD_ATTENTION_SECONDS`` for every viewer through the shared cache (one entry, so a
  header count or a job page costs one cache read), built from reads whose number is bounded
  by the number of queues, never by the number of tasks (README "What needs attention").

Which Search names are used, and how sure we are of them (``deadline_facts.search_names``):
SearchJobs filters on ``TASK_RUN_STATUS`` and ``ENDED_AT`` (confirmed). SearchTasks filters on
``RUN_STATUS`` and ``ENDED_AT`` are *assumed*: they go through ``deadline.search.search``, which
remembers per backend a name the service refuses, and every answer is checked (each row must
match the filter), a mismatch remembered as ignored. Either way the queue's busiest jobs are
then listed with SearchTasks(jobId) and no filter at all, which the model alone confirms.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from ..deadline import search
from ..deadline.cache import cached_only, cached_read
from ..deadline.calls import list_all, list_every
from ..deadline.errors import DeadlineError, NotFound
from ..deadline.farm_types import (
    DEAD_WORKER_STATUSES,
    ActionOutcomes,
    FleetList,
    LastLogEvent,
    SessionList,
    TaskRow,
    TaskRows,
    WorkerList,
)
from ..deadline.ids import is_valid_id
from ..deadline.logs import LogNotFound, get_log_events
from ..deadline.resilience import read_pool
from ..deadline.session_types import ActionStatus, Session, Worker
from ..deadline.types import Cacheable, Job, Queue, TaskRunStatus, format_datetime, parse_datetime
from . import browse
from .attention_rules import (
    LIVE_STATUSES,
    UNFINISHED_JOB_STATUSES,
    DurationStats,
    SlowCheck,
    Verdict,
    WorkerTally,
    assess_slow,
    assess_stall,
    assess_worker,
    clean_durations,
    min_samples,
    recent,
    refresh_seconds,
    slow_factor,
    span,
    stall_after,
)
from .attention_waiting import waiting_jobs
from .resources import get_step, now
from .triage import WORKER_CACHE_SECONDS, get_session, get_session_action, log_location
from .usage import budgets as usage_budgets

logger = logging.getLogger(__name__)


# --- Items -------------------------------------------------------------------------------------

KINDS = (
    "failed_job",
    "stalled_task",
    "slow_task",
    "blocked_queue",
    "sick_worker",
    "waiting_job",
    "budget",
)
KIND_LABELS = {
    "failed_job": "Failed job",
    "stalled_task": "Stalled",
    "slow_task": "Slow",
    "blocked_queue": "Blocked queue",
    "sick_worker": "Sick worker",
    "waiting_job": "Waiting job",
    "budget": "Budget",
}

#: Used for impact when nothing better is known about a task's runtime.
DEFAULT_TASK_SECONDS = 600.0


@dataclass(frozen=True)
class AttentionItem:
    """One row of the attention list. ``impact`` is in task-seconds (tasks affected times their
    runtime); ``title``/``where`` are for people, the rest is the JSON the issue specifies."""

    kind: str
    reason: str
    impact: float
    url: str
    farm_id: str
    queue_id: str | None = None
    job_id: str | None = None
    step_id: str | None = None
    task_id: str | None = None
    worker_id: str | None = None
    fleet_id: str | None = None  # a sick worker's fleet: its row links to the worker page
    title: str = ""
    detail: str = ""  # a task's step and parameters ("comp · Frame=1042")
    where: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AttentionItem:
        return cls(
            kind=str(data["kind"]),
            reason=str(data["reason"]),
            impact=float(data["impact"]),
            url=str(data["url"]),
            farm_id=str(data["farm_id"]),
            queue_id=data.get("queue_id"),
            job_id=data.get("job_id"),
            step_id=data.get("step_id"),
            task_id=data.get("task_id"),
            worker_id=data.get("worker_id"),
            fleet_id=data.get("fleet_id"),
            title=str(data.get("title", "")),
            detail=str(data.get("detail", "")),
            where=str(data.get("where", "")),
        )

    def as_json(self) -> dict[str, Any]:
        """Exactly the issue's shape: kind, reason, impact, url, and the IDs that apply."""
        answer: dict[str, Any] = {
            "kind": self.kind,
            "reason": self.reason,
            "impact": round(self.impact, 1),
            "url": self.url,
        }
        for key in ("farm_id", "queue_id", "job_id", "step_id", "task_id", "worker_id"):
            value = getattr(self, key)
            if value:
                answer[key] = value
        return answer

    def to_cache(self) -> dict[str, Any]:
        return {
            **self.as_json(),
            "impact": self.impact,
            "title": self.title,
            "detail": self.detail,
            "where": self.where,
            "fleet_id": self.fleet_id,
        }

    @property
    def worker_url(self) -> str | None:
        """A sick worker's own page (its sessions, log and charts)."""
        if self.kind != "sick_worker" or not (self.fleet_id and self.worker_id):
            return None
        return _url(
            "worker_detail",
            farm_id=self.farm_id,
            fleet_id=self.fleet_id,
            worker_id=self.worker_id,
        )

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def impact_text(self) -> str:
        """``≈ 3.2 task-hours`` (how much work the trouble holds up or wasted)."""
        hours = self.impact / 3600
        if hours >= 10:
            return f"≈ {hours:,.0f} task-hours"
        if hours >= 1:
            return f"≈ {hours:.1f} task-hours"
        return f"≈ {max(self.impact / 60, 0):.0f} task-min"


_KIND_ORDER = {
    kind: n
    for n, kind in enumerate(
        ("stalled_task", "blocked_queue", "sick_worker", "failed_job", "waiting_job", "slow_task")
    )
}


def rank(items: Iterable[AttentionItem]) -> list[AttentionItem]:
    """Highest impact first; ties by kind (stalled before slow) and title."""
    return sorted(items, key=lambda i: (-i.impact, _KIND_ORDER.get(i.kind, 9), i.title, i.url))


@dataclass(frozen=True)
class AttentionReport(Cacheable):
    """The farm-wide list, ranked, with what could not be checked (``notes``)."""

    items: tuple[AttentionItem, ...]
    checked_at: datetime
    queues: int = 0
    notes: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> AttentionReport:
        checked = parse_datetime(answer.get("checkedAt")) or datetime.fromtimestamp(0, tz=UTC)
        return cls(
            items=tuple(AttentionItem.from_api(item) for item in answer.get("items") or ()),
            checked_at=checked,
            queues=int(answer.get("queues") or 0),
            notes=tuple(str(n) for n in answer.get("notes") or ()),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "items": [item.to_cache() for item in self.items],
            "checkedAt": format_datetime(self.checked_at),
            "queues": self.queues,
            "notes": list(self.notes),
        }

    @property
    def count(self) -> int:
        return len(self.items)

    def counts(self) -> dict[str, int]:
        """Items per kind, every kind present (for the summary line)."""
        found = Counter(item.kind for item in self.items)
        return {kind: found.get(kind, 0) for kind in KINDS}

    def for_job(self, job_id: str) -> list[AttentionItem]:
        return [i for i in self.items if i.job_id == job_id and i.kind in TASK_KINDS]

    def for_tasks(self, job_id: str) -> dict[str, AttentionItem]:
        """Task ID -> its stalled or slow item, for one job's tables."""
        return {i.task_id: i for i in self.for_job(job_id) if i.task_id}

    def task_counts(self, ids: Iterable[str], attribute: str) -> dict[str, dict[str, int]]:
        """Per job (``attribute`` "job_id") or step ("step_id"): stalled and slow counts."""
        wanted = set(ids)
        counts: dict[str, dict[str, int]] = defaultdict(lambda: {"stalled": 0, "slow": 0})
        for item in self.items:
            key = getattr(item, attribute)
            if key in wanted and item.kind in TASK_KINDS:
                counts[key]["stalled" if item.kind == "stalled_task" else "slow"] += 1
        return dict(counts)


TASK_KINDS = frozenset({"stalled_task", "slow_task"})


# --- Reads: bounded pagers ---------------------------------------------------------------------

#: Page caps: what one refresh may read at most, per queue or per worker.
JOB_PAGES = 3  # SearchJobs: unfinished or recently ended jobs of a queue
ACTIVE_TASK_PAGES = 10  # SearchTasks: tasks in workers' hands in a queue
SAMPLE_PAGES = 2  # SearchTasks: recent successes of a queue (duration samples)
CENSUS_PAGES = 10  # ListTasks / SearchTasks(jobId): one step's or job's tasks
CENSUS_JOBS = 20  # busiest jobs per queue listed when the RUN_STATUS filter is not honoured
HEALTH_JOBS = 2  # jobs per queue whose attempts count towards worker health
HEALTH_PAGES = 2  # ListSessionActions pages per such job (one of ListSessions covers them)
SESSION_PAGES = 5  # ListSessionsForWorker pages per dead worker
MAX_CANDIDATES = 200  # long-running tasks checked one by one per refresh
SAMPLE_SECONDS = 300.0  # duration samples and worker records change slowly


def _search_pages(operation: str, result_key: str, max_pages: int, **params: Any) -> dict[str, Any]:
    """Up to ``max_pages`` pages of a Search* operation (itemOffset paging)."""
    items: list[Any] = []
    offset: int | None = 0
    for _ in range(max_pages):
        assert offset is not None
        answer = search.search(operation, {**params, "itemOffset": offset, "pageSize": 100})
        items.extend(answer.get(result_key) or [])
        offset = answer.get("nextItemOffset")
        if offset is None:
            break
    return {result_key: items, "complete": offset is None}


# --- Reads: jobs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobList(Cacheable):
    """Jobs from several SearchJobs pages (summaries lacking a job ID or name are dropped)."""

    jobs: tuple[Job, ...]
    complete: bool = True

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> JobList:
        jobs = []
        for item in answer.get("jobs") or ():
            try:
                jobs.append(Job.from_api(item))
            except (KeyError, TypeError, ValueError):
                logger.info("skipping a job summary without the members we need")
        return cls(jobs=tuple(jobs), complete=bool(answer.get("complete", True)))

    def to_cache(self) -> dict[str, Any]:
        return {"jobs": [job.to_cache() for job in self.jobs], "complete": self.complete}


def unfinished_or_recent_jobs(*, farm_id: str, queue_id: str) -> JobList:
    """A queue's unfinished jobs and those that ended within DASHBOARD_RECENT_SECONDS, newest
    first: one SearchJobs call per page, confirmed names only (TASK_RUN_STATUS, ENDED_AT,
    CREATED_AT)."""

    def fetch() -> dict[str, Any]:
        filters = {
            "operator": "OR",
            "filters": [
                search.string_list_filter("TASK_RUN_STATUS", UNFINISHED_JOB_STATUSES),
                search.since_filter("ENDED_AT", now() - recent()),
            ],
        }
        sort = [{"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}]
        return _search_pages(
            "SearchJobs",
            "jobs",
            JOB_PAGES,
            farmId=farm_id,
            queueIds=[queue_id],
            filterExpressions=filters,
            sortExpressions=sort,
        )

    return cached_read(
        kind="attention-jobs",
        ids=(farm_id, queue_id),
        ttl=refresh_seconds(),
        fetch=fetch,
        parse=JobList,
    )


# --- Reads: tasks ------------------------------------------------------------------------------


def _succeeded_since(row: TaskRow, since: datetime) -> bool:
    return (
        row.run_status is TaskRunStatus.SUCCEEDED
        and row.ended_at is not None
        and row.ended_at >= since
    )


def _checked(
    operation: str,
    params: Mapping[str, Any],
    answer: dict[str, Any],
    test: Callable[[TaskRow], bool],
) -> dict[str, Any]:
    """The answer, once every row is seen to match the filter sent; otherwise the service
    ignored the request's unconfirmed names: remembered for this backend (the next refresh
    makes no such call), and NamesUnusable raised (nothing cached)."""
    if all(test(row) for row in TaskRows.from_api(answer).rows):
        return answer
    ignored = [use for use in search.names_in(operation, params) if not use.confirmed]
    for use in ignored:
        search.remember(use, search.IGNORED)
    raise search.NamesUnusable(ignored, search.IGNORED)


def queue_live_tasks(*, farm_id: str, queue_id: str) -> TaskRows:
    """Every task in a worker's hands in a queue (SearchTasks, RUN_STATUS ANY_EQUALS)."""
    statuses = sorted(s.value for s in LIVE_STATUSES)

    def fetch() -> dict[str, Any]:
        params = {
            "farmId": farm_id,
            "queueIds": [queue_id],
            "filterExpressions": {
                "operator": "AND",
                "filters": [search.string_list_filter("RUN_STATUS", statuses)],
            },
        }
        answer = _search_pages("SearchTasks", "tasks", ACTIVE_TASK_PAGES, **params)
        return _checked("SearchTasks", params, answer, lambda r: r.run_status in LIVE_STATUSES)

    return cached_read(
        kind="attention-live-tasks",
        ids=(farm_id, queue_id),
        ttl=refresh_seconds(),
        fetch=fetch,
        parse=TaskRows,
    )


def queue_recent_successes(*, farm_id: str, queue_id: str) -> TaskRows:
    """Up to SAMPLE_PAGES pages of a queue's tasks that succeeded recently (their durations
    are the samples slowness is judged against)."""

    def fetch() -> dict[str, Any]:
        since = now() - recent()
        filters = {
            "operator": "AND",
            "filters": [
                search.string_filter("RUN_STATUS", "SUCCEEDED"),
                search.since_filter("ENDED_AT", since),
            ],
        }
        params = {"farmId": farm_id, "queueIds": [queue_id], "filterExpressions": filters}
        answer = _search_pages("SearchTasks", "tasks", SAMPLE_PAGES, **params)
        return _checked("SearchTasks", params, answer, lambda r: _succeeded_since(r, since))

    return cached_read(
        kind="attention-samples",
        ids=(farm_id, queue_id),
        ttl=max(SAMPLE_SECONDS, refresh_seconds()),
        fetch=fetch,
        parse=TaskRows,
    )


def job_tasks(*, farm_id: str, queue_id: str, job_id: str) -> TaskRows:
    """Up to CENSUS_PAGES pages of a job's tasks, any status (SearchTasks with the job's ID
    and no filter: no assumed name). The fallback when RUN_STATUS is not honoured."""
    return cached_read(
        kind="attention-job-tasks",
        ids=(farm_id, queue_id, job_id),
        ttl=refresh_seconds(),
        fetch=lambda: _search_pages(
            "SearchTasks",
            "tasks",
            CENSUS_PAGES,
            farmId=farm_id,
            queueIds=[queue_id],
            jobId=job_id,
        ),
        parse=TaskRows,
    )


def step_tasks(*, farm_id: str, queue_id: str, job_id: str, step_id: str) -> TaskRows:
    """Up to CENSUS_PAGES pages of one step's tasks (ListTasks by step, as the official CLI
    lists them): the step's own durations, completions and running tasks."""

    def fetch() -> dict[str, Any]:
        answer = list_all(
            "ListTasks",
            "tasks",
            max_pages=CENSUS_PAGES,
            farmId=farm_id,
            queueId=queue_id,
            jobId=job_id,
            stepId=step_id,
        )
        # ListTasks' summaries do not say where they sit: the rows carry it from here on.
        answer["tasks"] = [{**t, "jobId": job_id, "stepId": step_id} for t in answer["tasks"]]
        return answer

    return cached_read(
        kind="step-tasks",
        ids=(farm_id, queue_id, job_id, step_id),
        ttl=refresh_seconds(),
        fetch=fetch,
        parse=TaskRows,
    )


# --- Reads: fleets, workers, sessions, logs ----------------------------------------------------


def list_fleets(*, farm_id: str) -> FleetList:
    """A farm's fleets (ListFleets), cached like names."""
    return cached_read(
        kind="fleets",
        ids=(farm_id,),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: {"fleets": list_every("ListFleets", "fleets", farmId=farm_id)},
        parse=FleetList,
    )


def list_workers(*, farm_id: str, fleet_id: str) -> WorkerList:
    """A fleet's workers with their status (ListWorkers), cached for a minute."""
    return cached_read(
        kind="workers",
        ids=(farm_id, fleet_id),
        ttl=min(WORKER_CACHE_SECONDS, settings.DEADLINE_NAME_CACHE_SECONDS),
        fetch=lambda: {
            "workers": list_every("ListWorkers", "workers", farmId=farm_id, fleetId=fleet_id)
        },
        parse=WorkerList,
    )


def worker_sessions(*, farm_id: str, fleet_id: str, worker_id: str) -> SessionList:
    """A worker's sessions (ListSessionsForWorker): read only for workers that stopped
    responding, to find the work still assigned to them."""
    return cached_read(
        kind="worker-sessions",
        ids=(farm_id, fleet_id, worker_id),
        ttl=refresh_seconds(),
        fetch=lambda: list_all(
            "ListSessionsForWorker",
            "sessions",
            max_pages=SESSION_PAGES,
            farmId=farm_id,
            fleetId=fleet_id,
            workerId=worker_id,
        ),
        parse=SessionList,
    )


def job_sessions(*, farm_id: str, queue_id: str, job_id: str) -> SessionList:
    """A job's sessions (ListSessions): which worker ran each attempt."""
    return cached_read(
        kind="job-sessions",
        ids=(farm_id, queue_id, job_id),
        ttl=max(SAMPLE_SECONDS, refresh_seconds()),
        fetch=lambda: list_all(
            "ListSessions", "sessions", max_pages=1, farmId=farm_id, queueId=queue_id, jobId=job_id
        ),
        parse=SessionList,
    )


def job_outcomes(*, farm_id: str, queue_id: str, job_id: str) -> ActionOutcomes:
    """A job's task-run attempts and how they ended (ListSessionActions by job)."""
    return cached_read(
        kind="job-outcomes",
        ids=(farm_id, queue_id, job_id),
        ttl=max(SAMPLE_SECONDS, refresh_seconds()),
        fetch=lambda: list_all(
            "ListSessionActions",
            "sessionActions",
            max_pages=HEALTH_PAGES,
            farmId=farm_id,
            queueId=queue_id,
            jobId=job_id,
        ),
        parse=ActionOutcomes,
    )


def last_log_event(
    *, farm_id: str, queue_id: str, session_id: str, session: Session | None = None
) -> LastLogEvent:
    """When a session's log last received a line (GetLogEvents, newest one), read where
    GetSession's ``log.options`` say (``session``), else where the convention does.

    Kept a quarter of DASHBOARD_STALL_SECONDS (at least DEADLINE_CACHE_SECONDS): silence is
    found at most that late, and a running task costs one read per such period.
    """
    group, stream = log_location(
        farm_id=farm_id, queue_id=queue_id, session_id=session_id, session=session
    )

    def fetch() -> dict[str, Any]:
        try:
            return get_log_events(
                group=group, stream=stream, start=None, end=None, limit=1, token=None,
                from_head=False,
            )  # fmt: skip
        except LogNotFound:
            return {"events": [], "missing": True}

    ttl = max(float(settings.DEADLINE_CACHE_SECONDS), stall_after().total_seconds() / 4)
    return cached_read(
        kind="log-last-event",
        ids=(group, stream),
        ttl=ttl,
        fetch=fetch,
        parse=LastLogEvent,
    )


# --- Concurrency -------------------------------------------------------------------------------


def _gather(reads: Mapping[Any, Callable[[], Any]]) -> tuple[dict[Any, Any], dict[Any, Exception]]:
    """Run reads concurrently (from the calling thread, never from a pool thread); results and
    errors by key. DeadlineError is collected, anything else raises."""
    futures: dict[Any, Future[Any]] = {key: read_pool().submit(read) for key, read in reads.items()}
    results: dict[Any, Any] = {}
    errors: dict[Any, Exception] = {}
    for key, future in futures.items():
        try:
            results[key] = future.result()
        except DeadlineError as exc:
            errors[key] = exc
    return results, errors


def _message(exc: Exception) -> str:
    return exc.message if isinstance(exc, DeadlineError) else "the service ignored a filter"


# --- Building the report -----------------------------------------------------------------------


def _url(name: str, **kwargs: str) -> str:
    return reverse(name, kwargs=kwargs)


def _task_url(farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str) -> str:
    return _url(
        "task_detail",
        farm_id=farm_id,
        queue_id=queue_id,
        job_id=job_id,
        step_id=step_id,
        task_id=task_id,
    )


def job_failures_url(farm_id: str, queue_id: str, job_id: str) -> str:
    """Where one acts on a job's failures: its failures grouped by cause."""
    return _url("job_failures", farm_id=farm_id, queue_id=queue_id, job_id=job_id)


@dataclass
class _Queue:
    """What one refresh learned about one queue."""

    farm_id: str
    farm_name: str
    queue: Queue
    jobs: JobList | None = None
    live: TaskRows | None = None
    samples: TaskRows | None = None
    census: dict[str, TaskRows] = field(default_factory=dict)

    @property
    def queue_id(self) -> str:
        return self.queue.queue_id

    @property
    def where(self) -> str:
        return f"{self.farm_name} / {self.queue.display_name}"

    def job(self, job_id: str | None) -> Job | None:
        if self.jobs is None or job_id is None:
            return None
        return next((j for j in self.jobs.jobs if j.job_id == job_id), None)

    def live_rows(self) -> list[TaskRow]:
        if self.live is not None:
            return list(self.live.rows)
        return [
            r for rows in self.census.values() for r in rows.rows if r.run_status in LIVE_STATUSES
        ]

    def truncation_notes(self) -> list[str]:
        """What the page caps left out of this queue's listings."""
        notes = []
        if self.jobs is not None and not self.jobs.complete:
            notes.append(
                f"{self.where} has more than {JOB_PAGES * 100} unfinished or recent jobs: "
                "the newest were checked."
            )
        if self.live is not None and not self.live.complete:
            notes.append(
                f"{self.where} has more than {ACTIVE_TASK_PAGES * 100} tasks in workers' hands: "
                "the first were checked."
            )
        if any(not rows.complete for rows in self.census.values()):
            notes.append(
                f"Some of {self.where}'s busiest jobs have more than {CENSUS_PAGES * 100} tasks: "
                "their first were checked."
            )
        return notes

    def sample_rows(self) -> list[TaskRow]:
        if self.samples is not None:
            return list(self.samples.rows)
        return [r for rows in self.census.values() for r in rows.rows]


@dataclass
class _Farm:
    farm_id: str
    name: str
    workers: dict[str, Worker] = field(default_factory=dict)
    # session ID -> (worker ID) for sessions still open on a worker that stopped responding
    dead_sessions: dict[str, str] = field(default_factory=dict)
    open_sessions: Counter[str] = field(default_factory=Counter)


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


def build_report() -> dict[str, Any]:
    """Read and judge every visible farm and queue (see the module docstring for the reads);
    the cache form of an AttentionReport. Only the farm list failing fails it: any other
    read that fails leaves its part out with a note."""
    notes: list[str] = []
    current = now()
    farms = browse.list_farms().farms

    queue_lists, errors = _gather(
        {f.farm_id: lambda f=f: browse.list_queues(farm_id=f.farm_id) for f in farms}
    )
    for farm_id, exc in errors.items():
        notes.append(f"Could not list the queues of farm {farm_id}: {_message(exc)}")
    fleets, errors = _gather({f: lambda f=f: list_fleets(farm_id=f) for f in queue_lists})
    for farm_id, exc in errors.items():
        notes.append(f"Could not list the fleets of farm {farm_id}: {_message(exc)}")

    farm_state = {
        f.farm_id: _Farm(f.farm_id, f.display_name) for f in farms if f.farm_id in queue_lists
    }
    queues = [
        _Queue(farm_id=farm_id, farm_name=farm_state[farm_id].name, queue=q)
        for farm_id, listed in queue_lists.items()
        for q in listed.queues
    ]

    # Round 1: every queue's unfinished and recent jobs, every fleet's workers.
    reads: dict[Any, Callable[[], Any]] = {}
    for q in queues:
        reads["jobs", q.queue_id] = lambda q=q: unfinished_or_recent_jobs(
            farm_id=q.farm_id, queue_id=q.queue_id
        )
    for farm_id, fleet_list in fleets.items():
        for fleet in fleet_list.fleets:
            reads["workers", fleet.fleet_id] = lambda f=farm_id, fl=fleet.fleet_id: list_workers(
                farm_id=f, fleet_id=fl
            )
    got, errors = _gather(reads)
    for q in queues:
        q.jobs = got.get(("jobs", q.queue_id))
        if ("jobs", q.queue_id) in errors:
            notes.append(
                f"Could not search the jobs of {q.where}: {_message(errors['jobs', q.queue_id])}"
            )
    for key, value in got.items():
        if key[0] == "workers":
            for worker in value.workers:
                farm_state[worker.farm_id].workers[worker.worker_id] = worker
    for key, exc in errors.items():
        if key[0] == "workers":
            notes.append(f"Could not list the workers of fleet {key[1]}: {_message(exc)}")

    # Round 2: tasks in workers' hands and duration samples (a filtered search per queue), and
    # the open sessions of workers that stopped.
    reads = {}
    for q in queues:
        reads["live", q.queue_id] = lambda q=q: queue_live_tasks(
            farm_id=q.farm_id, queue_id=q.queue_id
        )
        reads["samples", q.queue_id] = lambda q=q: queue_recent_successes(
            farm_id=q.farm_id, queue_id=q.queue_id
        )
    for farm in farm_state.values():
        for worker in farm.workers.values():
            if worker.status in DEAD_WORKER_STATUSES:
                reads["dead", farm.farm_id, worker.worker_id] = lambda w=worker: worker_sessions(
                    farm_id=w.farm_id, fleet_id=w.fleet_id, worker_id=w.worker_id
                )
    got, errors = _gather(reads)
    by_queue = {q.queue_id: q for q in queues}
    unusable: dict[str, search.NamesUnusable] = {}
    for key, value in got.items():
        if key[0] == "live":
            by_queue[key[1]].live = value
        elif key[0] == "samples":
            by_queue[key[1]].samples = value
        elif key[0] == "dead":
            farm = farm_state[key[1]]
            for session in value.sessions:
                if session.is_open:
                    farm.dead_sessions[session.session_id] = key[2]
                    farm.open_sessions[key[2]] += 1
    for key, exc in errors.items():
        if key[0] in ("live", "samples") and isinstance(exc, search.NamesUnusable):
            unusable[key[1]] = exc
        elif key[0] in ("live", "samples"):
            notes.append(f"Could not list the tasks of {by_queue[key[1]].where}: {_message(exc)}")
        elif key[0] == "dead":
            notes.append(f"Could not list the sessions of worker {key[2]}: {_message(exc)}")
    if unusable:
        # The account refuses or ignores the assumed names: list the busiest jobs instead.
        _census_instead([by_queue[queue_id] for queue_id in unusable], notes)
        for exc in {exc.message: exc for exc in unusable.values()}.values():
            notes.append(
                f"{exc.message} on this account: stalled and slow tasks were looked for in "
                f"each queue's {CENSUS_JOBS} busiest jobs only."
            )
    for q in queues:
        notes += q.truncation_notes()

    # Round 3: one by one, only what may be in trouble: long-running tasks (their session and
    # log), slow candidates (their step's own durations), and the jobs that failed most
    # (their attempts, for worker health). Step names of what will be shown.
    judged = _Judgement(current, farm_state, queues)
    judged.pick_candidates()
    got, errors = _gather(judged.round_three_reads())
    logs, log_errors = _gather(judged.log_reads(got))
    for key, exc in {**errors, **log_errors}.items():
        if not isinstance(exc, NotFound):
            notes.append(f"Could not check {key[0]} {key[-1]}: {_message(exc)}")
    items = judged.items({**got, **logs})
    items.extend(_budget_items(farm_state, current, notes))
    notes.extend(judged.notes)
    return AttentionReport(
        items=tuple(rank(items)),
        checked_at=current,
        queues=len(queues),
        notes=tuple(dict.fromkeys(notes)),
    ).to_cache()


def _budget_items(
    farms: Mapping[str, _Farm], current: datetime, notes: list[str]
) -> list[AttentionItem]:
    """Budgets past a threshold or projected to reach one within a day (selectors/usage/
    budgets.py). Read farm by farm in this thread: the budgets' own reads use the pool."""
    items = []
    for farm_id, farm in farms.items():
        try:
            views = usage_budgets.farm_budgets(farm_id=farm_id)
        except DeadlineError as exc:
            notes.append(f"Could not read the budgets of farm {farm_id}: {_message(exc)}")
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
                    url=_url("farm_budgets", farm_id=farm_id),
                    farm_id=farm_id,
                    queue_id=view.budget.queue_id,
                    title=view.budget.name,
                    where=farm.name,
                )
            )
    return items


def _busiest(jobs: JobList | None) -> list[Job]:
    """The unfinished jobs with the most tasks in workers' hands, at most CENSUS_JOBS."""
    if jobs is None:
        return []

    def live(job: Job) -> int:
        return sum(n for status, n in job.task_run_status_counts if status in LIVE_STATUSES)

    busy = [j for j in jobs.jobs if live(j) > 0]
    return sorted(busy, key=lambda j: (-live(j), j.job_id))[:CENSUS_JOBS]


def _census_instead(queues: list[_Queue], notes: list[str]) -> None:
    """Queues whose filtered search is refused or ignored: list their busiest jobs whole."""
    reads = {
        (q.queue_id, job.job_id): lambda q=q, j=job.job_id: job_tasks(
            farm_id=q.farm_id, queue_id=q.queue_id, job_id=j
        )
        for q in queues
        for job in _busiest(q.jobs)
    }
    got, errors = _gather(reads)
    by_queue = {q.queue_id: q for q in queues}
    for q in queues:
        q.live = q.samples = None
    for (queue_id, job_id), rows in got.items():
        by_queue[queue_id].census[job_id] = rows
    for (queue_id, _), exc in errors.items():
        notes.append(f"Could not list the tasks of {by_queue[queue_id].where}: {_message(exc)}")


@dataclass
class _Candidate:
    queue: _Queue
    row: TaskRow
    verdict: Verdict | None = None
    worker_id: str | None = None
    check_log: bool = False
    check_slow: bool = False


class _Judgement:
    """Round three: which tasks need a closer look, the reads that look, and the items."""

    def __init__(self, current: datetime, farms: dict[str, _Farm], queues: list[_Queue]) -> None:
        self.now = current
        self.farms = farms
        self.queues = queues
        self.notes: list[str] = []
        self.candidates: list[_Candidate] = []
        self.health_jobs: list[tuple[_Queue, Job]] = []

    def pick_candidates(self) -> None:
        after = stall_after()
        factor = slow_factor()
        picked = 0
        for q in self.queues:
            farm = self.farms[q.farm_id]
            samples = _durations_by_step(q.sample_rows())
            for row in q.live_rows():
                if row.job_id is None or row.step_id is None:
                    continue
                candidate = _Candidate(queue=q, row=row)
                session = row.session_id
                dead_worker = farm.dead_sessions.get(session or "")
                if dead_worker is not None:
                    worker = farm.workers.get(dead_worker)
                    candidate.worker_id = dead_worker
                    candidate.verdict = assess_stall(
                        run_status=row.run_status,
                        now=self.now,
                        worker_label=_worker_label(worker, dead_worker),
                        worker_status=worker.status if worker else None,
                        attempt_started_at=row.started_at,
                    )
                    self.candidates.append(candidate)
                    continue
                elapsed = None if row.started_at is None else self.now - row.started_at
                if elapsed is None or session is None:
                    continue  # never started here: only its worker's state can tell
                candidate.check_log = elapsed >= after
                if row.run_status is TaskRunStatus.RUNNING:
                    durations = samples.get(row.step_id, [])
                    stats = DurationStats.of(durations)
                    if stats is not None and len(durations) >= min_samples():
                        # Confirmed against the step's own tasks below: a margin for the
                        # sample's noise.
                        candidate.check_slow = elapsed.total_seconds() > 0.75 * factor * stats.p95
                    else:
                        candidate.check_slow = elapsed >= after
                if (candidate.check_log or candidate.check_slow) and picked < MAX_CANDIDATES:
                    picked += 1
                    self.candidates.append(candidate)
            if picked >= MAX_CANDIDATES:
                self.notes.append(
                    f"More than {MAX_CANDIDATES} long-running tasks: only the first were checked."
                )
            self.health_jobs += [(q, job) for job in _most_failed(q.jobs, self.now)]

    def round_three_reads(self) -> dict[Any, Callable[[], Any]]:
        reads: dict[Any, Callable[[], Any]] = {}
        for c in self.candidates:
            q, row = c.queue, c.row
            ids = {"farm_id": q.farm_id, "queue_id": q.queue_id}
            session = row.session_id
            if c.check_log and session and is_valid_id("session_id", session):
                reads["session", session] = lambda ids=ids, j=row.job_id, s=session: get_session(
                    **ids, job_id=j, session_id=s
                )
            if c.check_slow:
                step = (q.queue_id, row.job_id, row.step_id)
                reads["step tasks", *step] = lambda ids=ids, j=row.job_id, s=row.step_id: (
                    step_tasks(**ids, job_id=j, step_id=s)
                )
                action = row.latest_session_action_id
                if row.retries and action and is_valid_id("session_action_id", action):
                    reads["attempt", action] = lambda ids=ids, j=row.job_id, a=action: (
                        get_session_action(**ids, job_id=j, session_action_id=a)
                    )
            if c.verdict is not None or c.check_log or c.check_slow:
                reads["step", row.step_id] = lambda ids=ids, j=row.job_id, s=row.step_id: get_step(
                    **ids, job_id=j, step_id=s
                )
        for q, job in self.health_jobs:
            ids = {"farm_id": q.farm_id, "queue_id": q.queue_id, "job_id": job.job_id}
            reads["job sessions", job.job_id] = lambda ids=ids: job_sessions(**ids)
            reads["job attempts", job.job_id] = lambda ids=ids: job_outcomes(**ids)
        return reads

    def log_reads(self, got: Mapping[Any, Any]) -> dict[Any, Callable[[], Any]]:
        """The last log line of each long-running task, where its session says its log is
        (round four: the sessions are known)."""
        reads: dict[Any, Callable[[], Any]] = {}
        for c in self.candidates:
            session_id = c.row.session_id
            if not c.check_log or not session_id or ("session", session_id) not in got:
                continue
            session = got["session", session_id]
            q = c.queue
            reads["log", session_id] = lambda q=q, s=session_id, found=session: last_log_event(
                farm_id=q.farm_id, queue_id=q.queue_id, session_id=s, session=found
            )
        return reads

    def items(self, got: Mapping[Any, Any]) -> list[AttentionItem]:
        items: list[AttentionItem] = []
        tallies: dict[str, WorkerTally] = {}
        for c in self.candidates:
            verdict = c.verdict or self._stall(c, got) or self._slow(c, got)
            if verdict is None:
                continue
            item = self._task_item(c, verdict, got)
            items.append(item)
            if verdict.kind == "stalled" and c.worker_id:
                tally = self._tally(tallies, c.queue.farm_id, c.worker_id)
                tally.stalls += 1
                tally.stalled_seconds += item.impact
                if not tally.evidence:
                    tally.evidence = item.url
        for q in self.queues:
            items += self._queue_items(q)
        self._health(tallies, got)
        items += self._worker_items(tallies)
        return items

    # -- verdicts --

    def _stall(self, c: _Candidate, got: Mapping[Any, Any]) -> Verdict | None:
        if not c.check_log or c.row.session_id is None:
            return None
        session: Session | None = got.get(("session", c.row.session_id))
        log: LastLogEvent | None = got.get(("log", c.row.session_id))
        worker = None
        if session is not None:
            c.worker_id = session.worker_id
            worker = self.farms[c.queue.farm_id].workers.get(session.worker_id)
        return assess_stall(
            run_status=c.row.run_status,
            now=self.now,
            worker_label=_worker_label(worker, c.worker_id) if c.worker_id else None,
            worker_status=worker.status if worker else None,
            session_open=None if session is None else session.ended_at is None,
            session_ended_at=None if session is None else session.ended_at,
            last_log_at=log.at if log else None,
            log_missing=bool(log and log.missing),
            attempt_started_at=c.row.started_at,
        )

    def _slow(self, c: _Candidate, got: Mapping[Any, Any]) -> Verdict | None:
        if not c.check_slow:
            return None
        rows = _step_tasks(got, c)
        if rows is None:
            return None
        started = c.row.started_at
        action = c.row.latest_session_action_id
        if c.row.retries and action:
            attempt = got.get(("attempt", action))
            started = attempt.started_at if attempt is not None else None
        if started is None:
            return None
        check = assess_slow(elapsed=self.now - started, durations=clean_durations(rows.rows))
        return check.verdict(started)

    # -- items --

    def _task_item(self, c: _Candidate, verdict: Verdict, got: Mapping[Any, Any]) -> AttentionItem:
        q, row = c.queue, c.row
        assert row.job_id is not None and row.step_id is not None
        job = q.job(row.job_id)
        step = got.get(("step", row.step_id))
        since = verdict.since or row.started_at or row.updated_at
        if since is not None:
            impact = max((self.now - since).total_seconds(), 0.0)
        else:
            # Held but never started, and no time known: the work it holds back (a typical
            # task of its step when it was read, else of its queue), not zero, or it would
            # rank below every lesser trouble.
            rows = _step_tasks(got, c)
            impact = _typical_seconds(rows.rows if rows is not None else q.sample_rows())
        what = row.parameter_summary or f"task {row.task_id.rpartition('-')[2]}"
        detail = " \u00b7 ".join(part for part in (step.name if step else "", what) if part)
        return AttentionItem(
            kind="stalled_task" if verdict.kind == "stalled" else "slow_task",
            reason=verdict.reason,
            impact=impact,
            url=_task_url(q.farm_id, q.queue_id, row.job_id, row.step_id, row.task_id),
            farm_id=q.farm_id,
            queue_id=q.queue_id,
            job_id=row.job_id,
            step_id=row.step_id,
            task_id=row.task_id,
            worker_id=c.worker_id,
            title=job.name if job else row.job_id,
            detail=detail,
            where=q.where,
        )

    def _queue_items(self, q: _Queue) -> list[AttentionItem]:
        items = []
        typical = _typical_seconds(q.sample_rows())
        jobs = q.jobs.jobs if q.jobs else ()
        if q.queue.status == "SCHEDULING_BLOCKED":
            waiting = sum(
                n
                for job in jobs
                for status, n in job.task_run_status_counts
                if not status.is_terminal
            )
            why = (q.queue.blocked_reason or "no reason given").replace("_", " ").lower()
            tasks = "task waits" if waiting == 1 else "tasks wait"
            items.append(
                AttentionItem(
                    kind="blocked_queue",
                    reason=f"scheduling blocked: {why}; {waiting:,} {tasks} on it",
                    impact=waiting * typical,
                    url=_url("queue_detail", farm_id=q.farm_id, queue_id=q.queue_id),
                    farm_id=q.farm_id,
                    queue_id=q.queue_id,
                    title=q.queue.display_name,
                    where=q.farm_name,
                )
            )
        since = self.now - recent()
        for job in jobs:
            failed = job.status_counts.get(TaskRunStatus.FAILED, 0)
            unfinished = job.ended_at is None
            if not failed or not (unfinished or (job.ended_at and job.ended_at >= since)):
                continue
            per_task = (
                _typical_seconds([r for r in q.sample_rows() if r.job_id == job.job_id])
                if q.sample_rows()
                else typical
            )
            if unfinished:
                state = (
                    "still running"
                    if _is_running(job)
                    else "the rest cannot finish without them"
                    if _stuck(job)
                    else "not finished"
                )
            else:
                assert job.ended_at is not None
                state = f"ended {span((self.now - job.ended_at).total_seconds())} ago"
            # Tasks that wait on the failed ones are held up by them too.
            held = job.status_counts.get(TaskRunStatus.PENDING, 0) if _stuck(job) else 0
            items.append(
                AttentionItem(
                    kind="failed_job",
                    reason=f"{failed:,} of {job.total_tasks:,} tasks failed; {state}",
                    impact=(failed + held) * per_task,
                    url=job_failures_url(q.farm_id, q.queue_id, job.job_id),
                    farm_id=q.farm_id,
                    queue_id=q.queue_id,
                    job_id=job.job_id,
                    title=job.name,
                    where=q.where,
                )
            )
        items.extend(self._waiting_items(q, jobs, typical))
        return items

    def _waiting_items(self, q: _Queue, jobs: Sequence[Job], typical: float) -> list[AttentionItem]:
        """Jobs waiting too long for a reason an operator can act on (attention_waiting)."""
        return [
            AttentionItem(
                kind="waiting_job",
                reason=found.reason,
                impact=found.report.waiting * typical,
                url=_url(
                    "job_blockers", farm_id=q.farm_id, queue_id=q.queue_id, job_id=found.job.job_id
                ),
                farm_id=q.farm_id,
                queue_id=q.queue_id,
                job_id=found.job.job_id,
                title=found.job.name,
                where=q.where,
            )
            for found in waiting_jobs(
                farm_id=q.farm_id, queue_id=q.queue_id, jobs=jobs, now=self.now
            )
        ]

    # -- workers --

    def _tally(self, tallies: dict[str, WorkerTally], farm_id: str, worker_id: str) -> WorkerTally:
        tally = tallies.get(worker_id)
        if tally is None:
            worker = self.farms[farm_id].workers.get(worker_id)
            tally = tallies[worker_id] = WorkerTally(
                worker_id=worker_id,
                fleet_id=worker.fleet_id if worker else None,
                label=_worker_label(worker, worker_id),
                status=worker.status if worker else "",
                farm_id=farm_id,
                open_sessions=self.farms[farm_id].open_sessions.get(worker_id, 0),
            )
        return tally

    def _health(self, tallies: dict[str, WorkerTally], got: Mapping[Any, Any]) -> None:
        since = self.now - recent()
        for q, job in self.health_jobs:
            sessions: SessionList | None = got.get(("job sessions", job.job_id))
            outcomes: ActionOutcomes | None = got.get(("job attempts", job.job_id))
            if sessions is None or outcomes is None:
                continue
            worker_of = {s.session_id: s.worker_id for s in sessions.sessions if s.worker_id}
            for action in outcomes.actions:
                worker_id = worker_of.get(action.session_id)
                ended = action.ended_at
                if worker_id is None or ended is None or ended < since:
                    continue
                if action.status not in (ActionStatus.SUCCEEDED, ActionStatus.FAILED):
                    continue
                tally = self._tally(tallies, q.farm_id, worker_id)
                tally.attempts += 1
                if action.status is ActionStatus.FAILED:
                    url = ""
                    if action.task_id and action.step_id:
                        url = _task_url(
                            q.farm_id, q.queue_id, job.job_id, action.step_id, action.task_id
                        )
                        url += f"?attempt={action.session_action_id}#attempts"
                    seconds = action.duration.total_seconds() if action.duration else 0.0
                    tally.add_failure(seconds, url, ended)
        for farm in self.farms.values():
            for worker_id in farm.open_sessions:
                self._tally(tallies, farm.farm_id, worker_id)

    def _worker_items(self, tallies: dict[str, WorkerTally]) -> list[AttentionItem]:
        items = []
        total_attempts = sum(t.attempts for t in tallies.values())
        total_failures = sum(t.failures for t in tallies.values())
        for tally in tallies.values():
            reason = assess_worker(
                tally,
                others_attempts=total_attempts - tally.attempts,
                others_failures=total_failures - tally.failures,
            )
            if reason is None:
                continue
            farm = self.farms.get(tally.farm_id)
            items.append(
                AttentionItem(
                    kind="sick_worker",
                    reason=reason,
                    impact=tally.failed_seconds + tally.stalled_seconds,
                    url=tally.evidence or _url("farm_detail", farm_id=tally.farm_id),
                    farm_id=tally.farm_id,
                    worker_id=tally.worker_id,
                    fleet_id=tally.fleet_id,
                    title=tally.label,
                    where=farm.name if farm else tally.farm_id,
                )
            )
        return items


def _worker_label(worker: Worker | None, worker_id: str | None) -> str:
    if worker is not None and worker.host_name:
        return worker.host_name.split(".")[0]
    return worker_id or "an unknown worker"


def _durations_by_step(rows: Iterable[TaskRow]) -> dict[str, list[float]]:
    found: dict[str, list[TaskRow]] = defaultdict(list)
    for row in rows:
        if row.step_id:
            found[row.step_id].append(row)
    return {step: clean_durations(step_rows) for step, step_rows in found.items()}


def _step_tasks(got: Mapping[Any, Any], c: _Candidate) -> TaskRows | None:
    """The candidate's step's tasks, if this round read them (``round_three_reads``)."""
    return got.get(("step tasks", c.queue.queue_id, c.row.job_id, c.row.step_id))


def _typical_seconds(rows: Sequence[TaskRow]) -> float:
    stats = DurationStats.of(clean_durations(rows))
    return stats.p50 if stats is not None else DEFAULT_TASK_SECONDS


def _is_running(job: Job) -> bool:
    return any(status in LIVE_STATUSES and n for status, n in job.task_run_status_counts)


def _stuck(job: Job) -> bool:
    """Nothing runs or waits to run but PENDING tasks: they wait on failed dependencies."""
    counts = job.status_counts
    return counts.get(TaskRunStatus.PENDING, 0) > 0 and not any(
        counts.get(s, 0) for s in (TaskRunStatus.READY, *LIVE_STATUSES)
    )


def _most_failed(jobs: JobList | None, current: datetime) -> list[Job]:
    """The jobs whose attempts say most about the queue's workers: those with the most failed
    attempts (failed tasks plus retries) that ran recently, at most HEALTH_JOBS."""
    if jobs is None:
        return []
    since = current - recent()

    def failures(job: Job) -> int:
        return job.status_counts.get(TaskRunStatus.FAILED, 0) + (job.task_failure_retry_count or 0)

    ran = [j for j in jobs.jobs if failures(j) and (j.ended_at is None or j.ended_at >= since)]
    return sorted(ran, key=lambda j: (-failures(j), j.job_id))[:HEALTH_JOBS]


# --- What the other pages show -----------------------------------------------------------------


@dataclass(frozen=True)
class PageFlags:
    """The report's stalled and slow tasks for one page (``report`` None: not built yet, and
    ``problem`` says so)."""

    report: AttentionReport | None
    problem: str = ""

    @property
    def version(self) -> str:
        return self.report.version if self.report else "none"

    @property
    def checked_at(self) -> datetime | None:
        return self.report.checked_at if self.report else None

    def for_job(self, job_id: str) -> list[AttentionItem]:
        return self.report.for_job(job_id) if self.report else []

    def for_tasks(self, job_id: str) -> dict[str, AttentionItem]:
        return self.report.for_tasks(job_id) if self.report else {}

    def counts(self, ids: Iterable[str], attribute: str) -> dict[str, dict[str, int]]:
        return self.report.task_counts(ids, attribute) if self.report else {}


def page_flags() -> PageFlags:
    """The report as last built (by ``/attention/`` or the header's count, which every page
    loads after itself), for a queue, job or step page: never waits for a rebuild, never
    calls the API. None before the first build: the page's next refresh fills it in."""
    report = cached_only(kind=REPORT_KIND, ids=REPORT_IDS, parse=AttentionReport)
    if report is None:
        return PageFlags(
            report=None,
            problem="The farm-wide check for stalled and slow tasks has not run yet; "
            "this fills in on the next refresh.",
        )
    return PageFlags(report=report)


# --- One task (the task page) ------------------------------------------------------------------


@dataclass(frozen=True)
class TaskAttention:
    """The task page's verdict on one task: stalled or slow (``verdict``), the slowness check
    behind it (too few samples included), and what could not be read."""

    verdict: Verdict | None = None
    slow: SlowCheck | None = None
    problems: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        """A digest of what the page shows of it (equal: nothing to redraw)."""
        parts = (self.verdict, self.slow and self.slow.summary, self.problems)
        return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def task_attention(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    run_status: TaskRunStatus,
    attempt: Any,
    current: datetime | None = None,
) -> TaskAttention:
    """Judge one task from its latest attempt (``selectors.triage.Attempt``: its worker's
    status, its session, its start), its log's last line and its step's finished tasks.
    Reads only what the verdict needs: the log when the attempt has run for
    DASHBOARD_STALL_SECONDS, the step's tasks when the task runs. Never raises."""
    if run_status not in LIVE_STATUSES or attempt is None:
        return TaskAttention()
    current = now() if current is None else current
    started = attempt.action.started_at or (attempt.session.started_at if attempt.session else None)
    reads: dict[str, Callable[[], Any]] = {}
    if started is not None and current - started >= stall_after() and attempt.status.is_live:
        reads["log"] = lambda: last_log_event(
            farm_id=farm_id,
            queue_id=queue_id,
            session_id=attempt.session_id,
            session=attempt.session,
        )
    if run_status is TaskRunStatus.RUNNING:
        reads["step"] = lambda: step_tasks(
            farm_id=farm_id, queue_id=queue_id, job_id=job_id, step_id=step_id
        )
    got, errors = _gather(reads)
    problems = tuple(
        f"Could not read the {key}'s data: {_message(exc)}" for key, exc in errors.items()
    )
    worker = attempt.worker
    session = attempt.session
    log: LastLogEvent | None = got.get("log")
    verdict = None
    if attempt.status.is_live:
        verdict = assess_stall(
            run_status=run_status,
            now=current,
            worker_label=attempt.worker_label if attempt.worker_id else None,
            worker_status=worker.status if worker else None,
            session_open=None if session is None else session.ended_at is None,
            session_ended_at=None if session is None else session.ended_at,
            last_log_at=log.at if log else None,
            log_missing=bool(log and log.missing),
            attempt_started_at=started,
        )
    slow = None
    rows: TaskRows | None = got.get("step")
    if rows is not None:
        running_since = (
            attempt.action.started_at if attempt.status is ActionStatus.RUNNING else None
        )
        slow = assess_slow(
            elapsed=None if running_since is None else current - running_since,
            durations=clean_durations(rows.rows),
        )
        if verdict is None:
            verdict = slow.verdict(running_since)
    return TaskAttention(verdict=verdict, slow=slow, problems=problems)
