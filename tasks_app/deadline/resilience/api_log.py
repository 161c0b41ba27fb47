"""The boundary's log lines: one per API call (and why it was made: a cache miss, the refresh
of an expired entry, or uncached), and the cache's hits, coalesced reads and stale answers."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Mapping
from typing import Any

from . import clocks

logger = logging.getLogger("tasks_app.cache")
api_logger = logging.getLogger("tasks_app.api")

#: Why the API call under way in this context was made: "miss", "refresh" or "none".
cache_state: contextvars.ContextVar[str] = contextvars.ContextVar(
    "dashboard_cache_state", default="none"
)


def log_api_call(
    operation: str, params: Mapping[str, Any], ms: float, outcome: str, retries: int | None
) -> None:
    """One line per API call: operation, resource IDs, latency, outcome, retries and why the
    call was made (cache miss, refresh of an expired entry, or uncached). Only *Id members of
    the request are logged: never tokens, credentials or headers."""
    ids = ",".join(str(v) for k, v in params.items() if k.endswith("Id") and isinstance(v, str))
    api_logger.log(
        logging.INFO if outcome == "ok" else logging.WARNING,
        "api op=%s ids=%s ms=%.1f outcome=%s retries=%s cache=%s",
        operation,
        ids or "-",
        ms,
        outcome,
        "-" if retries is None else retries,
        cache_state.get(),
    )


def log_cache(state: str, kind: str, ids: tuple[str, ...], at: float | None, **extra: Any) -> None:
    level = logging.WARNING if state == "stale" else logging.DEBUG
    if not logger.isEnabledFor(level):  # every cached read passes here: format nothing
        return
    age = "-" if at is None else f"{max(0.0, clocks.clock().time() - at):.1f}"
    details = "".join(f" {k}={v}" for k, v in extra.items())
    logger.log(
        level, "cache=%s kind=%s ids=%s age_s=%s%s", state, kind, ",".join(ids), age, details
    )
