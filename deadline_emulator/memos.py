"""Values a backend works out once per key (an instant and a state of the world, say) and
keeps in a small memo of its own, emptied when it grows past its limit. Read-only once made;
two threads may both work out a new key (the values are equal)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


def kept(owner: Any, name: str, key: Hashable, build: Callable[[], T], limit: int) -> T:
    """``build()`` under ``key`` in ``owner``'s memo ``name`` (an attribute, made on first
    use; drop it to forget everything kept), worked out once."""
    memo: dict[Hashable, Any] = owner.__dict__.setdefault(name, {})
    if key not in memo:
        if len(memo) > limit:
            memo.clear()
        memo[key] = build()
    return memo[key]
