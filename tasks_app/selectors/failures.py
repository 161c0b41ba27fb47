"""Failure groups of a job, a step or a queue: causes, counts, frames, workers, flaky or not.

``failure_report(scope)`` starts (or joins) the analysis ``failure_analysis`` runs in the
background, waits a moment for it, and assembles what is known so far into groups, one per
signature, with the worker clusters found in them. The HTML page, its htmx polls, the JSON
and the Markdown summary are all rendered from the one ``FailureReport`` it returns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from ..deadline.types import TaskParameter
from . import failure_analysis as analysis
from . import signatures
from .failure_analysis import (
    AttemptFailure,
    FailedTask,
    FailureScope,
    JobBrief,
    Listing,
    RetriedSuccess,
    TaskRowDetail,
    task_row_details,
)

__all__ = [
    "WINDOWS",
    "FailureGroup",
    "FailureReport",
    "FailureScope",
    "GroupTask",
    "TaskRowDetail",
    "WorkerCluster",
    "WorkerCount",
    "failure_report",
    "task_row_details",
]

WINDOWS = analysis.WINDOWS
#: A worker cluster: at least this many of a signature's failures on one worker...
CLUSTER_MIN_FAILURES = 3
#: ... at least this share of them ...
CLUSTER_MIN_SHARE = 0.5
#: ... and this many times the worker's share of the scope's sessions (or, without a
#: session sample, twice its share of every failure in the scope).
CLUSTER_SESSION_RATIO = 3.0
CLUSTER_FAILURE_RATIO = 2.0
#: A log-less attempt joins a log signature when this share of the attempts with the same
#: exit code and message whose log was read have that signature.
INFER_SHARE = 0.8

NO_ATTEMPT = "no attempt recorded"
NOT_ANALYSED = "not analysed"


@dataclass(frozen=True)
class WorkerCount:
    worker_id: str
    host_name: str | None
    attempts: int

    @property
    def label(self) -> str:
        return self.host_name.split(".")[0] if self.host_name else self.worker_id


@dataclass(frozen=True)
class GroupTask:
    """One failed task of a group: where it is, its frame, its failing attempt."""

    task_id: str
    job_id: str
    step_id: str
    session_action_id: str | None
    frame: str
    retries: int
    worker_id: str | None = None
    worker_label: str | None = None
    exit_code: int | None = None
    ended_at: datetime | None = None
    line: int | None = None
    line_at_ms: int | None = None
    source: str = ""
    inferred: bool = False

    @property
    def attempts(self) -> int:
        return self.retries + 1


@dataclass(frozen=True)
class FailureGroup:
    """Every failed task whose failing attempt has one signature."""

    signature: str
    title: str
    tasks: tuple[GroupTask, ...]
    workers: tuple[WorkerCount, ...]
    frames: str
    flaky: bool | None
    retried_ok: int  # tasks seen failing like this, then succeeding on a retry
    first_seen: datetime | None
    last_seen: datetime | None
    example: GroupTask | None
    steps: tuple[tuple[str, int], ...] = ()  # step ID -> tasks
    jobs: tuple[tuple[str, int], ...] = ()  # job ID -> tasks
    exit_codes: tuple[int, ...] = ()

    @property
    def digest(self) -> str:
        return signatures.Signature(self.signature, self.title, "").digest

    @property
    def task_count(self) -> int:
        return len(self.tasks) if self.tasks else self.hidden

    @property
    def attempts(self) -> int:
        return sum(t.attempts for t in self.tasks)

    @property
    def task_ids(self) -> tuple[str, ...]:
        return tuple(t.task_id for t in self.tasks)

    @property
    def inferred(self) -> int:
        """Tasks grouped here by exit code and message (their log was not read)."""
        return sum(1 for t in self.tasks if t.inferred)

    @property
    def from_log(self) -> bool:
        return any(t.source == signatures.FROM_LOG for t in self.tasks)

    hidden: int = 0  # tasks counted but not listed (over the listing cap)


@dataclass(frozen=True)
class WorkerCluster:
    """One worker holds far more of a signature's failures than of the scope's work."""

    worker_id: str
    label: str
    signature: str
    title: str
    failures: int
    total: int
    baseline: float | None  # its share of the scope's sessions (or of every failure)
    baseline_kind: str  # "sessions" | "failures"

    @property
    def share(self) -> float:
        return self.failures / self.total if self.total else 0.0

    @property
    def digest(self) -> str:
        return signatures.Signature(self.signature, self.title, "").digest


@dataclass(frozen=True)
class FailureReport:
    """Everything a failures view shows, in HTML, JSON or Markdown."""

    scope: FailureScope
    names: Mapping[str, str]
    failed_tasks: int
    listed: int
    analysed: int
    complete: bool
    running: bool
    groups: tuple[FailureGroup, ...]
    clusters: tuple[WorkerCluster, ...]
    method: str
    settled: bool
    listed_at: datetime | None
    logs_cap: int
    not_read: int
    inferred: int
    jobs: tuple[JobBrief, ...] = ()
    jobs_matched: int = 0  # queue scope: the window's jobs (more than ``jobs`` when capped)
    worker_id: str = ""
    error: str | None = None
    flaky_known: bool = False
    hosts: Mapping[str, str] = field(default_factory=dict)

    @property
    def jobs_not_read(self) -> int:
        """The window's jobs past the listing cap: not read, so not counted here."""
        return max(0, self.jobs_matched - len(self.jobs))

    @property
    def percent(self) -> int:
        return 100 if not self.listed else int(100 * self.analysed / self.listed)

    def name(self, key: str) -> str | None:
        return self.names.get(key)

    @property
    def worker_label(self) -> str:
        return self.hosts.get(self.worker_id, self.worker_id)


# --- Assembly -----------------------------------------------------------------------------------


def failure_report(
    scope: FailureScope,
    *,
    worker_id: str = "",
    wait_seconds: float | None = None,
    more_logs: bool = False,
) -> FailureReport:
    """The failure groups of ``scope`` as far as they are known, after starting the analysis
    when something is missing and waiting up to ``wait_seconds`` (default
    DASHBOARD_FAILURES_FIRST_PAINT_SECONDS) for it to finish. Raises NotFound and other
    DeadlineErrors of the scope's own reads (the job, the step, the queue's jobs)."""
    if wait_seconds is None:
        wait_seconds = float(settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS)
    listing = analysis.load_listing(scope)
    progress = analysis.running(scope)
    attempts: dict[str, AttemptFailure] | None = None
    if listing is None and progress is None:
        analysis.read_head(scope)  # a missing job or step is a 404, not an analysis error
    if more_logs:
        progress = analysis.start(scope, more_logs=True)
    elif progress is None:
        if listing is not None and listing.complete:
            attempts = analysis.load_attempts(scope, listing.tasks)
        if listing is None or attempts is None or _missing(listing, attempts):
            progress = analysis.start(scope)
    if progress is not None and wait_seconds > 0:
        analysis.wait(progress, wait_seconds)
        listing, attempts = analysis.load_listing(scope) or listing, None
    elif progress is not None:
        # Just started (or running): what is cached now is what there is to show.
        listing, attempts = analysis.load_listing(scope) or listing, None
    return assemble(scope, listing, progress=progress, worker_id=worker_id, attempts=attempts)


def _missing(listing: Listing, attempts: Mapping[str, AttemptFailure]) -> bool:
    """Some listed task's failing attempt has not been analysed (or its entry expired)."""
    return any(t.action_id and t.action_id not in attempts for t in listing.tasks)


def assemble(
    scope: FailureScope,
    listing: Listing | None,
    *,
    progress: analysis.Progress | None = None,
    worker_id: str = "",
    attempts: Mapping[str, AttemptFailure] | None = None,
) -> FailureReport:
    """Group what the cache holds for ``scope`` (no API call); ``attempts`` when already
    loaded."""
    running = progress is not None and not progress.done.is_set()
    error = progress.error.message if progress is not None and progress.error else None
    if listing is None:
        return FailureReport(
            scope=scope,
            names={},
            failed_tasks=0,
            listed=0,
            analysed=0,
            complete=False,
            running=running,
            groups=(),
            clusters=(),
            method=analysis.SEARCH,
            settled=False,
            listed_at=None,
            logs_cap=analysis.max_logs(),
            not_read=0,
            inferred=0,
            error=error,
        )
    if attempts is None:
        attempts = analysis.load_attempts(scope, listing.tasks)
    retried = analysis.load_retried(scope, listing.retried)
    job_ids = [j.job_id for j in listing.jobs if j.failed] or [scope.job_id]
    samples = analysis.load_samples(scope, job_ids)
    hosts = {a.worker_id: a.worker_label for a in attempts.values() if a.worker_id}
    tasks = [
        t
        for t in listing.tasks
        if not worker_id
        or (t.action_id in attempts and attempts[t.action_id].worker_id == worker_id)
    ]
    inference = _exit_to_log_signature(attempts.values())
    grouped: dict[str, list[tuple[FailedTask, AttemptFailure | None, bool]]] = defaultdict(list)
    analysed = 0
    for task in tasks:
        entry = attempts.get(task.action_id) if task.action_id else None
        if task.action_id and entry is None:
            continue
        analysed += 1
        if entry is None:
            grouped[NO_ATTEMPT].append((task, None, False))
            continue
        signature, inferred = entry.signature, False
        if entry.source in (signatures.FROM_NOT_READ, signatures.FROM_NO_LOG):
            mapped = inference.get(entry.exit_signature)
            if mapped is not None:
                signature, inferred = mapped, True
        grouped[signature].append((task, entry, inferred))
    titles = _titles(attempts.values())
    flaky_by_signature = _retried_by_signature(retried.values(), attempts, inference)
    flaky_known = listing.complete and (progress is None or progress.done.is_set())
    groups = [
        _group(signature, members, titles, flaky_by_signature, flaky_known, listing)
        for signature, members in grouped.items()
    ]
    if listing.complete and listing.beyond and not worker_id:
        groups.append(_not_analysed_group(listing.beyond))
    groups.sort(key=lambda g: (-g.task_count, g.title))
    listed = len(tasks)
    complete = listing.complete and analysed == listed and not running
    failed = (
        listed + (listing.beyond if not worker_id else 0)
        if listing.complete
        else max(listing.expected, listed)
    )
    # Of the tasks shown (one worker's, with ?worker=), not of the whole scope.
    not_read = sum(
        1
        for t in tasks
        if t.action_id in attempts and attempts[t.action_id].source == signatures.FROM_NOT_READ
    )
    return FailureReport(
        scope=scope,
        names=dict(listing.names),
        failed_tasks=failed if not worker_id or listing.complete else listed,
        listed=listed,
        analysed=analysed,
        complete=complete,
        running=running,
        groups=tuple(groups),
        clusters=_clusters(groups, samples.values(), attempts.values()) if not worker_id else (),
        method=listing.method,
        settled=listing.settled,
        listed_at=listing.listed_at,
        logs_cap=analysis.max_logs(),
        not_read=not_read,
        inferred=sum(g.inferred for g in groups),
        jobs=listing.jobs,
        jobs_matched=listing.jobs_matched,
        worker_id=worker_id,
        error=error,
        flaky_known=flaky_known,
        hosts=hosts,
    )


def _exit_to_log_signature(entries: Iterable[AttemptFailure]) -> dict[str, str]:
    """exit signature -> the log signature most attempts with it have, when that is clear."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        if entry.source == signatures.FROM_LOG and entry.exit_signature:
            seen[entry.exit_signature][entry.signature] += 1
    found = {}
    for exit_signature, counts in seen.items():
        signature, count = counts.most_common(1)[0]
        if count >= INFER_SHARE * sum(counts.values()):
            found[exit_signature] = signature
    return found


def _titles(entries: Iterable[AttemptFailure]) -> dict[str, str]:
    """signature -> its most common title (log lines first)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        seen[entry.signature][entry.title] += 2 if entry.source == signatures.FROM_LOG else 1
    return {signature: counts.most_common(1)[0][0] for signature, counts in seen.items()}


def _retried_by_signature(
    retried: Iterable[RetriedSuccess],
    attempts: Mapping[str, AttemptFailure],
    inference: Mapping[str, str],
) -> Counter[str]:
    """signature -> tasks that failed like this and then succeeded on a retry."""
    counts: Counter[str] = Counter()
    for task in retried:
        seen = set()
        for action_id, exit_code, message in task.failures:
            known = attempts.get(action_id)
            if known is not None:
                seen.add(known.signature)
                continue
            exit_signature = signatures.exit_key(exit_code, message)
            seen.add(inference.get(exit_signature, exit_signature))
        counts.update(seen)
    return counts


def frame_values(parameters: Iterable[TaskParameter]) -> list[int] | None:
    """The frames a task renders: its frame-like int parameter, or its chunkInt range."""
    parameters = list(parameters)
    for parameter in parameters:
        if parameter.type == "chunkInt":
            values = signatures.chunk_values(parameter.value)
            if values:
                return values
    for parameter in parameters:
        if parameter.type == "int" and "frame" in parameter.name.lower():
            try:
                return [int(parameter.value)]
            except ValueError:
                return None
    return None


def _frame_label(task: FailedTask) -> str:
    """``frame 1004``, ``frames 1001-1010``, ``Layer=beauty`` or ``task 7``."""
    frames = frame_values(task.summary.parameters)
    if frames:
        word = "frame" if len(frames) == 1 else "frames"
        return f"{word} {signatures.compact_ranges(frames, limit=2)}"
    if task.summary.parameters:
        return task.summary.parameter_summary
    index = task.summary.index
    return f"task {index}" if index is not None else task.task_id


def _frames(members: Iterable[FailedTask], names: Mapping[str, str]) -> str:
    """Frames (or, without a frame parameter, parameter values or task numbers), compact;
    per job when the tasks belong to several (a queue's view), the most failing job first."""
    by_job: dict[str, list[FailedTask]] = defaultdict(list)
    for task in members:
        by_job[task.job_id].append(task)
    if len(by_job) == 1:
        return _frames_of(next(iter(by_job.values())))
    ordered = sorted(by_job.items(), key=lambda item: (-len(item[1]), item[0]))
    parts = [f"{names.get(job_id) or job_id}: {_frames_of(tasks)}" for job_id, tasks in ordered[:4]]
    if len(ordered) > 4:
        parts.append(f"… (+{len(ordered) - 4} more jobs)")
    return "; ".join(parts)


def _frames_of(members: Iterable[FailedTask]) -> str:
    frames: list[int] = []
    others: list[str] = []
    indices: list[int] = []
    for task in members:
        values = frame_values(task.summary.parameters)
        if values:
            frames.extend(values)
        elif task.summary.parameters:
            others.append(task.summary.parameter_summary)
        elif task.summary.index is not None:
            indices.append(task.summary.index)
    parts = []
    if frames:
        parts.append(signatures.compact_ranges(frames))
    if others:
        distinct = sorted(set(others))
        parts.append(
            "; ".join(distinct[:6])
            + (f"; … (+{len(distinct) - 6} more)" if len(distinct) > 6 else "")
        )
    if indices:
        parts.append("tasks " + signatures.compact_ranges(indices))
    return "; ".join(parts)


def _group(
    signature: str,
    members: list[tuple[FailedTask, AttemptFailure | None, bool]],
    titles: Mapping[str, str],
    flaky_by_signature: Counter[str],
    flaky_known: bool,
    listing: Listing,
) -> FailureGroup:
    tasks = []
    workers: Counter[str] = Counter()
    host: dict[str, str | None] = {}
    ended = []
    for task, entry, inferred in members:
        tasks.append(
            GroupTask(
                task_id=task.task_id,
                job_id=task.job_id,
                step_id=task.step_id,
                session_action_id=task.action_id,
                frame=_frame_label(task),
                retries=task.summary.retries,
                worker_id=entry.worker_id if entry else None,
                worker_label=entry.worker_label if entry and entry.worker_id else None,
                exit_code=entry.exit_code if entry else None,
                ended_at=(entry.ended_at if entry else None) or task.summary.ended_at,
                line=entry.line if entry and not inferred else None,
                line_at_ms=entry.line_at_ms if entry and not inferred else None,
                source=entry.source if entry else signatures.FROM_STATUS,
                inferred=inferred,
            )
        )
        if entry is not None and entry.worker_id:
            workers[entry.worker_id] += 1
            host[entry.worker_id] = entry.host_name
        when = (entry.ended_at if entry else None) or task.summary.ended_at
        if when is not None:
            ended.append(when)
    if signature == NO_ATTEMPT:
        title = "No attempt recorded: the task was marked failed without running"
    else:
        title = titles.get(signature) or signature
    with_line = [t for t in tasks if t.line is not None and t.session_action_id]
    example = (with_line or [t for t in tasks if t.session_action_id] or tasks or [None])[0]
    retried_ok = flaky_by_signature.get(signature, 0)
    return FailureGroup(
        signature=signature,
        title=title,
        tasks=tuple(tasks),
        workers=tuple(
            WorkerCount(worker_id=w, host_name=host.get(w), attempts=n)
            for w, n in sorted(workers.items(), key=lambda item: (-item[1], item[0]))
        ),
        frames=_frames([task for task, _, _ in members], dict(listing.names)),
        flaky=(retried_ok > 0) if flaky_known else (True if retried_ok else None),
        retried_ok=retried_ok,
        first_seen=min(ended) if ended else None,
        last_seen=max(ended) if ended else None,
        example=example,
        steps=tuple(Counter(t.step_id for t in tasks).most_common()),
        jobs=tuple(Counter(t.job_id for t in tasks).most_common()),
        exit_codes=tuple(sorted({t.exit_code for t in tasks if t.exit_code is not None})),
    )


def _not_analysed_group(count: int) -> FailureGroup:
    return FailureGroup(
        signature=NOT_ANALYSED,
        title=f"Not analysed: past the {analysis.max_tasks():,} failed tasks one view reads",
        tasks=(),
        workers=(),
        frames="",
        flaky=None,
        retried_ok=0,
        first_seen=None,
        last_seen=None,
        example=None,
        hidden=count,
    )


def _clusters(
    groups: Iterable[FailureGroup],
    samples: Iterable[analysis.WorkerSample],
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
