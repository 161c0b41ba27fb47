"""Load balancer probes: ``/healthz`` (the process answers) and ``/readyz`` (it can read
Deadline Cloud). Both are public: authentication consults ``PUBLIC_PATHS``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..deadline import calls, client, resilience
from ..deadline.errors import DeadlineError, Unavailable

#: Paths served without authentication (load balancers carry no session).
PUBLIC_PATHS = ("/healthz", "/readyz")
#: A load balancer probing every second costs one ListFarms per this many seconds.
READY_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class _Readiness:
    checked_at: float
    status: int
    body: dict[str, Any]
    retry_after: int | None = None


_ready_lock = threading.Lock()
_last_readiness: _Readiness | None = None


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process serves requests. Never calls the API."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: credentials resolve and ListFarms (maxResults=1) answers; the verdict is
    kept READY_CACHE_SECONDS so probes don't spend the API's rate quota."""
    readiness = _readiness()
    response = JsonResponse(readiness.body, status=readiness.status)
    if readiness.retry_after is not None:
        response["Retry-After"] = str(readiness.retry_after)
    return response


def _readiness() -> _Readiness:
    global _last_readiness  # one verdict per process, shared by concurrent probes
    with _ready_lock:  # concurrent probes wait for one check rather than each calling
        now = resilience.clock().monotonic()
        cached = _last_readiness
        if cached is not None and now - cached.checked_at < READY_CACHE_SECONDS:
            return cached
        _last_readiness = _check(now)
        return _last_readiness


def _check(now: float) -> _Readiness:
    started = time.perf_counter()
    try:
        identity = client.backend_identity()
        calls.call("ListFarms", maxResults=1)
    except DeadlineError as exc:
        reason = exc.reason if isinstance(exc, Unavailable) else type(exc).__name__
        retry_after = exc.retry_after if isinstance(exc, Unavailable) else None
        return _Readiness(
            now,
            503,
            {"status": "unavailable", "reason": reason, "message": exc.message},
            retry_after or calls.DEFAULT_RETRY_AFTER,
        )
    except Exception as exc:  # client creation failing (bad profile...) is "not ready", not 500
        return _Readiness(
            now,
            503,
            {"status": "unavailable", "reason": "client-error", "message": type(exc).__name__},
            calls.DEFAULT_RETRY_AFTER,
        )
    return _Readiness(
        now,
        200,
        {
            "status": "ready",
            "backend": identity.backend,
            "region": identity.region,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )


def reset() -> None:
    """Forget the cached verdict (tests)."""
    global _last_readiness  # see _readiness
    with _ready_lock:
        _last_readiness = None
