"""A task's attempts as the task page shows them: each attempt (its task-run action, session,
worker and fleet), the list of them, and which one a ``?attempt=`` link names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from ..deadline.farm_types import DEAD_WORKER_STATUSES
from ..deadline.ids import ID_PATTERNS
from ..deadline.session_types import (
    SETUP_ACTIONS,
    ActionStatus,
    Fleet,
    Session,
    SessionAction,
    Worker,
)

#: ``?attempt=latest``: the newest attempt, whatever its ID (a bookmark that stays current).
LATEST = "latest"
#: The attempt's window is widened by this on both sides: the agent's own lines (exit code,
#: the failure) are stamped at the very instant the action ends, and clocks differ slightly.
LOG_WINDOW_SLACK = timedelta(seconds=1)
#: CloudWatch ingests with a delay: keep following this long after the attempt ended.
FOLLOW_GRACE = timedelta(seconds=15)


@dataclass(frozen=True)
class Attempt:
    """One attempt at the task: its task-run action, session, worker and fleet.

    ``session``/``worker``/``fleet`` are None when their read failed (the page says so).
    ``setup`` is the session's input sync or environment enter that failed before the task
    could run (the task run is then NEVER_ATTEMPTED): the attempt failed there.
    """

    number: int  # 1 = the first attempt
    action: SessionAction
    session: Session | None = None
    worker: Worker | None = None
    fleet: Fleet | None = None
    setup: SessionAction | None = None

    @property
    def session_action_id(self) -> str:
        return self.action.session_action_id

    @property
    def session_id(self) -> str:
        return self.action.session_id

    @property
    def status(self) -> ActionStatus:
        if self.failed_in is not None:
            return ActionStatus.FAILED
        return self.action.status

    @property
    def failed_in(self) -> str | None:
        """What failed instead of the task run ("environment enter", "job attachments input
        sync"), or None."""
        if self.setup is None or self.action.status is not ActionStatus.NEVER_ATTEMPTED:
            return None
        return SETUP_ACTIONS.get(self.setup.kind, self.setup.kind)

    @property
    def cause(self) -> SessionAction:
        """The action whose output explains the attempt: the failed setup action, else the
        task run."""
        return self.setup if self.failed_in is not None and self.setup else self.action

    @property
    def worker_id(self) -> str | None:
        return self.session.worker_id if self.session else None

    @property
    def fleet_id(self) -> str | None:
        return self.session.fleet_id if self.session else None

    @property
    def host_name(self) -> str | None:
        if self.worker and self.worker.host_name:
            return self.worker.host_name
        return self.session.host_name if self.session else None

    @property
    def worker_label(self) -> str:
        """Short host name (``render-a-017``), else the worker ID."""
        if self.host_name:
            return self.host_name.split(".")[0]
        return self.worker_id or "an unknown worker"

    @property
    def worker_activity(self) -> tuple[str, bool]:
        """What the worker is doing for this task, and whether that is trouble: the attempt's
        own state first, so a worker running it never reads "Idle" (its status says what it
        does overall, not for this task); a dead worker holding a live attempt is trouble."""
        status = self.worker.status if self.worker else ""
        state = status.replace("_", " ").lower()
        if self.status.is_live:
            doing = _LIVE_ACTIVITY.get(self.status, "holding this task")
            if status in DEAD_WORKER_STATUSES:
                return f"{state.capitalize()} while {doing}", True
            if self.session is not None and self.session.ended_at is not None:
                return f"No longer {doing}: its session ended", True
            return doing.capitalize(), False
        if self.worker is None:
            return "", False
        return f"Done with this attempt; now {state}", self.worker.is_unhealthy

    @property
    def ip_addresses(self) -> tuple[str, ...]:
        if self.worker and self.worker.ip_addresses:
            return self.worker.ip_addresses
        return self.session.ip_addresses if self.session else ()

    @property
    def progress_value(self) -> str | None:
        """The ``<progress value>`` attribute (a plain decimal, never localized)."""
        percent = self.action.progress_percent
        return None if percent is None else f"{min(max(percent, 0.0), 100.0):g}"

    @property
    def log_start(self) -> datetime | None:
        """The window of the attempt's own action (its task run, or the setup action that
        failed instead): in a session shared with other tasks, theirs are left out."""
        start = self.cause.started_at or (self.session.started_at if self.session else None)
        return None if start is None else start - LOG_WINDOW_SLACK

    @property
    def log_end(self) -> datetime | None:
        end = self.cause.ended_at
        return None if end is None else end + LOG_WINDOW_SLACK

    def duration(self, now: datetime) -> timedelta | None:
        if self.action.started_at is None:
            return None
        return max((self.action.ended_at or now) - self.action.started_at, timedelta(0))

    def is_following(self, now: datetime) -> bool:
        """Its log may still grow: live, or ended so recently that lines are still arriving."""
        if self.action.ended_at is None:
            return self.status.is_live or self.status is ActionStatus.UNKNOWN
        return now < self.action.ended_at + FOLLOW_GRACE


_LIVE_ACTIVITY = {
    ActionStatus.ASSIGNED: "assigned this task",
    ActionStatus.SCHEDULED: "about to run this task",
    ActionStatus.RUNNING: "running this task",
    ActionStatus.CANCELING: "canceling this task",
    ActionStatus.RECLAIMING: "giving this task back",
}


@dataclass(frozen=True)
class FailureVerdict:
    """Why a failed task failed, in one line: how many attempts failed, and the latest failed
    attempt's exit code, message and worker."""

    failed: int
    attempt: Attempt

    @property
    def exit_code(self) -> int | None:
        return self.attempt.cause.process_exit_code

    @property
    def message(self) -> str:
        return self.attempt.cause.progress_message or ""

    @property
    def times(self) -> str:
        return "once" if self.failed == 1 else f"{self.failed} times"


@dataclass(frozen=True)
class TaskAttempts:
    """A task's attempts, newest first, plus what could not be read about them."""

    attempts: tuple[Attempt, ...]
    problems: tuple[str, ...] = ()

    @property
    def latest(self) -> Attempt | None:
        return self.attempts[0] if self.attempts else None

    def find(self, session_action_id: str) -> Attempt | None:
        return next((a for a in self.attempts if a.session_action_id == session_action_id), None)

    @property
    def any_live(self) -> bool:
        return any(a.status.is_live for a in self.attempts)

    @property
    def failed(self) -> tuple[Attempt, ...]:
        return tuple(a for a in self.attempts if a.status is ActionStatus.FAILED)

    @property
    def verdict(self) -> FailureVerdict | None:
        """The latest failed attempt and how many failed, or None when none did."""
        failed = self.failed
        return FailureVerdict(failed=len(failed), attempt=failed[0]) if failed else None

    @cached_property
    def version(self) -> str:
        """Digest of everything shown: equal versions render identically."""
        parts = [
            [
                a.action.to_cache(),
                a.setup.to_cache() if a.setup else None,
                a.session.to_cache() if a.session else None,
                a.worker.to_cache() if a.worker else None,
                a.fleet.to_cache() if a.fleet else None,
            ]
            for a in self.attempts
        ]
        text = json.dumps([parts, list(self.problems)], sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def choose_attempt(attempts: Sequence[Attempt], wanted: str) -> tuple[Attempt | None, bool]:
    """The attempt ``?attempt=`` names among ``attempts`` (newest first): ``""`` or
    ``"latest"`` mean the latest. False when ``wanted`` names none of them (the latest
    stands in)."""
    latest = attempts[0] if attempts else None
    if wanted in ("", LATEST):
        return latest, True
    if is_session_action_id(wanted):
        found = next((a for a in attempts if a.session_action_id == wanted), None)
        if found is not None:
            return found, True
    return latest, False


def is_session_action_id(value: str) -> bool:
    return ID_PATTERNS["session_action_id"].fullmatch(value) is not None


def chronological(action: SessionAction, setup: SessionAction | None = None) -> tuple[float, str]:
    # Not yet started (ASSIGNED) sorts last: it is the newest attempt. A run never attempted
    # (its session's setup failed) sorts by when that setup started.
    when = action.started_at or (setup.started_at if setup else None)
    started = when.timestamp() if when else float("inf")
    return (started, action.session_action_id)
