"""Task states shared by every emulator of one world in a process.

Evaluating a 10,000-task step costs a few hundred milliseconds of CPU, and every emulator of
the same seeded world (a test's fresh one, a ``make run`` restart) evaluated it again at the
same instant. A step nobody has written to (its job at version 0: no UpdateTask, UpdateStep or
UpdateJob yet) is a pure function of its job's spec, the world's seed, the queue's worker pool,
the unreliable worker, the step's readiness and hold, and the instant: its states are kept
here under exactly those, for any emulator of the process to reuse. As with the emulator's own
caches, states are read-only once made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sized
from typing import TypeVar

from cachetools import LRUCache

T = TypeVar("T", bound=Sized)

#: Task states kept per process, counted in tasks (the demo world at one instant is about
#: 40,000; a task's state is well under a kilobyte).
LIMIT_TASKS = 200_000

_lock = threading.Lock()
_states: LRUCache[Hashable, Sized] = LRUCache(maxsize=LIMIT_TASKS, getsizeof=len)


def evaluated(key: Hashable, evaluate: Callable[[], T]) -> T:
    """The states under ``key``, evaluated once (two threads may both evaluate a new key; the
    answers are equal, and the lock is not held while evaluating, so no lock order arises)."""
    with _lock:
        hit = _states.get(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    states = evaluate()
    if len(states) <= LIMIT_TASKS // 4:  # a step bigger than that is evaluated each time
        with _lock:
            _states[key] = states
    return states


def clear() -> None:
    with _lock:
        _states.clear()
