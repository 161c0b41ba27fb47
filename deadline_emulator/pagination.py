"""List* pagination as the service does it: opaque ``nextToken``, ``maxResults`` 1..100.

A token is urlsafe base64 of a small JSON holding a keyset cursor (the sort key of the
last item served) and a hash of the query. Keyset cursors keep pages stable while the
world moves: new jobs or sessions never shift an offset. A token from another query, or
anything that is not one of ours, is a ValidationException.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from deadline_emulator.exceptions import ValidationException

DEFAULT_MAX_RESULTS = 100
T = TypeVar("T")


def query_hash(operation: str, *parts: object) -> str:
    """A short fingerprint of an operation and its non-paging inputs."""
    text = json.dumps([operation, *parts], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def encode_token(query: str, cursor: Sequence[Any]) -> str:
    raw = json.dumps({"q": query, "c": list(cursor)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, query: str) -> list[Any] | None:
    """The cursor in ``token`` (None for the first page); ValidationException if foreign."""
    if token is None or token == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        cursor = data["c"]
        owner = data["q"]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise _bad_token("The pagination token is invalid.") from None
    if owner != query or not isinstance(cursor, list):
        raise _bad_token("The pagination token does not belong to this request.")
    return cursor


def _bad_token(message: str) -> ValidationException:
    return ValidationException(
        message, reason="OTHER", field_list=[{"name": "nextToken", "message": message}]
    )


def page_size(max_results: int | None) -> int:
    return DEFAULT_MAX_RESULTS if max_results is None else int(max_results)


def paginate(
    items: Iterable[T],
    key: Callable[[T], Sequence[Any]],
    *,
    query: str,
    next_token: str | None,
    max_results: int | None,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already in ``key`` order) after the token's cursor."""
    cursor = decode_token(next_token, query)
    limit = page_size(max_results)
    after = tuple(cursor) if cursor is not None else None
    page: list[T] = []
    more = False
    for item in items:
        k = tuple(key(item))
        if after is not None and k <= after:
            continue
        if len(page) == limit:
            more = True
            break
        page.append(item)
    token = encode_token(query, key(page[-1])) if more and page else None
    return page, token


def index_page(
    total: int, *, query: str, next_token: str | None, max_results: int | None
) -> tuple[range, str | None]:
    """A page of indices 0..total-1 without touching the others (the 10,000-task step)."""
    cursor = decode_token(next_token, query)
    start = 0
    if cursor is not None:
        if len(cursor) != 1 or not isinstance(cursor[0], int):
            raise _bad_token("The pagination token is invalid.")
        start = cursor[0] + 1
    stop = min(total, start + page_size(max_results))
    token = encode_token(query, [stop - 1]) if stop < total else None
    return range(start, stop), token
