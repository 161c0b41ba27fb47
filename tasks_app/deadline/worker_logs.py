"""A worker's log (CloudWatch ``/aws/deadline/<farm>/<fleet>``, stream ``<worker>``): the
window a page or a chart reads, and a search of it.

Reads follow every token inside the window up to ``MAX_PAGES`` (a worker writes about 1,500
events an hour at most; the default chart windows fit in one or two pages) and say when the
cap cut them (``complete``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .calls import call_api
from .logs import LOGS, epoch_ms

#: GetLogEvents / FilterLogEvents pages one read follows at most.
MAX_PAGES = 10


def worker_log_group(*, farm_id: str, fleet_id: str) -> str:
    """Where Deadline Cloud writes a fleet's worker logs (GetWorker's ``log`` may say else)."""
    return f"/aws/deadline/{farm_id}/{fleet_id}"


def read_window(
    *, group: str, stream: str, start: datetime, end: datetime | None = None
) -> dict[str, Any]:
    """Every event of ``stream`` in [start, end), oldest first (GetLogEvents from the head,
    following forward tokens until one repeats or MAX_PAGES)."""
    params: dict[str, Any] = {
        "logGroupName": group,
        "logStreamName": stream,
        "startTime": epoch_ms(start),
        "startFromHead": True,
    }
    if end is not None:
        params["endTime"] = epoch_ms(end)
    events: list[Any] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        answer = call_api(
            LOGS, "GetLogEvents", {**params, **({"nextToken": token} if token else {})}
        )
        events.extend(answer.get("events") or [])
        forward = answer.get("nextForwardToken")
        if not forward or forward == token:
            return {"events": events, "complete": True, "nextForwardToken": forward}
        token = forward
    return {"events": events, "complete": False, "nextForwardToken": token}


def read_after(*, group: str, stream: str, token: str) -> dict[str, Any]:
    """The events written after a forward token (following the log): one page."""
    params = {"logGroupName": group, "logStreamName": stream, "nextToken": token}
    answer = call_api(LOGS, "GetLogEvents", {**params, "startFromHead": True})
    return {
        "events": answer.get("events") or [],
        "complete": True,
        "nextForwardToken": answer.get("nextForwardToken") or token,
    }


def search_window(
    *, group: str, stream: str, pattern: str, start: datetime, end: datetime, limit: int
) -> dict[str, Any]:
    """Events of ``stream`` in [start, end) matching a CloudWatch filter pattern, oldest
    first, at most ``limit`` (FilterLogEvents, following tokens up to MAX_PAGES)."""
    params: dict[str, Any] = {
        "logGroupName": group,
        "logStreamNames": [stream],
        "filterPattern": pattern,
        "startTime": epoch_ms(start),
        "endTime": epoch_ms(end),
    }
    events: list[Any] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        extra = {"nextToken": token} if token else {}
        answer = call_api(LOGS, "FilterLogEvents", {**params, "limit": limit, **extra})
        events.extend(answer.get("events") or [])
        token = answer.get("nextToken")
        if not token or len(events) >= limit:
            break
    return {"events": events[:limit], "complete": not token and len(events) <= limit}
