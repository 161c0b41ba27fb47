"""Cached reads: the one public read helper (``cached_read``) and the cache keys it uses.

Every read of the dashboard, whatever its subject, goes through ``cached_read``: one entry per
API answer, keyed by backend + region + endpoint + farm allow-list + resource path, with
stale-while-error and coalescing from ``resilience.read_through``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError
from django.conf import settings
from django.core.cache import cache

from . import client, resilience
from .calls import map_botocore_error
from .types import Cacheable

#: Bump when a cached type's ``to_cache`` form changes incompatibly.
CACHE_SCHEMA = "v1"

C = TypeVar("C", bound=Cacheable)


def cache_key(kind: str, *ids: str) -> str:
    """Cache key for one resource: backend + region + endpoint + resource path, hashed.

    Hashing keeps keys short and free of characters memcached/Redis dislike; the kind stays
    readable for debugging (``dtd:v1:task:3f2a...``).
    """
    try:
        identity = client.backend_identity().as_key()
    except BotoCoreError as exc:  # creating the client failed (no region, bad profile...)
        raise map_botocore_error(exc, f"Get{kind.title()}") from exc
    # Lists are filtered by the farm allow-list: dashboards with different lists sharing one
    # Redis must not read each other's answers.
    farms = ",".join(sorted(settings.DASHBOARD_FARMS))
    raw = f"{identity}|{farms}|{kind}|{'/'.join(ids)}"
    return f"dtd:{CACHE_SCHEMA}:{kind}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


def cached_read(
    *,
    kind: str,
    ids: tuple[str, ...],
    ttl: float,
    fetch: Callable[[], Mapping[str, Any]],
    parse: type[C],
) -> C:
    """Return the cached ``parse`` value for ``kind``/``ids``, fetching it on a miss.

    Entries are compact JSON text ``{"at": epoch, "data": <to_cache()>}``: "at" is when the
    answer was fetched. ``resilience.read_through`` adds stale-while-error (the entry is kept
    DEADLINE_STALE_SECONDS past its TTL), in-process and cross-process (Redis) coalescing.
    """
    return resilience.read_through(
        key=cache_key(kind, *ids),
        kind=kind,
        ids=ids,
        ttl=ttl,
        fetch=lambda: parse.from_api(fetch()),
        encode=lambda value: value.to_cache(),
        decode=parse.from_cache,
    )


def forget(kind: str, *ids: str) -> None:
    """Drop one cached resource (after a write, or to force a refresh)."""
    cache.delete(cache_key(kind, *ids))
