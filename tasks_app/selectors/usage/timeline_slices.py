"""A worker's lane cut into equal slices of the window: how long it was in sessions in each,
and how many task runs started there (how many failed): the aggregate bars of a timeline."""

from __future__ import annotations

from dataclasses import dataclass

from .timeline import TASK_RUN, Window, WorkerActivity

#: Slices per lane when aggregated.
SLICES = 120


@dataclass(frozen=True)
class Slice:
    start: float  # epoch seconds
    end: float
    busy_seconds: float
    task_runs: int
    failed: int

    @property
    def share(self) -> float:
        return (
            min(self.busy_seconds / (self.end - self.start), 1.0) if self.end > self.start else 0.0
        )


def slices(worker: WorkerActivity, window: Window, now: float, count: int = SLICES) -> list[Slice]:
    """The slices of ``window`` the worker was busy in (sessions overlapping them)."""
    width = window.seconds / count
    busy = [0.0] * count
    runs = [0] * count
    failed = [0] * count
    for session in worker.sessions:
        if not window.holds(session.start, session.end, now):
            continue
        _spread(busy, session.start, session.end, window, width, now)
        for action in worker.actions[session.session_id]:
            if action.kind != TASK_RUN or action.start is None:
                continue
            if window.start <= action.start < window.end:
                n = min(int((action.start - window.start) / width), count - 1)
                runs[n] += 1
                failed[n] += action.status == "FAILED"
    return [
        Slice(
            start=window.start + n * width,
            end=window.start + (n + 1) * width,
            busy_seconds=busy[n],
            task_runs=runs[n],
            failed=failed[n],
        )
        for n in range(count)
        if busy[n]
    ]


def _spread(
    busy: list[float],
    start: float | None,
    end: float | None,
    window: Window,
    width: float,
    now: float,
) -> None:
    """Add the part of ``start``..``end`` inside the window to the slices it covers."""
    low = max(start or window.start, window.start) - window.start
    high = min(end if end is not None else now, window.end) - window.start
    if high <= low:
        return
    last = len(busy) - 1
    first, final = min(int(low / width), last), min(int(high / width), last)
    if first == final:
        busy[first] += high - low
        return
    busy[first] += (first + 1) * width - low
    for n in range(first + 1, final):
        busy[n] += width
    busy[final] += high - final * width
