"""Batch operations a backend refused (an IAM policy written before they existed, or an older
endpoint that does not know them): remembered per backend in the cache every process shares,
so later actions go straight to the single-call operation. With the cache down, each action
finds out again, at the cost of one refused call."""

from __future__ import annotations

from ...deadline import client, resilience
from ...deadline.errors import DeadlineError

#: How long a refusal is believed (a policy may be updated meanwhile).
REMEMBER_SECONDS = 3600.0


def _key(operation: str) -> str:
    return f"actions:refused:{operation}:{client.backend_identity().as_key()}"


def refused(operation: str) -> str:
    """Why this backend refused ``operation`` lately ("" when it did not)."""
    key = _key(operation)
    value = resilience.get_many([key]).get(key)
    return value if isinstance(value, str) else ""


def remember(operation: str, exc: DeadlineError) -> str:
    """Note that this backend refused ``operation``; returns the reason as the result page
    shows it."""
    reason = f"{operation} was refused ({exc.message})"
    resilience.set_many({_key(operation): reason}, REMEMBER_SECONDS)
    return reason
