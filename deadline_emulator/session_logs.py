"""Logs of sessions as ``real_sessions.py`` plans them: a session that runs several tasks
holds every action's output in order (one agent header, the input sync and the environment
once, each task's run, one environment exit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deadline_emulator.render_logs import AttemptPlan, SessionLog, render_log


class SharedSessionLog(SessionLog):
    """One session that ran several tasks: each task's lines after the one before it."""

    def __init__(self, plans: list[AttemptPlan], seed: int = 0, now_ms: int | None = None) -> None:
        parts = [SessionLog(plan, seed, None) for plan in plans]
        head = parts[0]
        self.plan = head.plan
        self.key = head.key
        self.ingest_lag_ms = head.ingest_lag_ms
        self.renderer = head.renderer
        self.ctx = head.ctx
        self.segments: list[Any] = [segment for part in parts for segment in part.segments]
        self._offsets: list[int] = []
        total = 0
        for segment in self.segments:
            self._offsets.append(total)
            total += segment.count
        self.total = total
        self.count = total if now_ms is None else self.index_at(self.visible_before(now_ms))


def shared_session_log(timeline: dict[str, Any], seed: int, now_ms: int | None) -> SharedSessionLog:
    """The log of a session whose ``members`` (one timeline per task, in order) share it."""
    members = timeline["members"]
    plans = [AttemptPlan.from_timeline(member, seed) for member in members]
    return SharedSessionLog(plans, seed, now_ms)


def render_session(
    timeline: dict[str, Any], *, seed: int = 0, now: datetime | float | None = None
) -> SessionLog:
    """The log of the session ``timeline`` describes (``attempt_timeline``), as visible at
    ``now``: one task's, or every task's in order when it ran several (``members``)."""
    if len(timeline.get("members") or ()) < 2:
        return render_log(timeline, seed=seed, now=now)
    now_ms = None
    if now is not None:
        now_ms = int((now.timestamp() if isinstance(now, datetime) else now) * 1000)
    return shared_session_log(timeline, seed, now_ms)
