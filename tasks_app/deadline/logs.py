"""CloudWatch Logs, where the session logs live: the API's description (its own error
mapping on top of the shared one) and one page of a log stream."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from . import client
from .calls import ApiService, call_api
from .errors import DeadlineError, InvalidRequest, NotFound

_LOG_PAGE_BYTES = 1_048_576  # GetLogEvents stops a page at 1 MB whatever the limit


class LogNotFound(NotFound):
    """The session's log group or stream does not exist (yet, or any more)."""

    def __init__(self, *, log_group: str, log_stream: str, missing: str) -> None:
        self.log_group = log_group
        self.log_stream = log_stream
        self.missing = missing  # "group" or "stream"
        if missing == "group":
            message = (
                f"The log group {log_group} does not exist: no session of this queue has "
                "written a log yet, or the group was deleted."
            )
        else:
            message = (
                f"No log yet for session {log_stream} in {log_group}: the worker has not "
                "uploaded any output for it, or the log expired under the group's retention."
            )
        super().__init__("log stream", log_stream, message)


def log_group_name(*, farm_id: str, queue_id: str) -> str:
    """Where Deadline Cloud writes a queue's session logs."""
    return f"/aws/deadline/{farm_id}/{queue_id}"


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch: CloudWatch's unit for times."""
    return int(value.timestamp() * 1000)


def _map_logs_error(
    exc: ClientError, operation: str, params: Mapping[str, Any]
) -> DeadlineError | None:
    """CloudWatch Logs' own errors; the rest follow the shared mapping in calls."""
    response: Mapping[str, Any] = exc.response
    code = str(response.get("Error", {}).get("Code", ""))
    message = str(response.get("Error", {}).get("Message", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code == "ResourceNotFoundException" or status == 404:
        # A 404 without the modelled code is a stream not written yet.
        missing = "group" if code and "group" in message.lower() else "stream"
        return LogNotFound(
            log_group=str(params.get("logGroupName", "")),
            log_stream=str(params.get("logStreamName", "")),
            missing=missing,
        )
    if code == "InvalidParameterException" and "token" in message.lower():
        return InvalidRequest(
            "The log position is no longer valid (CloudWatch tokens last 24 hours): reload "
            "the log to start again from its latest lines."
        )
    return None


LOGS = ApiService(
    name="CloudWatch Logs",
    iam_prefix="logs",
    # boto3 names it after the service ID "CloudWatch Logs", not the client name "logs".
    endpoint_variable="AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    client=lambda: client.get_logs_client(),
    endpoint=lambda: client.get_logs_client().meta.endpoint_url,
    map_specific=_map_logs_error,
)


def get_log_events(
    *,
    group: str,
    stream: str,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    token: str | None,
    from_head: bool,
) -> dict[str, Any]:
    """One GetLogEvents page of ``stream`` inside [start, end), with its tokens and whether
    earlier lines exist inside the window."""
    params: dict[str, Any] = {
        "logGroupName": group,
        "logStreamName": stream,
        "limit": limit,
        "startFromHead": from_head,
    }
    if start is not None:
        params["startTime"] = epoch_ms(start)
    if end is not None:
        params["endTime"] = epoch_ms(end)
    if token is not None:
        params["nextToken"] = token
    answer = call_api(LOGS, "GetLogEvents", params)
    events = answer.get("events") or []
    size = sum(len(str(e.get("message", "")).encode()) + 26 for e in events)
    backward = answer.get("nextBackwardToken")
    # A full page (by count, or by CloudWatch's 1 MB cap) may have lines before it; a short
    # one reached the window's start. At the very start CloudWatch echoes the token back.
    full = len(events) >= limit or size >= _LOG_PAGE_BYTES * 0.9
    has_earlier = bool(events) and full and backward not in (None, token)
    return {
        "events": events,
        "nextForwardToken": answer.get("nextForwardToken"),
        "nextBackwardToken": backward,
        "hasEarlier": has_earlier,
    }
