"""Cached reads: the one public read helper (``cached_read``) and the cache keys it uses.

Every read of the dashboard, whatever its subject, goes through ``cached_read``: one entry per
API answer, keyed by backend + region + endpoint + farm allow-list + resource path, with
stale-while-error and coalescing from ``resilience.read_through``; short leases on
work (``lease``), released only by their holder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError
from cachetools import LRUCache
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from . import client, resilience
from .calls import map_botocore_error
from .types import Cacheable

#: Bump when a cached type's ``to_cache`` form changes incompatibly.
CACHE_SCHEMA = "v1"

C = TypeVar("C", bound=Cacheable)

logger = logging.getLogger(__name__)


def cache_key(kind: str, *ids: str) -> str:
    """Cache key for one resource: backend + region + endpoint + resource path, hashed.

    Hashing keeps keys short and free of characters memcached/Redis dislike; the kind stays
    readable for debugging (``dtd:v1:task:3f2a...``).
    """
    return _keys(kind)(ids)


def _keys(kind: str) -> Callable[[tuple[str, ...]], str]:
    """The key maker of one kind in this configuration: for many keys at once."""
    try:
        identity = client.backend_identity().as_key()
    except BotoCoreError as exc:  # creating the client failed (no region, bad profile...)
        raise map_botocore_error(exc, f"Get{kind.title()}") from exc
    # Lists are filtered by the farm allow-list: dashboards with different lists sharing one
    # Redis must not read each other's answers.
    farms = ",".join(sorted(settings.DASHBOARD_FARMS))
    prefix = f"{identity}|{farms}|{kind}|"

    def key(ids: tuple[str, ...]) -> str:
        raw = (prefix + "/".join(ids)).encode()
        return f"dtd:{CACHE_SCHEMA}:{kind}:{hashlib.blake2b(raw, digest_size=16).hexdigest()}"

    return key


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
    key, marker = _key_and_marker(kind, ids)
    return resilience.read_through(
        key=key,
        kind=kind,
        ids=ids,
        ttl=ttl,
        fetch=lambda: parse.from_api(fetch()),
        encode=lambda value: value.to_cache(),
        decode=parse.from_cache,
        marker=marker,
    )


def prefetch(reads: Iterable[tuple[str, tuple[str, ...]]]) -> AbstractContextManager[None]:
    """For a page about to make ``reads`` (``(kind, ids)`` pairs, as ``cached_read`` is
    given) at once: their entries in one cache round trip up front (``resilience.prefetched``;
    a miss still takes its refresh lock itself)."""
    return resilience.prefetched([_key_and_marker(kind, ids) for kind, ids in reads])


# Every read needs its key and marker: two hashes of the backend identity, the allow-list and
# the path, as long as a quick read from the near cache. They change only with the clients or
# the settings, so each is made once per (clients, settings) generation.
_KEY_MEMO_MAX = 4096
_key_memo: LRUCache[tuple[int, int, str, tuple[str, ...]], tuple[str, str | None]] = LRUCache(
    _KEY_MEMO_MAX
)
_key_memo_lock = threading.Lock()  # cachetools' caches are not thread-safe on their own
_settings_generation = 0


def _key_and_marker(kind: str, ids: tuple[str, ...]) -> tuple[str, str | None]:
    """``cache_key(kind, *ids)`` and ``_marker_for(ids)``, remembered."""
    memo = (client.client_generation(), _settings_generation, kind, ids)
    with _key_memo_lock:
        found = _key_memo.get(memo)
    if found is None:
        found = (cache_key(kind, *ids), _marker_for(ids))
        with _key_memo_lock:
            _key_memo[memo] = found
    return found


@receiver(setting_changed)
def _forget_keys(**_: Any) -> None:
    """Keys depend on settings (backend, demo seed, allow-list): make them again. A key made
    meanwhile with the old settings stays under the old generation, where nobody looks."""
    global _settings_generation  # one per process, like the memo
    _settings_generation += 1
    with _key_memo_lock:
        _key_memo.clear()


def _marker_for(ids: tuple[str, ...]) -> str | None:
    """The invalidation marker of a read: its queue's (everything under a queue: jobs, steps,
    tasks, their searches and attempts) or, for farm-level reads (a farm's queues), its
    farm's. Lists of every farm have none."""
    if len(ids) >= 2 and ids[0].startswith("farm-") and ids[1].startswith("queue-"):
        return _marker_key(ids[0], ids[1])
    if ids and ids[0].startswith("farm-"):
        return _marker_key(ids[0])
    return None


def _marker_key(*ids: str) -> str:
    """Like ``cache_key`` without the allow-list: dashboards sharing one Redis with different
    allow-lists still see each other's actions."""
    identity = client.backend_identity().as_key()
    raw = f"{identity}|changed|{'/'.join(ids)}"
    return f"dtd:{CACHE_SCHEMA}:changed:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


def invalidate_queue(*, farm_id: str, queue_id: str) -> None:
    """After an action: every cached read under the queue (and the farm's queue list, whose
    statuses follow) is re-read on its next use, in every process sharing the cache. The
    previous answers may still stand in, marked stale, if the API is sick meanwhile."""
    keep = settings.DEADLINE_NAME_CACHE_SECONDS + settings.DEADLINE_STALE_SECONDS + 60
    resilience.invalidate(
        [_marker_key(farm_id, queue_id), _marker_key(farm_id)],
        keep_seconds=keep,
    )


def cached_only(*, kind: str, ids: tuple[str, ...], parse: type[C]) -> C | None:
    """What ``cached_read`` would serve for ``kind``/``ids`` if it is cached (fresh or
    stale), else None: never an API call. For pages that show a shared, costly result only
    once something else has built it."""
    found = resilience.peek(cache_key(kind, *ids), parse.from_cache)
    return None if found is None else found[0]


def forget(kind: str, *ids: str) -> None:
    """Drop one cached resource (after a write, or to force a refresh); other processes'
    near copies lapse within DEADLINE_NEAR_CACHE_SECONDS."""
    key = cache_key(kind, *ids)
    resilience.delete(key)
    resilience.near_cache().forget(key)


# --- Many entries at once: results that never change once computed (finished attempts) -----


def load_many(kind: str, ids_list: Iterable[tuple[str, ...]], parse: type[C]) -> dict[Any, C]:
    """The cached values among ``ids_list`` (one cache round trip); absent or unreadable
    entries are left out. Entries come from ``store_many``: their lifetime is the cache's."""
    key = _keys(kind)
    keys = {key(ids): ids for ids in ids_list}
    found: dict[Any, C] = {}
    for key, raw in resilience.get_many(list(keys)).items():
        try:
            found[keys[key]] = _decoded(kind, raw, parse)
        except (ValueError, KeyError, TypeError):
            logger.warning("cache=unreadable kind=%s: dropped", kind)
    return found


_DECODED_MAX = 20_000
_DECODED_MAX_CHARS = 4096  # big entries (a job's whole list) are parsed each time, not kept
_decoded_values: LRUCache[tuple[str, str], Any] = LRUCache(_DECODED_MAX)
_decoded_lock = threading.Lock()


def _decoded(kind: str, raw: str, parse: type[C]) -> C:
    """``parse`` of a stored entry, remembered by its text: a page polled every second reads
    the same hundreds of entries again, and they are immutable values."""
    if len(raw) > _DECODED_MAX_CHARS:
        return parse.from_cache(json.loads(raw)["data"])
    memo = (kind, raw)
    with _decoded_lock:
        value = _decoded_values.get(memo)
    if value is None:
        value = parse.from_cache(json.loads(raw)["data"])
        with _decoded_lock:
            _decoded_values[memo] = value
    return value  # type: ignore[no-any-return]


def store_many(kind: str, values: Mapping[tuple[str, ...], Cacheable], ttl: float) -> None:
    """Store computed values for ``ttl`` seconds, in the form ``load_many`` reads."""
    at = resilience.clock().time()
    key = _keys(kind)
    resilience.set_many(
        {
            key(ids): json.dumps({"at": at, "data": value.to_cache()}, separators=(",", ":"))
            for ids, value in values.items()
        },
        ttl,
    )


def lease(kind: str, ids: tuple[str, ...], seconds: float) -> resilience.HeldLock | None:
    """A short lease on some work (one holder across every process sharing the cache), or
    None while another holder has it. It lapses ``seconds`` after it is taken; only its holder
    can release it (``.release()``), so a holder that outlived its lease cannot release the
    next holder's."""
    held = resilience.lock(cache_key(kind, *ids) + ":lease", seconds)
    return held if held.acquire() else None


# The leases ``claim`` took in this process, by what they are on: ``release`` gives up only
# those (with their holder's token), never a lease another process took after one lapsed.
_claimed: dict[tuple[str, tuple[str, ...]], resilience.HeldLock] = {}
_claimed_lock = threading.Lock()


def claim(kind: str, ids: tuple[str, ...], seconds: float) -> bool:
    """``lease`` held by this process until ``release(kind, ids)``; False when another
    holder has it."""
    held = lease(kind, ids, seconds)
    if held is None:
        return False
    with _claimed_lock:
        _claimed[(kind, ids)] = held
    return True


def release(kind: str, ids: tuple[str, ...]) -> bool:
    """Give up the lease this process ``claim``-ed on ``kind``/``ids``; False (and nothing
    deleted) when it lapsed meanwhile or this process never held it."""
    with _claimed_lock:
        held = _claimed.pop((kind, ids), None)
    return held is not None and held.release()
