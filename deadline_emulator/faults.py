"""Fault injection: added latency, throttling, 5xx, access denied, or an unreachable endpoint.

Rules are per operation (``"GetTask"``) or for all (``"*"``); an operation's own rule
replaces the ``"*"`` rule. Random draws come from a seeded ``random.Random``, so a run with
the same seed and the same sequence of calls injects the same faults.

``down`` raises ``EmulatorUnavailable`` instead of answering: the in-process transport turns
it into botocore's ``EndpointConnectionError`` and the HTTP server closes the connection
without a response (botocore: ``ConnectionClosedError``). Under a foreign WSGI server it
answers 503.

Batch operations (``Batch*``) also take item faults: ``item_throttle_rate`` and
``item_error_rate`` strike single items of a call that got through, which then answers 200
with those items in its ``errors`` (``ThrottlingException`` / ``InternalServerErrorException``
codes) and leaves them unchanged. An item code the operation's model does not list (the
BatchGetSession*/BatchGetWorker enums have no ``ThrottlingException``) is never injected.
``deny`` on one operation (``set("BatchUpdateTask", deny=True)``) answers
``AccessDeniedException`` for that operation alone, as an IAM policy written before it existed.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from deadline_emulator.batch import item_error_codes
from deadline_emulator.exceptions import (
    AccessDeniedException,
    DeadlineError,
    InternalServerErrorException,
    ThrottlingException,
)
from deadline_emulator.responses import EmulatorUnavailable

__all__ = ["ENV_VARIABLES", "EmulatorUnavailable", "FaultInjector", "FaultRule"]

ENV_VARIABLES = {
    "DEADLINE_EMULATOR_LATENCY_MS": "latency_ms",
    "DEADLINE_EMULATOR_THROTTLE_RATE": "throttle_rate",
    "DEADLINE_EMULATOR_ERROR_RATE": "error_rate",
}

DENY_PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/demo/emulator"


@dataclass(frozen=True)
class FaultRule:
    """What to do to calls of one operation. Rates are fractions of calls (0..1)."""

    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    deny: bool = False
    down: bool = False
    retry_after_seconds: int = 1
    item_throttle_rate: float = 0.0  # fractions of batch items, not of calls
    item_error_rate: float = 0.0

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        for name in ("throttle_rate", "error_rate", "item_throttle_rate", "item_error_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.throttle_rate + self.error_rate > 1.0:
            raise ValueError("throttle_rate + error_rate must not exceed 1")
        if self.item_throttle_rate + self.item_error_rate > 1.0:
            raise ValueError("item_throttle_rate + item_error_rate must not exceed 1")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> FaultRule:
        """Build from JSON-ish values; unknown keys and wrong types raise ValueError."""
        known = {field.name: field.type for field in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        converted: dict[str, Any] = {}
        for name, value in values.items():
            default = getattr(cls, name)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
                converted[name] = value
            else:
                try:
                    converted[name] = type(default)(value)
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{name} must be a number") from exc
        return cls(**converted)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Per-operation fault rules applied before the backend is called."""

    def __init__(self, seed: int = 0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._rules: dict[str, FaultRule] = {}
        self._sleep = sleep

    def set(self, operation: str = "*", **rule: Any) -> FaultRule:
        """Replace the rule for ``operation`` (``"*"``: every operation without its own)."""
        built = FaultRule.from_dict(rule)
        with self._lock:
            self._rules[operation] = built
        return built

    def clear(self, operation: str | None = None) -> None:
        """Remove one operation's rule, or every rule."""
        with self._lock:
            if operation is None:
                self._rules.clear()
            else:
                self._rules.pop(operation, None)

    def rules(self) -> dict[str, dict[str, Any]]:
        """The current rules, JSON-ready."""
        with self._lock:
            return {operation: rule.as_dict() for operation, rule in self._rules.items()}

    def rule_for(self, operation: str) -> FaultRule | None:
        rules = self._rules
        return rules.get(operation) or rules.get("*")

    def load_env(self, environ: Mapping[str, str]) -> FaultRule | None:
        """Set the ``"*"`` rule from ``DEADLINE_EMULATOR_*`` variables, if any is set."""
        values = {
            setting: environ[variable]
            for variable, setting in ENV_VARIABLES.items()
            if environ.get(variable, "").strip()
        }
        if not values:
            return None
        try:
            return self.set("*", **values)
        except ValueError as exc:
            raise ValueError(f"bad DEADLINE_EMULATOR_* setting: {exc}") from exc

    def apply(self, operation: str) -> None:
        """Sleep and/or raise the fault chosen for this call of ``operation``."""
        if not self._rules:
            return
        rule = self.rule_for(operation)
        if rule is None:
            return
        if rule.latency_ms:
            self._sleep(rule.latency_ms / 1000.0)
        if rule.down:
            raise EmulatorUnavailable(f"emulated outage of {operation}")
        if rule.deny:
            raise AccessDeniedException(
                f"User: {DENY_PRINCIPAL} is not authorized to perform: deadline:{operation} "
                f"because no identity-based policy allows the deadline:{operation} action"
            )
        if rule.throttle_rate or rule.error_rate:
            with self._lock:
                draw = self._random.random()
            if draw < rule.throttle_rate:
                raise ThrottlingException(
                    "Rate exceeded", retry_after_seconds=rule.retry_after_seconds
                )
            if draw < rule.throttle_rate + rule.error_rate:
                raise InternalServerErrorException(
                    "Internal server error (emulator fault injection)",
                    retry_after_seconds=rule.retry_after_seconds,
                )

    def item_fault(self, operation: str) -> DeadlineError | None:
        """The error to report for one item of batch ``operation``, or None to serve it."""
        if not self._rules:
            return None
        rule = self.rule_for(operation)
        if rule is None or not (rule.item_throttle_rate or rule.item_error_rate):
            return None
        codes = item_error_codes(operation)
        throttle = rule.item_throttle_rate if "ThrottlingException" in codes else 0.0
        error = rule.item_error_rate if "InternalServerErrorException" in codes else 0.0
        with self._lock:
            draw = self._random.random()
        if draw < throttle:
            return ThrottlingException(
                "Rate exceeded", retry_after_seconds=rule.retry_after_seconds
            )
        if draw < throttle + error:
            return InternalServerErrorException(
                "Internal server error (emulator fault injection)",
                retry_after_seconds=rule.retry_after_seconds,
            )
        return None
