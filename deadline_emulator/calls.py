"""Thread-safe count of calls per operation (every request that reached an operation)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping


class CallCounter(Mapping[str, int]):
    """A read-only ``Counter``-like mapping operation -> calls, safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def increment(self, operation: str) -> None:
        with self._lock:
            self._counts[operation] += 1

    def __getitem__(self, operation: str) -> int:
        return self._counts[operation]  # Counter: 0 for operations never called

    def __contains__(self, operation: object) -> bool:
        return operation in self._counts

    def __iter__(self) -> Iterator[str]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        return f"CallCounter({self.snapshot()!r})"

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict[str, int]:
        """A plain-dict copy, sorted by operation name."""
        with self._lock:
            return dict(sorted(self._counts.items()))
