"""Grouping failed tasks by cause: each failing attempt's signature (a log-less attempt joins
the cause its exit code and message showed in the logs read), one group per signature with
its frames, workers, exit codes and retried successes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from . import signatures
from .frames import frame_label, frames_label
from .records import AttemptFailure, FailedTask, RetriedSuccess
from .report import NO_ATTEMPT, NOT_ANALYSED, FailureGroup, GroupTask, WorkerCount
from .store import max_tasks

#: A log-less attempt joins a log signature when this share of the attempts with the same
#: exit code and message whose log was read have that signature.
INFER_SHARE = 0.8

#: A failed task, its failing attempt's record (None: never attempted), and whether its
#: signature was inferred from other attempts' logs.
Member = tuple[FailedTask, AttemptFailure | None, bool]


def group_members(
    tasks: Sequence[FailedTask],
    attempts: Mapping[str, AttemptFailure],
    inference: Mapping[str, str],
) -> tuple[dict[str, list[Member]], int]:
    """signature -> its members, and how many of ``tasks`` are analysed (the others' attempts
    are not known yet)."""
    grouped: dict[str, list[Member]] = defaultdict(list)
    analysed = 0
    for task in tasks:
        entry = attempts.get(task.action_id) if task.action_id else None
        if task.action_id and entry is None:
            continue
        analysed += 1
        if entry is None:
            grouped[NO_ATTEMPT].append((task, None, False))
            continue
        signature, inferred = cause_of(entry, inference)
        grouped[signature].append((task, entry, inferred))
    return grouped, analysed


def cause_of(entry: AttemptFailure, inference: Mapping[str, str]) -> tuple[str, bool]:
    """The signature an attempt is grouped by, and whether it was inferred: an attempt whose
    log was not read joins the cause the logs of its exit code and message showed."""
    if entry.source in (signatures.FROM_NOT_READ, signatures.FROM_NO_LOG):
        mapped = inference.get(entry.exit_signature)
        if mapped is not None:
            return mapped, True
    return entry.signature, False


def exit_to_log_signature(entries: Iterable[AttemptFailure]) -> dict[str, str]:
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


def titles_of(entries: Iterable[AttemptFailure]) -> dict[str, tuple[str, str]]:
    """signature -> its most common title (log lines first), readable (without the logger's
    prefix), and the log line it came from as written ("" when not from a log)."""
    seen: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for entry in entries:
        raw = entry.raw or (entry.title if entry.source == signatures.FROM_LOG else "")
        weight = 2 if entry.source == signatures.FROM_LOG else 1
        seen[entry.signature][(signatures.readable(entry.title), raw)] += weight
    return {signature: counts.most_common(1)[0][0] for signature, counts in seen.items()}


def retried_by_signature(
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


def group_task(task: FailedTask, entry: AttemptFailure | None, inferred: bool) -> GroupTask:
    """A failed task as its group lists it."""
    return GroupTask(
        task_id=task.task_id,
        job_id=task.job_id,
        step_id=task.step_id,
        session_action_id=task.action_id,
        frame=frame_label(task),
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


def _worker_counts(members: Iterable[Member]) -> tuple[WorkerCount, ...]:
    """Failing attempts per worker, most first."""
    workers: Counter[str] = Counter()
    host: dict[str, str | None] = {}
    for _, entry, _ in members:
        if entry is not None and entry.worker_id:
            workers[entry.worker_id] += 1
            host[entry.worker_id] = entry.host_name
    return tuple(
        WorkerCount(worker_id=w, host_name=host.get(w), attempts=n)
        for w, n in sorted(workers.items(), key=lambda item: (-item[1], item[0]))
    )


def group_of(
    signature: str,
    members: list[Member],
    titles: Mapping[str, tuple[str, str]],
    flaky_by_signature: Counter[str],
    names: Mapping[str, str],
) -> FailureGroup:
    """One cause's group (whether it is flaky is judged against the others: ``retries``)."""
    tasks = [group_task(task, entry, inferred) for task, entry, inferred in members]
    ended = [t.ended_at for t in tasks if t.ended_at is not None]
    if signature == NO_ATTEMPT:
        title, raw = "No attempt recorded: the task was marked failed without running", ""
    else:
        title, raw = titles.get(signature) or (signature, "")
    with_line = [t for t in tasks if t.line is not None and t.session_action_id]
    example = (with_line or [t for t in tasks if t.session_action_id] or tasks or [None])[0]
    retried_ok = flaky_by_signature.get(signature, 0)
    return FailureGroup(
        signature=signature,
        title=title,
        tasks=tuple(tasks),
        workers=_worker_counts(members),
        frames=frames_label([task for task, _, _ in members], names),
        flaky=None,
        retried_ok=retried_ok,
        first_seen=min(ended) if ended else None,
        last_seen=max(ended) if ended else None,
        example=example,
        steps=tuple(Counter(t.step_id for t in tasks).most_common()),
        jobs=tuple(Counter(t.job_id for t in tasks).most_common()),
        exit_codes=tuple(sorted({t.exit_code for t in tasks if t.exit_code is not None})),
        raw=raw if raw != title else "",
    )


def not_analysed_group(count: int) -> FailureGroup:
    return FailureGroup(
        signature=NOT_ANALYSED,
        title=f"Not analysed: past the {max_tasks():,} failed tasks one view reads",
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
