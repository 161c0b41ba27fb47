"""Why tasks failed, read within an API budget and cached where every viewer finds it.

For a job, a step or a queue's recent jobs (``FailureScope``), an analysis

1. lists the failed tasks: SearchTasks filtered on ``RUN_STATUS`` (an *assumed* name, see
   ``deadline_facts.search_names``), checked item by item; when the service refuses the
   filter or ignores it (an item that is not FAILED comes back), ListTasks per failing step
   (what the official ``deadline`` CLI does) filtered here;
2. reads each failed task's failing attempt (its ``latestSessionActionId``) and that
   attempt's session in batches of 100 (BatchGetSessionAction, BatchGetSession; one call per
   item where the batch operation is not available), on a bounded pool;
3. reads the tail of each failing attempt's log window (GetLogEvents, the very page the task
   page shows, so a click on an example costs nothing), at most
   ``DASHBOARD_FAILURES_MAX_LOGS`` per view: the other attempts keep the signature of their
   exit code and progress message, so counts stay exact;
4. samples tasks that succeeded after a retry (did a retry ever help?) and the job's sessions
   per worker (the baseline a worker cluster is measured against).

Every attempt's result is cached in the shared cache as soon as it is known (finished
attempts never change: ``DASHBOARD_FAILURES_CACHE_SECONDS``), so the page shows groups while
the rest streams in, another process can report progress, and a second viewer costs nothing.
One analysis per scope runs at a time across processes (a lease in the cache).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from ..deadline import client as deadline_client
from ..deadline import search
from ..deadline.cache import claim, forget, load_many, release, store_many
from ..deadline.calls import call, list_every
from ..deadline.errors import AccessDenied, DeadlineError, InvalidRequest, NotFound
from ..deadline.logs import LogNotFound
from ..deadline.resilience import ContextThreadPoolExecutor
from ..deadline.session_types import (
    SETUP_ACTIONS,
    ActionStatus,
    LogPage,
    Session,
    SessionAction,
    session_id_of,
)
from ..deadline.types import (
    UNFINISHED_RUN_STATUSES,
    Cacheable,
    Job,
    TaskRunStatus,
    TaskSummary,
    compact,
    format_datetime,
    is_settled,
    parse_datetime,
)
from . import signatures
from .browse import get_job_status, get_step_status, list_steps
from .resources import get_farm, get_job, get_queue, now, read_concurrently
from .task_table import StepIds, list_step_tasks
from .triage import Attempt, get_log_tail, log_location

logger = logging.getLogger(__name__)

#: Search* pages are at most 100 items; Search* reaches offsets up to 10,000.
PAGE_SIZE = 100
SEARCH_WINDOW = 10_000
#: BatchGet* take at most 100 identifiers.
BATCH_SIZE = 100
#: Logs read per exit code and progress message before the rest are grouped by them.
LOG_SAMPLES_PER_EXIT = 8
#: Tasks that succeeded after a retry, read to tell flaky causes from deterministic ones.
FLAKY_SAMPLE = 50
#: ListSessions pages (of 100) read per job for the per-worker baseline of clusters.
BASELINE_PAGES = 3
#: Jobs of a queue window analysed at most (newest first).
MAX_QUEUE_JOBS = 200
#: The queue view's windows, in hours (the first is the default).
WINDOWS = (24, 6, 72, 168)
#: How long an analysis holds its lease (another process takes over after it lapses).
LEASE_SECONDS = 120.0
#: Failures whose log could not be read for a passing reason are retried after this.
RETRY_SECONDS = 60.0

SEARCH = "search"  # SearchTasks with RUN_STATUS honoured
LIST = "list"  # ListTasks of every failing step, filtered here


def max_logs() -> int:
    return int(settings.DASHBOARD_FAILURES_MAX_LOGS)


def max_tasks() -> int:
    return int(settings.DASHBOARD_FAILURES_MAX_TASKS)


def _entry_ttl() -> float:
    return float(settings.DASHBOARD_FAILURES_CACHE_SECONDS)


# --- Scope -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailureScope:
    """Whose failures: a job, one of its steps, or a queue's jobs of the last ``window_hours``."""

    farm_id: str
    queue_id: str
    job_id: str = ""
    step_id: str = ""
    window_hours: int = WINDOWS[0]

    @property
    def kind(self) -> str:
        return "step" if self.step_id else "job" if self.job_id else "queue"

    @property
    def ids(self) -> tuple[str, ...]:
        """Cache key parts: the resource path (and the window of a queue)."""
        if self.kind == "queue":
            return (self.farm_id, self.queue_id, f"{self.window_hours}h")
        return tuple(i for i in (self.farm_id, self.queue_id, self.job_id, self.step_id) if i)


# --- Cached records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedTask:
    """One failed task as listed: its row (retries, parameters, latest attempt) and job."""

    job_id: str
    summary: TaskSummary

    @property
    def task_id(self) -> str:
        return self.summary.task_id

    @property
    def step_id(self) -> str:
        return self.summary.step_id or ""

    @property
    def action_id(self) -> str | None:
        return self.summary.latest_session_action_id

    @classmethod
    def from_api(
        cls, answer: Mapping[str, Any], *, job_id: str = "", step_id: str = ""
    ) -> FailedTask:
        summary = TaskSummary.from_api(answer)
        if summary.step_id is None and step_id:
            summary = replace(summary, step_id=step_id)
        return cls(job_id=str(answer.get("jobId") or job_id), summary=summary)

    def to_cache(self) -> dict[str, Any]:
        return {"jobId": self.job_id, **self.summary.to_cache()}


@dataclass(frozen=True)
class JobBrief:
    """A job a queue view covers: its name, failed count and whether it has settled."""

    job_id: str
    name: str
    failed: int
    settled: bool

    def to_cache(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "name": self.name,
            "failed": self.failed,
            "settled": self.settled,
        }

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> JobBrief:
        return cls(
            str(data["jobId"]), str(data["name"]), int(data["failed"]), bool(data["settled"])
        )


@dataclass(frozen=True)
class Listing(Cacheable):
    """The failed tasks of a scope, and what the API said about the scope when they were
    listed: names, the FAILED count, whether everything has settled, how they were listed."""

    tasks: tuple[FailedTask, ...]
    expected: int  # FAILED count the API reported for the scope
    method: str  # SEARCH | LIST
    complete: bool
    settled: bool
    listed_at: datetime
    names: tuple[tuple[str, str], ...] = ()  # kind or ID -> display name
    jobs: tuple[JobBrief, ...] = ()  # queue scope: the jobs covered
    jobs_matched: int = 0  # queue scope: the window's jobs SearchJobs counted (>= len(jobs))
    beyond: int = 0  # failed tasks past the listing cap (counted, not analysed)
    retried: tuple[FailedTask, ...] = ()  # successes after a retry seen while listing

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Listing:
        return cls(
            tasks=tuple(FailedTask.from_api(t) for t in answer["tasks"]),
            expected=int(answer["expected"]),
            method=str(answer["method"]),
            complete=bool(answer["complete"]),
            settled=bool(answer["settled"]),
            listed_at=parse_datetime(answer["listedAt"]) or now(),
            names=tuple((str(k), str(v)) for k, v in answer.get("names") or ()),
            jobs=tuple(JobBrief.from_cache(j) for j in answer.get("jobs") or ()),
            jobs_matched=int(answer.get("jobsMatched") or 0),
            beyond=int(answer.get("beyond") or 0),
            retried=tuple(FailedTask.from_api(t) for t in answer.get("retried") or ()),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "tasks": [t.to_cache() for t in self.tasks],
            "expected": self.expected,
            "method": self.method,
            "complete": self.complete,
            "settled": self.settled,
            "listedAt": format_datetime(self.listed_at),
            "names": [list(pair) for pair in self.names],
            "jobs": [j.to_cache() for j in self.jobs],
            "jobsMatched": self.jobs_matched,
            "beyond": self.beyond,
            "retried": [t.to_cache() for t in self.retried],
        }

    def name(self, key: str) -> str | None:
        return dict(self.names).get(key)


@dataclass(frozen=True)
class AttemptFailure(Cacheable):
    """What one failing attempt says: status, exit code, message, worker and signature."""

    session_action_id: str
    status: ActionStatus
    signature: str
    title: str
    source: str
    exit_code: int | None = None
    message: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    worker_id: str | None = None
    host_name: str | None = None
    line: int | None = None  # 1-based, in the attempt's latest log page (the task page's)
    line_at_ms: int | None = None
    exit_signature: str = ""
    failed_in: str = ""  # the setup action that failed instead of the task run, if any

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> AttemptFailure:
        return cls(
            session_action_id=str(answer["sessionActionId"]),
            status=ActionStatus.parse(answer.get("status")),
            signature=str(answer["signature"]),
            title=str(answer["title"]),
            source=str(answer["source"]),
            exit_code=answer.get("exitCode"),
            message=answer.get("message"),
            started_at=parse_datetime(answer.get("startedAt")),
            ended_at=parse_datetime(answer.get("endedAt")),
            worker_id=answer.get("workerId"),
            host_name=answer.get("hostName"),
            line=answer.get("line"),
            line_at_ms=answer.get("lineAtMs"),
            exit_signature=str(answer.get("exitSignature") or ""),
            failed_in=str(answer.get("failedIn") or ""),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "sessionActionId": self.session_action_id,
                "status": self.status.value,
                "signature": self.signature,
                "title": self.title,
                "source": self.source,
                "exitCode": self.exit_code,
                "message": self.message,
                "startedAt": format_datetime(self.started_at),
                "endedAt": format_datetime(self.ended_at),
                "workerId": self.worker_id,
                "hostName": self.host_name,
                "line": self.line,
                "lineAtMs": self.line_at_ms,
                "exitSignature": self.exit_signature,
                "failedIn": self.failed_in or None,
            }
        )

    @property
    def session_id(self) -> str:
        return session_id_of(self.session_action_id)

    @property
    def worker_label(self) -> str:
        if self.host_name:
            return self.host_name.split(".")[0]
        return self.worker_id or "an unknown worker"


@dataclass(frozen=True)
class RetriedSuccess(Cacheable):
    """A task that succeeded after failed attempts: each failed attempt's exit code and
    message (its signature is matched to the groups by them, or by its cached log)."""

    task_id: str
    failures: tuple[tuple[str, int | None, str | None], ...]  # (session action, exit, message)

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> RetriedSuccess:
        return cls(
            task_id=str(answer["taskId"]),
            failures=tuple(
                (str(f["sessionActionId"]), f.get("exitCode"), f.get("message"))
                for f in answer.get("failures") or ()
            ),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "failures": [
                {"sessionActionId": sa, "exitCode": code, "message": message}
                for sa, code, message in self.failures
            ],
        }


@dataclass(frozen=True)
class WorkerSample(Cacheable):
    """Sessions per worker in (the first pages of) a job's sessions: the baseline share."""

    counts: tuple[tuple[str, int], ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> WorkerSample:
        return cls(counts=tuple((str(w), int(n)) for w, n in answer.get("counts") or ()))

    def to_cache(self) -> dict[str, Any]:
        return {"counts": [list(pair) for pair in self.counts]}


# --- Cache entries -----------------------------------------------------------------------------

_LISTING = "failure-listing"
_ATTEMPT = "failure-attempt"
_RETRIED = "failure-retried"
_SAMPLE = "failure-workers"
_RUN = "failure-run"


def load_listing(scope: FailureScope) -> Listing | None:
    return load_many(_LISTING, [scope.ids], Listing).get(scope.ids)


def _store_listing(scope: FailureScope, listing: Listing) -> None:
    if listing.complete:
        ttl = (
            settings.DASHBOARD_TERMINAL_POLL_SECONDS
            if listing.settled
            else settings.DEADLINE_CACHE_SECONDS
        )
    else:
        ttl = LEASE_SECONDS  # progress while listing: replaced when complete
    store_many(_LISTING, {scope.ids: listing}, ttl)


def _attempt_ids(farm_id: str, queue_id: str, job_id: str, action_id: str) -> tuple[str, ...]:
    return (farm_id, queue_id, job_id, action_id)


def load_attempts(scope: FailureScope, tasks: Iterable[FailedTask]) -> dict[str, AttemptFailure]:
    """session action ID -> its cached analysis, for the tasks' failing attempts."""
    wanted = {
        _attempt_ids(scope.farm_id, scope.queue_id, t.job_id, t.action_id): t.action_id
        for t in tasks
        if t.action_id
    }
    found = load_many(_ATTEMPT, wanted, AttemptFailure)
    return {wanted[ids]: value for ids, value in found.items()}


def load_attempt(
    *, farm_id: str, queue_id: str, job_id: str, session_action_id: str
) -> AttemptFailure | None:
    """The cached analysis of one attempt (the task page shows its signature when known)."""
    ids = _attempt_ids(farm_id, queue_id, job_id, session_action_id)
    return load_many(_ATTEMPT, [ids], AttemptFailure).get(ids)


def load_retried(scope: FailureScope, tasks: Iterable[FailedTask]) -> dict[str, RetriedSuccess]:
    wanted = {(scope.farm_id, scope.queue_id, t.job_id, t.task_id): t.task_id for t in tasks}
    found = load_many(_RETRIED, wanted, RetriedSuccess)
    return {wanted[ids]: value for ids, value in found.items()}


def load_samples(scope: FailureScope, job_ids: Iterable[str]) -> dict[str, WorkerSample]:
    wanted = {(scope.farm_id, scope.queue_id, job_id): job_id for job_id in job_ids}
    found = load_many(_SAMPLE, wanted, WorkerSample)
    return {wanted[ids]: value for ids, value in found.items()}


# --- Pools -------------------------------------------------------------------------------------

#: Threads per process for the listing and batch reads, apart from the log reads so they
#: never queue behind them (DASHBOARD_FAILURES_CONCURRENCY sizes the log reads' pool).
META_THREADS = 4


@dataclass(frozen=True)
class _Pools:
    logs: ContextThreadPoolExecutor  # log reads (and a retried task's attempts)
    meta: ContextThreadPoolExecutor  # searches, batch reads, session samples
    runs: ThreadPoolExecutor  # the analyses themselves: they wait on the two above


_pools_now: _Pools | None = None
_pools_lock = threading.Lock()


def _pools() -> _Pools:
    """The bounded pools every analysis of this process shares (created on first use, again
    if DASHBOARD_FAILURES_CONCURRENCY changed). Their tasks never wait on anything."""
    global _pools_now  # one set per process
    size = int(settings.DASHBOARD_FAILURES_CONCURRENCY)
    with _pools_lock:
        if _pools_now is None or _pools_now.logs._max_workers != size:
            _pools_now = _Pools(
                logs=ContextThreadPoolExecutor(max_workers=size, thread_name_prefix="failure-log"),
                meta=ContextThreadPoolExecutor(
                    max_workers=META_THREADS, thread_name_prefix="failure-read"
                ),
                runs=ThreadPoolExecutor(max_workers=4, thread_name_prefix="failure-run"),
            )
        return _pools_now


# --- Listing failed tasks ----------------------------------------------------------------------


class _FilterNotHonoured(Exception):
    """SearchTasks refused the filter (ValidationException) or ignored it."""

    def __init__(self, verdict: str) -> None:
        super().__init__(verdict)
        self.verdict = verdict


def _search_page(
    *, farm_id: str, queue_id: str, job_id: str, filters: list[dict[str, Any]], offset: int
) -> dict[str, Any]:
    """One SearchTasks page through ``deadline.search``: a name this backend refuses (now, or
    known from before, for any page that sent it) raises _FilterNotHonoured."""
    params = {
        "farmId": farm_id,
        "queueIds": [queue_id],
        "jobId": job_id,
        "itemOffset": offset,
        "pageSize": PAGE_SIZE,
        "filterExpressions": {"operator": "AND", "filters": filters},
    }
    try:
        return search.search("SearchTasks", params)
    except search.NamesUnusable as exc:
        raise _FilterNotHonoured(exc.verdict) from exc


def _remember_ignored(filters: list[dict[str, Any]], name: str) -> None:
    """The rows prove the service ignored ``name``: every view learns it (shared cache)."""
    request = {"filterExpressions": {"operator": "AND", "filters": filters}}
    for use in search.names_in("SearchTasks", request):
        if use.name == name and not use.confirmed:
            search.remember(use, search.IGNORED)


def _failed_rows(
    answer: Mapping[str, Any],
    *,
    status: str,
    job_id: str,
    step_id: str,
    filters: list[dict[str, Any]],
) -> list[FailedTask]:
    """The page's items of ``status`` (of ``step_id`` if given). An item with another run
    status proves the RUN_STATUS filter was ignored; one of another step, that STEP_ID was
    (those are filtered out here: RUN_STATUS kept the list small)."""
    rows = []
    for item in answer.get("tasks") or ():
        run_status = item.get("runStatus")
        if run_status is not None and run_status != status:
            _remember_ignored(filters, "RUN_STATUS")
            raise _FilterNotHonoured(search.IGNORED)
        if step_id and item.get("stepId") not in (None, step_id):
            _remember_ignored(filters, "STEP_ID")
            continue
        rows.append(FailedTask.from_api(item, job_id=job_id, step_id=step_id))
    return rows


def _search_by_status(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    status: str,
    limit: int,
    on_rows: Callable[[list[FailedTask]], None],
    pool: ContextThreadPoolExecutor,
) -> int:
    """Every task of ``status`` in the job (or step) by SearchTasks, pages after the first
    concurrently; ``on_rows`` gets each page. Returns how many matched in all (past
    ``limit`` they are counted, not listed). Raises _FilterNotHonoured."""
    attempts: list[list[dict[str, Any]]] = [[search.string_filter("RUN_STATUS", status)]]
    if step_id:
        # STEP_ID is assumed too: with it first, then without it (filtered here).
        attempts.insert(
            0,
            [search.string_filter("RUN_STATUS", status), search.string_filter("STEP_ID", step_id)],
        )
    first: dict[str, Any] | None = None
    filters: list[dict[str, Any]] = attempts[-1]
    for filters in attempts:
        try:
            first = _search_page(
                farm_id=farm_id, queue_id=queue_id, job_id=job_id, filters=filters, offset=0
            )
            break
        except _FilterNotHonoured:
            continue
    if first is None:
        raise _FilterNotHonoured(search.REFUSED)
    page = dict(farm_id=farm_id, queue_id=queue_id, job_id=job_id, filters=filters)
    keep = dict(status=status, job_id=job_id, step_id=step_id, filters=filters)
    on_rows(_failed_rows(first, **keep))
    total = int(first.get("totalResults") or 0)
    reachable = min(total, SEARCH_WINDOW, limit)
    futures = [
        pool.submit(_search_page, **page, offset=offset)
        for offset in range(PAGE_SIZE, reachable, PAGE_SIZE)
    ]
    for future in futures:
        on_rows(_failed_rows(future.result(), **keep))
    return total


def _list_step_tasks(
    *, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> tuple[list[FailedTask], list[FailedTask]]:
    """Every task of one step by ListTasks (the official CLI's way; the listing the step
    page's own fallback reads, cached): its FAILED tasks, and those that SUCCEEDED after a
    retry."""
    listing = list_step_tasks(StepIds(farm_id, queue_id, job_id, step_id))
    failed, retried = [], []
    for summary in listing.tasks:
        task = FailedTask(job_id=job_id, summary=summary)
        if summary.run_status is TaskRunStatus.FAILED:
            failed.append(task)
        elif summary.run_status is TaskRunStatus.SUCCEEDED and summary.retries:
            retried.append(task)
    return failed, retried


@dataclass
class _Collector:
    """Failed tasks as they are listed (thread-safe), de-duplicated, capped."""

    limit: int
    on_new: Callable[[list[FailedTask]], None]
    tasks: dict[str, FailedTask] = field(default_factory=dict)
    retried: dict[str, FailedTask] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rows: Sequence[FailedTask]) -> None:
        fresh = []
        with self.lock:
            for row in rows:
                if row.task_id not in self.tasks and len(self.tasks) < self.limit:
                    self.tasks[row.task_id] = row
                    fresh.append(row)
        if fresh:
            self.on_new(fresh)

    def add_retried(self, rows: Sequence[FailedTask]) -> None:
        with self.lock:
            for row in rows:
                self.retried.setdefault(row.task_id, row)


# --- The analysis ------------------------------------------------------------------------------


@dataclass
class Progress:
    """An analysis in this process: when it is done, what failed, and how far it got."""

    done: threading.Event = field(default_factory=threading.Event)
    listed: threading.Event = field(default_factory=threading.Event)
    first: threading.Event = field(default_factory=threading.Event)
    error: DeadlineError | None = None
    logs_read: int = 0


_runs: dict[tuple[str, ...], Progress] = {}
_runs_lock = threading.Lock()


def running(scope: FailureScope) -> Progress | None:
    """This process's analysis of ``scope`` if one is under way."""
    with _runs_lock:
        progress = _runs.get(scope.ids)
    return progress if progress is not None and not progress.done.is_set() else None


def start(scope: FailureScope, *, more_logs: bool = False) -> Progress | None:
    """Start an analysis of ``scope`` unless one runs (here: returned; in another process:
    None, its progress shows through the cache). With a broker, never here: the workers run
    analyses (services.failure_runs), under a lease this process's threads would not hold."""
    if not settings.DASHBOARD_TASKS_IN_PROCESS:
        return None
    with _runs_lock:
        progress = _runs.get(scope.ids)
        if progress is not None and not progress.done.is_set():
            return progress
        if not claim(_RUN, scope.ids, LEASE_SECONDS):
            return None
        progress = _runs[scope.ids] = Progress()
    _pools().runs.submit(_run, scope, progress, more_logs)
    return progress


def run_here(scope: FailureScope, *, more_logs: bool = False) -> Progress:
    """Run an analysis of ``scope`` in the calling thread, to its end: a worker's task, which
    holds the scope's lease itself (services.failure_runs)."""
    progress = Progress()
    _run(scope, progress, more_logs, claimed=False)
    return progress


def _run(scope: FailureScope, progress: Progress, more_logs: bool, *, claimed: bool = True) -> None:
    try:
        _Analysis(scope, progress, more_logs=more_logs).run()
    except DeadlineError as exc:
        progress.error = exc
        logger.warning("failure analysis of %s stopped: %s", "/".join(scope.ids), exc.message)
    except Exception:  # a bug must not leave the page polling forever
        logger.exception("failure analysis of %s failed", "/".join(scope.ids))
        progress.error = DeadlineError("The analysis stopped on an unexpected error.")
    finally:
        if claimed:
            release(_RUN, scope.ids)
        progress.listed.set()
        progress.first.set()
        progress.done.set()


class _LogBudget:
    def __init__(self, allowed: int) -> None:
        self._left = allowed
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


class _Analysis:
    """One run: list, then analyse each page of failed tasks as it arrives.

    Logs are read where they tell something new: for each exit code and progress message,
    the first LOG_SAMPLES_PER_EXIT failing attempts; the others with that exit code and
    message are grouped with the cause those logs showed, unless the samples disagree, when
    the rest of them are read too (within the per-view cap)."""

    def __init__(self, scope: FailureScope, progress: Progress, *, more_logs: bool) -> None:
        self.scope = scope
        self.progress = progress
        self.more_logs = more_logs
        pools = _pools()
        self.pool = pools.meta
        self.log_pool = pools.logs
        self.budget = _LogBudget(max_logs())
        self.batches: list[Future[Any]] = []
        self.batches_lock = threading.Lock()
        self.partial: Listing | None = None
        self.published: list[FailedTask] = []
        self.publish_lock = threading.Lock()
        self.last_publish = 0.0
        self.samples_lock = threading.Lock()
        self.sampled: Counter[str] = Counter()  # exit signature -> logs asked for
        self.seen: dict[str, set[str]] = defaultdict(set)  # exit signature -> log signatures
        self.skipped: dict[str, list[tuple[FailedTask, SessionAction]]] = defaultdict(list)
        self.sessions: dict[str, Session] = {}  # the batches' sessions: where their logs are

    def submit(self, fn: Callable[..., Any], *args: Any, log: bool = False) -> None:
        """Run ``fn`` on a pool (the log reads' with ``log``); ``run`` waits for it (and for
        what it submits in turn)."""
        future = (self.log_pool if log else self.pool).submit(fn, *args)
        with self.batches_lock:
            self.batches.append(future)

    # -- listing --------------------------------------------------------------------------

    def run(self) -> None:
        scope = self.scope
        previous = load_listing(scope)
        collector = _Collector(limit=max_tasks(), on_new=self._analyse_soon)
        # A job's or step's failed tasks are searched while its counts and names are read.
        head_read = self.pool.submit(_read_head, scope)
        self.head_future = head_read
        if scope.kind == "queue":
            head = head_read.result()
            self._begin(head, previous)
        listed = self._list(collector)
        head = head_read.result()
        if scope.kind != "queue" and self.partial is None:
            self._begin(head, previous)
        method, total = listed
        tasks = tuple(sorted(collector.tasks.values(), key=_task_order))
        assert self.listing is not None
        listing = replace(
            self.listing,
            tasks=tasks,
            method=method,
            complete=True,
            beyond=max(0, total - len(tasks)),
            retried=tuple(collector.retried.values())[:FLAKY_SAMPLE],
        )
        with self.publish_lock:
            self.partial = None  # no partial listing may overwrite the complete one
            _store_listing(scope, listing)
        self.progress.listed.set()
        try:
            self._sample_retried(head, listing)
        except DeadlineError as exc:
            logger.info("retried successes not sampled: %s", exc.message)
        self._wait_for_batches()
        self._read_where_samples_disagree()
        self._wait_for_batches()

    def _begin(self, head: _Head, previous: Listing | None) -> None:
        """The listing in progress, from the scope's head (stored unless one is cached)."""
        listing = Listing(
            tasks=(),
            expected=head.expected,
            method=SEARCH,
            complete=False,
            settled=head.settled,
            listed_at=now(),
            names=head.names,
            jobs=head.jobs,
            jobs_matched=head.jobs_matched,
        )
        self.listing = listing
        # The jobs are known: their sessions per worker (cluster baselines), alongside.
        self.submit(self._sample_workers, head)
        with self.publish_lock:
            self.partial = listing
            if previous is None:
                _store_listing(self.scope, replace(listing, tasks=tuple(self.published)))

    def _wait_for_batches(self) -> None:
        while True:
            with self.batches_lock:
                pending = [b for b in self.batches if not b.done()]
            if not pending:
                return
            for batch in pending:
                batch.result()

    def _list(self, collector: _Collector) -> tuple[str, int]:
        """(method, how many failed tasks there are) after listing every one (capped)."""
        scope = self.scope
        if scope.kind == "queue":
            jobs = [j for j in self.head_future.result().jobs if j.failed]
            targets = [(j.job_id, "") for j in jobs]
        else:
            targets = [(scope.job_id, scope.step_id)]
        method = SEARCH
        totals: dict[str, int] = {}
        fallback: list[tuple[str, str]] = []
        for job_id, step_id in targets:
            try:
                totals[job_id] = _search_by_status(
                    farm_id=scope.farm_id,
                    queue_id=scope.queue_id,
                    job_id=job_id,
                    step_id=step_id,
                    status="FAILED",
                    limit=max_tasks(),
                    on_rows=collector.add,
                    pool=self.pool,
                )
            except _FilterNotHonoured as exc:
                logger.info("SearchTasks %s RUN_STATUS here: listing with ListTasks", exc.verdict)
                fallback.append((job_id, step_id))
        for job_id, step_id in fallback:
            method = LIST
            steps = [step_id] if step_id else _failing_steps(scope, job_id)
            futures = [
                self.pool.submit(
                    _list_step_tasks,
                    farm_id=scope.farm_id,
                    queue_id=scope.queue_id,
                    job_id=job_id,
                    step_id=s,
                )
                for s in steps
            ]
            count = 0
            for future in futures:
                failed, retried = future.result()
                count += len(failed)
                collector.add(failed)
                collector.add_retried(retried)
            totals[job_id] = count
        return method, sum(totals.values())

    # -- attempts -------------------------------------------------------------------------

    def _publish(self, rows: list[FailedTask]) -> None:
        """Store the listing so far (other processes show progress from it); at most twice a
        second after the first pages, and always before the rows' attempts are read."""
        with self.publish_lock:
            self.published.extend(rows)
            if self.partial is None:
                return
            moment = time.monotonic()
            if len(self.published) > 3 * PAGE_SIZE and moment - self.last_publish < 0.5:
                return
            self.last_publish = moment
            tasks = tuple(sorted(self.published, key=_task_order))
            _store_listing(self.scope, replace(self.partial, tasks=tasks))

    def _analyse_soon(self, rows: list[FailedTask]) -> None:
        if self.partial is None and self.scope.kind != "queue":
            # The first page came before the job's counts: wait for them (one round trip).
            self._begin(self.head_future.result(), load_listing(self.scope))
        self._publish(rows)
        for start in range(0, len(rows), BATCH_SIZE):
            self._analyse_batch(rows[start : start + BATCH_SIZE])

    def _analyse_batch(self, rows: list[FailedTask]) -> None:
        """Read the failing attempts of up to 100 failed tasks: their session actions and
        their sessions at once, then (actions known) their logs."""
        cached = load_attempts(self.scope, rows)
        todo = [
            r
            for r in rows
            if r.action_id
            and (
                r.action_id not in cached
                or (self.more_logs and cached[r.action_id].source == signatures.FROM_NOT_READ)
            )
        ]
        if len(todo) < len(rows):
            self.progress.first.set()  # some are known already (cached, or never attempted)
        if todo:
            _Batch(self, todo).start()

    def sessions_known(self, sessions: Mapping[str, Session]) -> None:
        """A batch's sessions, for the logs read after it (where the samples disagreed)."""
        with self.samples_lock:
            self.sessions.update(sessions)

    def decide(self, row: FailedTask, action: SessionAction) -> bool:
        """Read this failing attempt's log? (Else it is grouped by exit code and message.)"""
        key = signatures.exit_key(action.process_exit_code, action.progress_message)
        with self.samples_lock:
            wanted = self.more_logs or self.sampled[key] < LOG_SAMPLES_PER_EXIT
            if wanted and self.budget.take():
                self.sampled[key] += 1
                return True
            self.skipped[key].append((row, action))
            return False

    def learned(self, action: SessionAction, signature: str) -> None:
        key = signatures.exit_key(action.process_exit_code, action.progress_message)
        with self.samples_lock:
            self.seen[key].add(signature)

    def _read_where_samples_disagree(self) -> None:
        """Exit codes and messages whose sampled logs showed different causes: read the logs
        of the rest of those attempts too (within the cap)."""
        with self.samples_lock:
            ambiguous = [key for key, found in self.seen.items() if len(found) > 1]
            todo = [item for key in ambiguous for item in self.skipped.pop(key, [])]
        for row, action in todo:
            if not self.budget.take():
                break
            self.submit(self._read_one_log, row, action, log=True)

    def _read_one_log(self, row: FailedTask, action: SessionAction) -> None:
        """A log read after the batch: the attempt's entry is cached; replace its signature."""
        ids = _attempt_ids(
            self.scope.farm_id, self.scope.queue_id, row.job_id, action.session_action_id
        )
        known = load_many(_ATTEMPT, [ids], AttemptFailure).get(ids)
        with self.samples_lock:
            session = self.sessions.get(action.session_id)
        entry, ttl = self.log_entry(action, known or _entry(action, None), session)
        store_many(_ATTEMPT, {ids: entry}, ttl)

    def log_entry(
        self, action: SessionAction, entry: AttemptFailure, session: Session | None = None
    ) -> tuple[AttemptFailure, float]:
        """``entry`` with the signature of its attempt's log (read now), and its lifetime."""
        scope = self.scope
        attempt = Attempt(number=0, action=action)
        group, stream = log_location(
            farm_id=scope.farm_id,
            queue_id=scope.queue_id,
            session_id=action.session_id,
            session=session,
        )
        ttl = _entry_ttl()
        try:
            page: LogPage | None = get_log_tail(
                farm_id=scope.farm_id,
                queue_id=scope.queue_id,
                session_id=action.session_id,
                start=attempt.log_start,
                end=attempt.log_end,
                group=group,
                stream=stream,
            )
        except LogNotFound:
            page = None
            if action.ended_at is None or now() - action.ended_at < timedelta(minutes=5):
                ttl = RETRY_SECONDS  # CloudWatch may still be ingesting it
        except DeadlineError as exc:
            logger.info("log of %s unreadable: %s", action.session_action_id, exc.message)
            page, ttl = None, RETRY_SECONDS
        except Exception:  # one unreadable log must not stop the analysis of the others
            logger.exception("log of %s could not be read", action.session_action_id)
            page, ttl = None, RETRY_SECONDS
        self.progress.logs_read += 1
        if page is None:
            signature = signatures.signature_of(
                None,
                exit_code=action.process_exit_code,
                message=action.progress_message,
                fallback_source=signatures.FROM_NO_LOG,
            )
            return _with_signature(entry, signature), ttl
        lines = [line.message for line in page.lines]
        signature = signatures.signature_of(
            lines, exit_code=action.process_exit_code, message=action.progress_message
        )
        self.learned(action, signature.key)
        entry = _with_signature(entry, signature)
        if signature.line is not None:
            entry = replace(
                entry, line=signature.line + 1, line_at_ms=page.lines[signature.line].epoch_ms
            )
        return entry, ttl

    # -- samples --------------------------------------------------------------------------

    def _sample_workers(self, head: _Head) -> None:
        """Sessions per worker of the scope's jobs (the first pages), for cluster baselines."""
        scope = self.scope
        job_ids = (
            [j.job_id for j in head.jobs if j.failed][:20]
            if scope.kind == "queue"
            else [scope.job_id]
        )
        known = load_samples(scope, job_ids)
        pages = max(1, BASELINE_PAGES // max(1, len(job_ids)))
        for job_id in job_ids:
            if job_id in known:
                continue
            try:
                counts = _session_counts(scope, job_id, pages)
            except DeadlineError as exc:
                logger.info("no session sample of %s: %s", job_id, exc.message)
                continue
            settled = head.settled_job(job_id)
            sample = WorkerSample(counts=tuple(sorted(counts.items())))
            ttl = _entry_ttl() if settled else RETRY_SECONDS
            store_many(_SAMPLE, {(scope.farm_id, scope.queue_id, job_id): sample}, ttl)

    def _sample_retried(self, head: _Head, listing: Listing) -> None:
        """Up to FLAKY_SAMPLE tasks that succeeded after failing: their failed attempts."""
        scope = self.scope
        retried = list(listing.retried)
        if listing.method == SEARCH and not retried:
            retried = self._search_retried(head)
            if retried:
                _store_listing(scope, replace(listing, retried=tuple(retried)))
        known = load_retried(scope, retried)
        todo = [t for t in retried if t.task_id not in known]
        found: dict[tuple[str, ...], RetriedSuccess] = {}
        for task, failed_ids in zip(todo, self._failed_actions(todo), strict=True):
            found[(scope.farm_id, scope.queue_id, task.job_id, task.task_id)] = RetriedSuccess(
                task_id=task.task_id, failures=tuple((a, None, None) for a in failed_ids)
            )
        if not found:
            return
        # One batch read gives every failed attempt's exit code and message.
        rows = [
            FailedTask(
                job_id=ids[2],
                summary=TaskSummary(
                    task_id=value.task_id,
                    run_status=TaskRunStatus.SUCCEEDED,
                    latest_session_action_id=sa,
                ),
            )
            for ids, value in found.items()
            for sa, _, _ in value.failures
        ]
        actions, _ = _BatchOps().read(scope, rows, sessions=False)
        for ids, value in list(found.items()):
            found[ids] = replace(
                value,
                failures=tuple(
                    (sa, actions[sa].process_exit_code, actions[sa].progress_message)
                    for sa, _, _ in value.failures
                    if sa in actions
                ),
            )
        store_many(_RETRIED, found, _entry_ttl())

    def _search_retried(self, head: _Head) -> list[FailedTask]:
        """SUCCEEDED tasks of the scope with the most retries first (one search page per job).
        Sorting by FAILURE_RETRY_COUNT is assumed: an ignored sort still gives a sample."""
        scope = self.scope
        jobs = (
            [j.job_id for j in head.jobs if j.failed][:5]
            if scope.kind == "queue"
            else [scope.job_id]
        )
        found: list[FailedTask] = []
        for job_id in jobs:
            filters = [search.string_filter("RUN_STATUS", "SUCCEEDED")]
            if scope.step_id:
                filters.append(search.string_filter("STEP_ID", scope.step_id))
            params = {
                "farmId": scope.farm_id,
                "queueIds": [scope.queue_id],
                "jobId": job_id,
                "itemOffset": 0,
                "pageSize": PAGE_SIZE,
                "filterExpressions": {"operator": "AND", "filters": filters},
                "sortExpressions": [
                    {"fieldSort": {"name": "FAILURE_RETRY_COUNT", "sortOrder": "DESCENDING"}}
                ],
            }
            try:
                answer = search.search("SearchTasks", params)
                rows = _failed_rows(
                    answer,
                    status="SUCCEEDED",
                    job_id=job_id,
                    step_id=scope.step_id,
                    filters=filters,
                )
            except (_FilterNotHonoured, InvalidRequest):
                return found  # flakiness stays unknown rather than listing every task
            found += [r for r in rows if r.summary.retries]
        return found[:FLAKY_SAMPLE]

    def _failed_actions(self, tasks: list[FailedTask]) -> list[list[str]]:
        """The failed task-run actions of each task (ListSessionActions(taskId) each)."""
        scope = self.scope

        def failed_of(task: FailedTask) -> list[str]:
            answer = call(
                "ListSessionActions",
                farmId=scope.farm_id,
                queueId=scope.queue_id,
                jobId=task.job_id,
                taskId=task.task_id,
                maxResults=PAGE_SIZE,
            )
            return [
                str(item["sessionActionId"])
                for item in answer.get("sessionActions") or ()
                if (item.get("definition") or {}).get("taskRun") is not None
                and item.get("status") == "FAILED"
            ]

        futures = [self.log_pool.submit(failed_of, t) for t in tasks]
        results = []
        for future in futures:
            try:
                results.append(future.result())
            except DeadlineError:
                results.append([])
        return results


class _Batch:
    """Up to 100 failing attempts: BatchGetSessionAction and BatchGetSession run at once; each
    log read starts as soon as its action is known; an attempt's entry is stored once its
    signature and its worker are both known. Pool threads never wait on each other."""

    def __init__(self, analysis: _Analysis, rows: list[FailedTask]) -> None:
        self.analysis = analysis
        self.scope = analysis.scope
        self.rows = {r.action_id: r for r in rows if r.action_id}
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] | None = None
        self.pending: list[tuple[AttemptFailure, float, str]] = []  # entry, ttl, job ID
        # Log reads waiting for the sessions: GetSession's ``log.options`` say where to read.
        self.deferred: list[tuple[FailedTask, SessionAction, AttemptFailure]] = []

    def start(self) -> None:
        self.analysis.submit(self._read_actions)
        self.analysis.submit(self._read_sessions)

    def _wanted(self) -> dict[str, str]:
        return {action_id: row.job_id for action_id, row in self.rows.items()}

    def _read_sessions(self) -> None:
        wanted = {session_id_of(a): job for a, job in self._wanted().items()}
        try:
            found = _batch_get(
                "BatchGetSession",
                "GetSession",
                "sessions",
                "sessionId",
                self.scope,
                wanted,
                Session,
            )
        except DeadlineError as exc:
            logger.info("sessions unreadable: %s", exc.message)
            found = {}  # workers stay unknown; the signatures still count
        self.analysis.sessions_known(found)
        with self.lock:
            self.sessions = found
            deferred, self.deferred = self.deferred, []
        for args in deferred:
            self.analysis.submit(self._read_log, *args, log=True)
        self._flush()

    def _read_actions(self) -> None:
        actions = _batch_get(
            "BatchGetSessionAction",
            "GetSessionAction",
            "sessionActions",
            "sessionActionId",
            self.scope,
            self._wanted(),
            SessionAction,
        )
        analysis = self.analysis
        ready = []
        for action_id, row in self.rows.items():
            action = actions.get(action_id)
            if action is None:
                # Unreadable now (expired, or an error): counted as such, retried soon.
                ids = _attempt_ids(self.scope.farm_id, self.scope.queue_id, row.job_id, action_id)
                store_many(_ATTEMPT, {ids: _unreadable(action_id)}, RETRY_SECONDS)
                analysis.progress.first.set()
                continue
            entry = _entry(action, None)
            setup = _failed_setup(self.scope, row.job_id, action)
            if setup is not None:  # the cause is in the sync or environment that failed
                entry = replace(_entry(setup, None), session_action_id=action_id)
                entry = replace(entry, failed_in=setup.kind)
                action = setup
            if action.status is not ActionStatus.FAILED:
                signature = signatures.status_signature(
                    action.status.value, action.progress_message
                )
                ready.append((_with_signature(entry, signature), _entry_ttl(), row.job_id))
            elif analysis.decide(row, action):
                with self.lock:
                    wait = self.sessions is None
                    if wait:
                        self.deferred.append((row, action, entry))
                if not wait:
                    analysis.submit(self._read_log, row, action, entry, log=True)
            else:
                signature = signatures.signature_of(
                    None,
                    exit_code=action.process_exit_code,
                    message=action.progress_message,
                    fallback_source=signatures.FROM_NOT_READ,
                )
                ready.append((_with_signature(entry, signature), _entry_ttl(), row.job_id))
        with self.lock:
            self.pending += ready
        self._flush()

    def _read_log(self, row: FailedTask, action: SessionAction, entry: AttemptFailure) -> None:
        with self.lock:
            session = (self.sessions or {}).get(action.session_id)
        # Where GetSession says the log is (the sessions are in: reads wait for them); where
        # the convention puts it when a session has no log options or could not be read.
        entry, ttl = self.analysis.log_entry(action, entry, session)
        with self.lock:
            self.pending.append((entry, ttl, row.job_id))
        self._flush()

    def _flush(self) -> None:
        """Store the entries whose worker is known (the sessions have been read)."""
        with self.lock:
            if self.sessions is None or not self.pending:
                return
            pending, self.pending = self.pending, []
            sessions = self.sessions
        by_ttl: dict[float, dict[tuple[str, ...], AttemptFailure]] = defaultdict(dict)
        for entry, ttl, job_id in pending:
            session = sessions.get(entry.session_id)
            if session is not None:
                entry = replace(entry, worker_id=session.worker_id, host_name=session.host_name)
            ids = _attempt_ids(
                self.scope.farm_id, self.scope.queue_id, job_id, entry.session_action_id
            )
            by_ttl[ttl][ids] = entry
        for ttl, entries in by_ttl.items():
            store_many(_ATTEMPT, entries, ttl)
        self.analysis.progress.first.set()


def _session_counts(scope: FailureScope, job_id: str, pages: int) -> dict[str, int]:
    """worker ID -> sessions, over the first ``pages`` pages of ListSessions of a job."""
    counts: dict[str, int] = {}
    token: str | None = None
    for _ in range(pages):
        answer = call(
            "ListSessions",
            farmId=scope.farm_id,
            queueId=scope.queue_id,
            jobId=job_id,
            maxResults=PAGE_SIZE,
            **({"nextToken": token} if token else {}),
        )
        for session in answer.get("sessions") or ():
            worker = str(session.get("workerId") or "")
            counts[worker] = counts.get(worker, 0) + 1
        token = answer.get("nextToken")
        if not token:
            break
    return counts


def _task_order(task: FailedTask) -> tuple[str, str, int, str]:
    index = task.summary.index
    return (task.job_id, task.step_id, -1 if index is None else index, task.task_id)


def _entry(action: SessionAction, session: Session | None) -> AttemptFailure:
    return AttemptFailure(
        session_action_id=action.session_action_id,
        status=action.status,
        signature="",
        title="",
        source="",
        exit_code=action.process_exit_code,
        message=action.progress_message,
        started_at=action.started_at,
        ended_at=action.ended_at,
        worker_id=session.worker_id if session else None,
        host_name=session.host_name if session else None,
        exit_signature=signatures.exit_key(action.process_exit_code, action.progress_message),
    )


def _unreadable(action_id: str) -> AttemptFailure:
    signature = signatures.unreadable_signature()
    return AttemptFailure(
        session_action_id=action_id,
        status=ActionStatus.UNKNOWN,
        signature=signature.key,
        title=signature.title,
        source=signature.source,
    )


def _with_signature(entry: AttemptFailure, signature: signatures.Signature) -> AttemptFailure:
    """The entry grouped by ``signature``; a failed input sync or environment enter is a
    group of its own, named after the action that failed."""
    key, title = signature.key, signature.title
    if entry.failed_in:
        label = SETUP_ACTIONS.get(entry.failed_in, entry.failed_in)
        key, title = f"{entry.failed_in}: {key}", f"Failed in its {label}: {title}"
    return replace(entry, signature=key, title=title, source=signature.source)


def _failed_setup(scope: FailureScope, job_id: str, action: SessionAction) -> SessionAction | None:
    """The input sync or environment enter that failed in the session of a task run that was
    never attempted (the worker agent's protocol: the runs after a failed setup action are
    NEVER_ATTEMPTED), read whole; None for any other task run."""
    if action.status is not ActionStatus.NEVER_ATTEMPTED:
        return None
    ids = {"farmId": scope.farm_id, "queueId": scope.queue_id, "jobId": job_id}
    try:
        listed = list_every(
            "ListSessionActions", "sessionActions", **ids, sessionId=action.session_id
        )
        failed = next(
            item
            for item in listed
            if item.get("status") == "FAILED"
            and set(item.get("definition") or {}) & set(SETUP_ACTIONS)
        )
        detail = call("GetSessionAction", **ids, sessionActionId=failed["sessionActionId"])
    except (DeadlineError, StopIteration):
        return None
    return SessionAction.from_api(detail)


class _BatchOps:
    """BatchGetSessionAction / BatchGetSession, 100 identifiers a call, concurrently; one
    GetSessionAction / GetSession per item where the batch operation is denied or unknown."""

    def read(
        self, scope: FailureScope, rows: Sequence[FailedTask], *, sessions: bool = True
    ) -> tuple[dict[str, SessionAction], dict[str, Session]]:
        action_ids = {r.action_id: r.job_id for r in rows if r.action_id}
        session_ids = {session_id_of(a): job for a, job in action_ids.items()} if sessions else {}
        actions = _batch_get(
            "BatchGetSessionAction",
            "GetSessionAction",
            "sessionActions",
            "sessionActionId",
            scope,
            action_ids,
            SessionAction,
        )
        found_sessions = _batch_get(
            "BatchGetSession", "GetSession", "sessions", "sessionId", scope, session_ids, Session
        )
        return actions, found_sessions


def _batch_get(
    batch_operation: str,
    single_operation: str,
    result_key: str,
    id_member: str,
    scope: FailureScope,
    wanted: Mapping[str, str],
    parse: Any,
) -> dict[str, Any]:
    """``wanted`` (ID -> job ID) read in batches; items the API could not read are left out."""
    found: dict[str, Any] = {}
    if not wanted:
        return found
    items = sorted(wanted.items())
    if deadline_client.supports(batch_operation):
        try:
            for start in range(0, len(items), BATCH_SIZE):
                chunk = items[start : start + BATCH_SIZE]
                answer = call(
                    batch_operation,
                    identifiers=[
                        {
                            "farmId": scope.farm_id,
                            "queueId": scope.queue_id,
                            "jobId": job,
                            id_member: i,
                        }
                        for i, job in chunk
                    ],
                )
                for item in answer.get(result_key) or ():
                    found[str(item[id_member])] = parse.from_api(item)
                for error in answer.get("errors") or ():
                    logger.info(
                        "%s: %s %s", batch_operation, error.get(id_member), error.get("code")
                    )
            return found
        except (AccessDenied, InvalidRequest) as exc:
            logger.info(
                "%s unavailable (%s): one %s per item",
                batch_operation,
                exc.message,
                single_operation,
            )
    for identifier, job in items:
        try:
            answer = call(
                single_operation,
                farmId=scope.farm_id,
                queueId=scope.queue_id,
                jobId=job,
                **{id_member: identifier},
            )
        except NotFound:
            continue
        found[identifier] = parse.from_api(answer)
    return found


# --- The scope's head: names, counts, jobs ---------------------------------------------------


@dataclass(frozen=True)
class _Head:
    expected: int
    settled: bool
    names: tuple[tuple[str, str], ...]
    jobs: tuple[JobBrief, ...] = ()
    jobs_matched: int = 0  # how many jobs the window holds (MAX_QUEUE_JOBS of them are read)

    def settled_job(self, job_id: str) -> bool:
        for job in self.jobs:
            if job.job_id == job_id:
                return job.settled
        return self.settled


def _failing_steps(scope: FailureScope, job_id: str) -> list[str]:
    steps = list_steps(farm_id=scope.farm_id, queue_id=scope.queue_id, job_id=job_id).steps
    return [s.step_id for s in steps if s.status_counts.get(TaskRunStatus.FAILED, 0)]


def read_head(scope: FailureScope) -> _Head:
    """Names and the FAILED count of the scope (raises NotFound for a missing resource)."""
    return _read_head(scope)


def _read_head(scope: FailureScope) -> _Head:
    farm_id, queue_id = scope.farm_id, scope.queue_id
    reads: dict[str, Callable[[], Any]] = {
        "farm": lambda: get_farm(farm_id=farm_id),
        "queue": lambda: get_queue(farm_id=farm_id, queue_id=queue_id),
    }
    optional = frozenset({"farm", "queue"})
    if scope.kind == "step":
        ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": scope.job_id}
        reads["job"] = lambda: get_job(**ids)
        reads["step"] = lambda: get_step_status(**ids, step_id=scope.step_id)
        optional |= {"job"}
    elif scope.kind == "job":
        ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": scope.job_id}
        reads["job"] = lambda: get_job_status(**ids)
        reads["steps"] = lambda: list_steps(**ids)
        optional |= {"steps"}
    else:
        reads["jobs"] = lambda: _window_jobs(scope)
    got = read_concurrently(reads, optional=optional)
    names = [(kind, got[kind].name) for kind in ("farm", "queue", "job", "step") if got.get(kind)]
    if scope.kind == "step":
        counts = got["step"].status_counts
        return _Head(counts.get(TaskRunStatus.FAILED, 0), is_settled(counts), tuple(names))
    if scope.kind == "job":
        job: Job = got["job"]
        if got.get("steps"):
            names += [(s.step_id, s.name) for s in got["steps"].steps]
        counts = job.status_counts
        return _Head(counts.get(TaskRunStatus.FAILED, 0), is_settled(counts), tuple(names))
    jobs, matched = got["jobs"]
    names += [(j.job_id, j.name) for j in jobs]
    return _Head(
        expected=sum(j.failed for j in jobs),
        settled=all(j.settled for j in jobs),
        names=tuple(names),
        jobs=jobs,
        jobs_matched=matched,
    )


def _window_jobs(scope: FailureScope) -> tuple[tuple[JobBrief, ...], int]:
    """The queue's jobs submitted, finished or still active within the window (SearchJobs:
    CREATED_AT / ENDED_AT date filters and the TASK_RUN_STATUS list filter, all confirmed
    names), newest first, capped at MAX_QUEUE_JOBS; and how many there are (the cap's cut is
    shown on the page)."""
    since = now() - timedelta(hours=scope.window_hours)
    filters = [
        search.since_filter("CREATED_AT", since),
        search.since_filter("ENDED_AT", since),
        search.string_list_filter("TASK_RUN_STATUS", UNFINISHED_RUN_STATUSES),
    ]
    jobs: list[JobBrief] = []
    matched = 0
    offset = 0
    while offset < min(MAX_QUEUE_JOBS, SEARCH_WINDOW):
        # Through deadline.search like every Search* call: one record of what this backend
        # refuses or ignores (these names are all confirmed, so none is expected).
        answer = search.search(
            "SearchJobs",
            {
                "farmId": scope.farm_id,
                "queueIds": [scope.queue_id],
                "itemOffset": offset,
                "pageSize": PAGE_SIZE,
                "filterExpressions": {"operator": "OR", "filters": filters},
                "sortExpressions": [
                    {"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}
                ],
            },
        )
        for item in answer.get("jobs") or ():
            job = Job.from_api({"lifecycleStatus": "", "name": "", **item})
            counts = job.status_counts
            jobs.append(
                JobBrief(
                    job.job_id,
                    job.name or job.job_id,
                    counts.get(TaskRunStatus.FAILED, 0),
                    is_settled(counts),
                )
            )
        matched = max(matched, int(answer.get("totalResults") or 0))
        next_offset = answer.get("nextItemOffset")
        if not next_offset or next_offset <= offset:
            break
        offset = int(next_offset)
    return tuple(jobs[:MAX_QUEUE_JOBS]), max(matched, len(jobs[:MAX_QUEUE_JOBS]))


def wait(progress: Progress | None, seconds: float, *, until: str = "done") -> None:
    """Wait at most ``seconds`` for ``progress`` to reach a stage ("listed", "first", "done")."""
    if progress is None or seconds <= 0:
        return
    event = {"listed": progress.listed, "first": progress.first}.get(until, progress.done)
    deadline = time.monotonic() + seconds
    event.wait(max(0.0, deadline - time.monotonic()))


def drain(timeout: float = 60.0) -> bool:
    """Wait for every analysis of this process, and every read they started, to end, and
    forget them (tests: nothing a test started outlives it). False if one is still running
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with _runs_lock:
        runs = list(_runs.values())
    for progress in runs:
        progress.done.wait(max(0.0, deadline - time.monotonic()))
    finished = all(progress.done.is_set() for progress in runs)
    pools = _pools_now
    if pools is not None:
        # An analysis that stopped on an error may leave reads it no longer waits for.
        for pool in (pools.meta, pools.logs):
            finished = pool.wait_idle(max(0.0, deadline - time.monotonic())) and finished
    with _runs_lock:
        _runs.clear()
    return finished


def forget_listing(scope: FailureScope) -> None:
    """Drop the cached list of failed tasks (after a requeue, say): the next view lists them
    again; the analyses of finished attempts stay."""
    forget(_LISTING, *scope.ids)


# --- A page of a step's task table: worker and last error per row --------------------------------

_ROW = "failure-row"


@dataclass(frozen=True)
class RowDetail(Cacheable):
    """What a task table row adds about a task's latest attempt: its worker, and for an
    attempt that failed, why (its signature's title when a failures view read its log, else
    exit code and progress message)."""

    session_action_id: str
    status: ActionStatus
    worker_id: str | None = None
    host_name: str | None = None
    exit_code: int | None = None
    message: str | None = None
    ended: bool = False

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> RowDetail:
        return cls(
            session_action_id=str(answer["sessionActionId"]),
            status=ActionStatus.parse(answer.get("status")),
            worker_id=answer.get("workerId"),
            host_name=answer.get("hostName"),
            exit_code=answer.get("exitCode"),
            message=answer.get("message"),
            ended=bool(answer.get("ended")),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "sessionActionId": self.session_action_id,
                "status": self.status.value,
                "workerId": self.worker_id,
                "hostName": self.host_name,
                "exitCode": self.exit_code,
                "message": self.message,
                "ended": self.ended,
            }
        )

    @property
    def worker_label(self) -> str | None:
        if self.host_name:
            return self.host_name.split(".")[0]
        return self.worker_id


@dataclass(frozen=True)
class TaskRowDetail:
    """A row's worker and last error, ready to show."""

    worker_id: str | None
    worker_label: str | None
    failed: bool
    exit_code: int | None
    error: str | None  # the progress message (or, without one, the cause's log line)
    session_action_id: str
    cause: str | None = None  # the log line a failures view found the failure in
    line: int | None = None
    line_at_ms: int | None = None


def task_row_details(
    *, farm_id: str, queue_id: str, job_id: str, tasks: Sequence[TaskSummary], read: bool
) -> tuple[dict[str, TaskRowDetail], bool]:
    """task ID -> the latest attempt's worker and error, for one page of a step's tasks, and
    whether some are still unknown. ``read=False`` looks in the cache only (no API call);
    ``read=True`` reads the rest: one BatchGetSessionAction and one BatchGetSession for the
    page (it holds at most 100 tasks). Finished attempts are kept for hours, live ones for
    DEADLINE_CACHE_SECONDS."""
    scope = FailureScope(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    actions = {t.task_id: t.latest_session_action_id for t in tasks if t.latest_session_action_id}
    ids = {(farm_id, queue_id, job_id, a): a for a in actions.values()}
    rows = {v: r for k, r in load_many(_ROW, ids, RowDetail).items() for v in [ids[k]]}
    missing = [a for a in actions.values() if a not in rows]
    if read and missing:
        rows.update(_read_rows(scope, missing))
        missing = [a for a in actions.values() if a not in rows]
    rows_as_tasks = [FailedTask(job_id=job_id, summary=t) for t in tasks]
    analysed = load_attempts(scope, rows_as_tasks)
    details = {}
    for task_id, action_id in actions.items():
        row = rows.get(action_id)
        if row is None:
            continue
        failed = row.status is ActionStatus.FAILED
        known = analysed.get(action_id)
        from_log = known is not None and known.source == signatures.FROM_LOG
        details[task_id] = TaskRowDetail(
            worker_id=row.worker_id,
            worker_label=row.worker_label,
            failed=failed,
            exit_code=row.exit_code if failed else None,
            # The agent's progress message reads best in a table cell; the log line it
            # came from is the cell's tooltip and link target.
            error=(row.message or (known.title if known else None)) if failed else None,
            cause=known.title if from_log and known else None,
            session_action_id=action_id,
            line=known.line if from_log and known else None,
            line_at_ms=known.line_at_ms if from_log and known else None,
        )
    return details, bool(missing)


def _read_rows(scope: FailureScope, action_ids: Sequence[str]) -> dict[str, RowDetail]:
    tasks = [
        FailedTask(
            job_id=scope.job_id,
            summary=TaskSummary(
                task_id="", run_status=TaskRunStatus.UNKNOWN, latest_session_action_id=a
            ),
        )
        for a in action_ids
    ]
    actions, sessions = _BatchOps().read(scope, tasks)
    found: dict[str, RowDetail] = {}
    for action_id, action in actions.items():
        session = sessions.get(action.session_id)
        row = RowDetail(
            session_action_id=action_id,
            status=action.status,
            worker_id=session.worker_id if session else None,
            host_name=session.host_name if session else None,
            exit_code=action.process_exit_code,
            message=action.progress_message,
            ended=action.ended_at is not None and not action.status.is_live,
        )
        found[action_id] = row
        ttl = _entry_ttl() if row.ended else settings.DEADLINE_CACHE_SECONDS
        store_many(_ROW, {(scope.farm_id, scope.queue_id, scope.job_id, action_id): row}, ttl)
    return found
