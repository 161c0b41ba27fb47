"""Sorting and checking rows the way Search* does: what the fallbacks use to build a page
themselves, and what the checks use to see whether the service honoured a sort."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

R = TypeVar("R")


def digest(request: Mapping[str, Any]) -> str:
    """A short, stable fingerprint of a request (part of its cache key)."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def sort_rows(rows: Iterable[R], keys: Sequence[tuple[Callable[[R], Any], bool]]) -> list[R]:
    """``rows`` sorted by ``keys`` (getter, descending), the first the most significant;
    missing values last in either direction, ties keep their order (stable)."""
    ordered = list(rows)
    for value, descending in reversed(keys):
        if descending:
            ordered.sort(key=lambda r, v=value: (v(r) is not None, v(r)), reverse=True)
        else:
            ordered.sort(key=lambda r, v=value: (v(r) is None, v(r)))
    return ordered


def sorted_by(rows: Sequence[R], value: Callable[[R], Any], descending: bool) -> bool:
    """Whether ``rows`` are in ``value`` order (ties in any order, missing values last)."""
    keys = [value(row) for row in rows]
    for before, after in itertools.pairwise(keys):
        if after is None:
            continue
        if before is None:
            return False
        if (before < after) if descending else (before > after):
            return False
    return True
