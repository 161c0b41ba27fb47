"""Donut caching: a fragment rendered once per version of its data, with holes for the clock.

A live fragment (the task panel) is the same markup for every request that sees the same
version of its data, except for a few texts that depend on "now": relative times, a running
duration, the server's clock. ``DonutCache.render`` renders the template once per key with a
``DeferredNow`` in place of ``now``: each filter marked ``@clock_dependent`` that receives it
leaves a hole (a token no API string can forge: escaped text cannot hold it, and it carries
a per-process random nonce) instead of its text. Each later request with the same key only
fills the holes with the filters' answers for its own ``now``, so the answer is byte for byte
what a full render at that instant gives (tests compare the two).

The template must depend on nothing but the key's inputs and ``now``; the key names them.
"""

from __future__ import annotations

import functools
import html
import re
import secrets
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from cachetools import LRUCache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

F = TypeVar("F", bound=Callable[..., Any])

# A hole is "<" + nonce + index + ">", output unescaped: escaped text (everything from the
# API) cannot hold a bare "<", and the nonce is random per process.
_NONCE = secrets.token_hex(16)
_HOLE = re.compile("<" + _NONCE + r":(\d+)>")


class DeferredNow:
    """Stands in for ``now`` while a donut is rendered: clock-dependent filters called with
    it record what they would compute and answer a hole token instead."""

    def __init__(self) -> None:
        self.holes: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def hole(self, function: Callable[..., Any], args: tuple[Any, ...]) -> SafeString:
        self.holes.append((function, args))
        return mark_safe(f"<{_NONCE}:{len(self.holes) - 1}>")  # noqa: S308 - our own token

    def __str__(self) -> str:
        # A template printing ``now`` itself would bake one instant into every answer.
        raise TypeError("a donut template may use now only through @clock_dependent filters")


def clock_dependent(function: F) -> F:
    """Mark a filter (or helper) whose answer depends on ``now``: given a ``DeferredNow`` in
    any argument, it leaves a hole to be filled per request instead of answering."""

    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        for arg in args:
            if isinstance(arg, DeferredNow):
                return arg.hole(function, args)
        return function(*args)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Donut:
    """A rendered fragment: text between holes, and how to fill each hole."""

    pieces: tuple[str, ...]  # text, hole, text, hole, ..., text
    holes: tuple[tuple[Callable[..., Any], tuple[Any, ...]], ...]
    deferred: DeferredNow

    def fill(self, now: datetime) -> str:
        """The fragment as rendered at ``now``."""
        parts = [self.pieces[0]]
        for (function, args), piece in zip(self.holes, self.pieces[1:], strict=True):
            values = tuple(now if arg is self.deferred else arg for arg in args)
            # As the template engine outputs a variable: escaped unless marked safe (Django's
            # escape is html.escape; called directly, it costs a fraction).
            text = function(*values)
            parts.append(text.__html__() if hasattr(text, "__html__") else html.escape(str(text)))
            parts.append(piece)
        return "".join(parts)


def bake(template_name: str, context: Mapping[str, Any], request: HttpRequest | None) -> Donut:
    """Render ``template_name`` with ``context["now"]`` deferred."""
    deferred = DeferredNow()
    html = render_to_string(template_name, {**context, "now": deferred}, request)
    split = _HOLE.split(html)
    texts, indexes = split[0::2], [int(index) for index in split[1::2]]
    holes = tuple(deferred.holes[index] for index in indexes)
    return Donut(pieces=tuple(texts), holes=holes, deferred=deferred)


class DonutCache:
    """Donuts of one template in this process, by key: at most ``max_entries``, the least
    recently used dropped first."""

    def __init__(self, template_name: str, max_entries: int = 512) -> None:
        self.template_name = template_name
        self.max_entries = max_entries
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe on their own
        self._donuts: LRUCache[Hashable, Donut] = LRUCache(max_entries)

    def render(
        self,
        key: Hashable,
        context: Mapping[str, Any],
        request: HttpRequest | None,
        now: datetime,
    ) -> str:
        """The template rendered with ``context`` at ``now``; ``key`` must identify everything
        in ``context`` but ``now`` (e.g. the data's version, the URL, the settings used)."""
        with self._lock:
            donut = self._donuts.get(key)
        if donut is None:
            donut = bake(self.template_name, context, request)
            with self._lock:
                self._donuts[key] = donut
        return donut.fill(now)

    def clear(self) -> None:
        with self._lock:
            self._donuts.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._donuts)
