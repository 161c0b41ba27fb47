"""A job's sessions and session actions, built once per instant and paged by bisection.

ListSessions and ListSessionActions of a whole job used to rebuild (and rescan) every row
before the page's cursor on every page: a 10,000-task job's 300 pages of actions cost the
square of its size. With the clock pinned, every page at one instant of one version of the
job's task states reads the same rows, so they are built once and kept (a few jobs at a time)
until the instant or the version changes; a page is then a bisection into the sorted keys.
With the clock running each call is its own instant and nothing is kept.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from deadline_emulator.pagination import decode_token, encode_token, page_size

T = TypeVar("T")
Key = tuple[int, ...]
#: How many jobs' rows are kept: the timeline reads one job; a few readers may overlap.
_KEPT = 8


class JobRows:
    """Rows of one job-wide listing per (listing, job), valid for one ``stamp`` (the instant
    and whatever versions the rows follow)."""

    def __init__(self, kept: int = _KEPT) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._rows: OrderedDict[tuple[str, str], tuple[Any, list[Key], list[Any]]] = OrderedDict()

    def get(
        self,
        listing: str,
        job_id: str,
        stamp: Any,
        build: Callable[[], list[tuple[Key, T]]],
    ) -> tuple[list[Key], list[T]]:
        """The rows (keys, items) for ``stamp``, built by ``build`` when not kept."""
        slot = (listing, job_id)
        with self._lock:
            kept = self._rows.get(slot)
            if kept is not None and kept[0] == stamp:
                self._rows.move_to_end(slot)
                return kept[1], kept[2]
        built = build()
        keys = [tuple(key) for key, _ in built]
        items = [item for _, item in built]
        with self._lock:
            self._rows[slot] = (stamp, keys, items)
            self._rows.move_to_end(slot)
            while len(self._rows) > self._kept:
                self._rows.popitem(last=False)
        return keys, items

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


def page_rows(
    keys: Sequence[Key],
    items: Sequence[T],
    *,
    query: str,
    next_token: str | None,
    max_results: int | None,
) -> tuple[list[T], str | None]:
    """The page ``paginate`` would answer for items in ``keys`` order, found by bisection."""
    cursor = decode_token(next_token, query)
    start = 0 if cursor is None else bisect.bisect_right(keys, tuple(cursor))
    stop = start + page_size(max_results)
    page = list(items[start:stop])
    token = encode_token(query, keys[stop - 1]) if stop < len(keys) and page else None
    return page, token
