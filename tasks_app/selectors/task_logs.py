"""A task attempt's session log, a page at a time: where it is (GetSession's ``log.options``,
else the ``deadline`` CLI's convention), its tail, earlier pages and new lines while following
(CloudWatch GetLogEvents with its forward/backward tokens: a whole stream is never loaded), and
the command lines that read the same lines."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from ..deadline.cache import cached_read
from ..deadline.logs import epoch_ms, get_log_events, log_group_name
from ..deadline.session_types import LogPage, Session
from ..iso8601 import iso8601
from .resources import now
from .task_attempts import FOLLOW_GRACE, Attempt

#: Lines one log read returns (the tail, and each "load more" page).
LOG_PAGE_LINES = 200


def _window_key(start: datetime | None, end: datetime | None) -> str:
    return f"{epoch_ms(start) if start else ''}-{epoch_ms(end) if end else ''}"


def log_location(
    *, farm_id: str, queue_id: str, session_id: str, session: Session | None = None
) -> tuple[str, str]:
    """(log group, log stream) of a session's log: where GetSession's ``log.options`` say
    (the worker agent writes there), else the convention the ``deadline`` CLI uses."""
    group = session.log_group if session is not None else None
    stream = session.log_stream if session is not None else None
    return (
        group or log_group_name(farm_id=farm_id, queue_id=queue_id),
        stream or session_id,
    )


def get_log_tail(
    *,
    farm_id: str,
    queue_id: str,
    session_id: str,
    start: datetime | None,
    end: datetime | None,
    limit: int = LOG_PAGE_LINES,
    before_token: str | None = None,
    group: str | None = None,
    stream: str | None = None,
) -> LogPage:
    """The last ``limit`` lines of a session log inside [start, end) (end None: still open),
    or with ``before_token`` the ``limit`` lines before an earlier page.

    Reads ``group``/``stream`` (see ``log_location``; default: the convention). Raises
    LogNotFound when the group or stream does not exist, AccessDenied naming
    ``logs:GetLogEvents``. Earlier pages never change and are cached like names; the tail is
    cached for DEADLINE_CACHE_SECONDS while the window is open.
    """
    group = group or log_group_name(farm_id=farm_id, queue_id=queue_id)
    stream = stream or session_id
    settled = end is not None and now() > end + FOLLOW_GRACE
    ttl = (
        settings.DEADLINE_NAME_CACHE_SECONDS
        if settled or before_token
        else settings.DEADLINE_CACHE_SECONDS
    )
    return cached_read(
        kind="log-page",
        ids=(group, stream, _window_key(start, end), str(limit), "b", before_token or ""),
        ttl=ttl,
        fetch=lambda: get_log_events(
            group=group,
            stream=stream,
            start=start,
            end=end,
            limit=limit,
            token=before_token,
            from_head=False,
        ),
        parse=LogPage,
    )


def get_log_since(
    *,
    farm_id: str,
    queue_id: str,
    session_id: str,
    start: datetime | None,
    end: datetime | None,
    after_token: str,
    limit: int = LOG_PAGE_LINES,
    group: str | None = None,
    stream: str | None = None,
) -> LogPage:
    """Lines written after an earlier page (follow mode): GetLogEvents with its
    ``nextForwardToken``; no lines and the same token when nothing new arrived."""
    group = group or log_group_name(farm_id=farm_id, queue_id=queue_id)
    stream = stream or session_id
    return cached_read(
        kind="log-page",
        ids=(group, stream, _window_key(start, end), str(limit), "f", after_token),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: get_log_events(
            group=group,
            stream=stream,
            start=start,
            end=end,
            limit=limit,
            token=after_token,
            from_head=True,
        ),
        parse=LogPage,
    )


# --- Commands ----------------------------------------------------------------------------------


def deadline_logs_command(
    *, farm_id: str, queue_id: str, job_id: str, attempt: Attempt, limit: int = LOG_PAGE_LINES
) -> str:
    """The ``deadline job logs`` command line for the same lines (the `deadline` CLI)."""
    parts = [
        "deadline job logs",
        f"--farm-id {farm_id}",
        f"--queue-id {queue_id}",
        f"--job-id {job_id}",
        f"--session-id {attempt.session_id}",
    ]
    if attempt.log_start is not None:
        parts.append(f"--start-time {iso8601(attempt.log_start, timespec='seconds')}")
    if attempt.log_end is not None:
        # The CLI takes whole seconds: round the end up so the last lines stay inside.
        parts.append(
            f"--end-time {iso8601(attempt.log_end + timedelta(seconds=1), timespec='seconds')}"
        )
    parts.append(f"--limit {limit}")
    return " ".join(parts)


def aws_logs_command(
    *, farm_id: str, queue_id: str, attempt: Attempt, limit: int = LOG_PAGE_LINES
) -> str:
    """The ``aws logs get-log-events`` command line for the same lines."""
    group, stream = log_location(
        farm_id=farm_id, queue_id=queue_id, session_id=attempt.session_id, session=attempt.session
    )
    parts = [
        "aws logs get-log-events",
        f"--log-group-name {group}",
        f"--log-stream-name {stream}",
    ]
    if attempt.log_start is not None:
        parts.append(f"--start-time {epoch_ms(attempt.log_start)}")
    if attempt.log_end is not None:
        parts.append(f"--end-time {epoch_ms(attempt.log_end)}")
    parts.append(f"--limit {limit}")
    return " ".join(parts)
