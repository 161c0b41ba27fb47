"""Independent reads run at once: the one fan-out every page and report uses.

``gather({key: read, ...})`` submits each read to the process's read pool (its tasks run in the
caller's context, so staleness lands in the caller's request) and answers what came back by
key, in the order given: the answers, and the reads that failed with a ``DeadlineError``. A
failure never hides the other answers; anything else (a bug) raises. Call it from a request or
worker thread, never from a read-pool thread: a pool thread waiting on the pool can deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Executor
from typing import Generic, NamedTuple, TypeVar

from .errors import DeadlineError
from .resilience import read_pool

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Gathered(NamedTuple, Generic[K, T]):
    """What ``gather`` read: ``answers`` and ``failures`` by key (each key in one of them)."""

    answers: dict[K, T]
    failures: dict[K, DeadlineError]


def gather(reads: Mapping[K, Callable[[], T]], *, pool: Executor | None = None) -> Gathered[K, T]:
    """Run ``reads`` concurrently on ``pool`` (the process's read pool unless given); their
    answers and failures by key."""
    executor = pool or read_pool()
    futures = {key: executor.submit(read) for key, read in reads.items()}
    answers: dict[K, T] = {}
    failures: dict[K, DeadlineError] = {}
    for key, future in futures.items():
        try:
            answers[key] = future.result()
        except DeadlineError as exc:
            failures[key] = exc
    return Gathered(answers, failures)


def gather_each(
    calls: Mapping[K, Callable[[], T]],
    on_failure: Callable[[K, DeadlineError], T],
    *,
    pool: Executor | None = None,
) -> dict[K, T]:
    """``gather``, with each failed read's answer made by ``on_failure(key, error)``: for
    callers that show every key, failed ones with their reason."""
    answers, failures = gather(calls, pool=pool)
    return {
        key: answers[key] if key in answers else on_failure(key, failures[key]) for key in calls
    }
