"""Answers to reads kept for one instant and one state of the world (opt-in).

With the clock pinned and nothing written, a read asked again gets the same answer: a page
loaded cold over and over (the every-page test) asked the emulator to work the same pages
out each time. ``AnswerMemory`` serves a repeated read from memory, keyed on the request,
the instant, the world's state (``DeadlineBackend.world_state``) and the search mode. The
call is still counted and its faults still applied first (``dispatch``); a read with a
fault rule of its own, or the ``"*"`` rule, is never kept or served from memory (its answer
may carry item faults).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import LRUCache

from deadline_emulator.responses import Answer, Request

#: Operations that only read (their answer follows from the request, the instant and the
#: world), by name; GetSessionsStatisticsAggregation counts its polls, so it is not one.
READS = ("Get", "List", "Search", "BatchGet")
NOT_PURE = frozenset({"GetSessionsStatisticsAggregation"})
#: Operations that change the world, by name (Deadline Cloud's and CloudWatch Logs'): one
#: that succeeds moves the world's state. The others only read or start a computation over
#: it (Assume*, Describe*, Filter*, StartSessionsStatisticsAggregation).
WRITES = (
    "Create", "Update", "Delete", "BatchUpdate", "BatchDelete", "Associate", "Disassociate",
    "Put", "Tag", "Untag", "Copy",
)  # fmt: skip
#: Kept answers' bytes at the most (least recently used go first).
MAX_BYTES = 64 << 20


def _size(answer: Answer) -> int:
    return len(answer[2]) + 256  # the payload, and about what the status and headers take


class AnswerMemory:
    """Kept answers by key, least recently used dropped past ``max_bytes``."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._lock = threading.Lock()
        self._answers: LRUCache[Hashable, Answer] = LRUCache(maxsize=max_bytes, getsizeof=_size)

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)

    def answer(self, key: Hashable, build: Callable[[], Answer]) -> Answer:
        """The kept answer for ``key`` (a copy of its headers), or ``build``'s, kept if 200."""
        with self._lock:
            found = self._answers.get(key)
        if found is not None:
            status, headers, payload = found
            return status, dict(headers), payload
        answer = build()
        if answer[0] == 200 and _size(answer) <= self._answers.maxsize:
            with self._lock:
                self._answers[key] = (answer[0], dict(answer[1]), answer[2])
        return answer


def memory_key(operation: str, request: Request, *state: Any) -> tuple[Any, ...]:
    """What an answer to a read follows: the request as sent and ``state`` (the instant, the
    world's state, the search mode)."""
    return (
        operation,
        request.method,
        request.path,
        request.query_string,
        request.body,
        request.headers.get("x-amz-target"),
        *state,
    )
