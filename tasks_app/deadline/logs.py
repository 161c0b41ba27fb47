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


#: Further GetLogEvents calls one backward read may make to fill a page that came back short.
MAX_BACKWARD_FOLLOWS = 4


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
    """One page of ``stream`` inside [start, end), with its tokens and whether earlier lines
    exist inside the window.

    CloudWatch may answer fewer events than asked, or none, before the start of a stream; the
    start is reached only when it hands back the backward token it was given. So a short page
    read backwards is completed by following its backward token (at most
    MAX_BACKWARD_FOLLOWS more calls), and "earlier lines exist" is decided by that token."""
    params: dict[str, Any] = {"logGroupName": group, "logStreamName": stream}
    if start is not None:
        params["startTime"] = epoch_ms(start)
    if end is not None:
        params["endTime"] = epoch_ms(end)

    def read(page_token: str | None, size: int) -> dict[str, Any]:
        extra = {"nextToken": page_token} if page_token is not None else {}
        return call_api(
            LOGS, "GetLogEvents", {**params, "limit": size, "startFromHead": from_head, **extra}
        )

    answer = read(token, limit)
    events = list(answer.get("events") or [])
    sent, backward = token, answer.get("nextBackwardToken")
    forward = answer.get("nextForwardToken")
    if not from_head:
        for _ in range(MAX_BACKWARD_FOLLOWS):
            if len(events) >= limit or backward in (None, sent) or _full(events):
                break
            try:
                earlier = read(backward, limit - len(events))
            except DeadlineError:
                break  # show what was read; the earlier lines stay one click away
            events = list(earlier.get("events") or []) + events
            sent, backward = backward, earlier.get("nextBackwardToken")
    return {
        "events": events,
        "nextForwardToken": forward,
        "nextBackwardToken": backward,
        "hasEarlier": bool(backward) and backward != sent,
    }


def _full(events: list[Mapping[str, Any]]) -> bool:
    """CloudWatch's 1 MB cap stopped the page (no more fits in one answer)."""
    size = sum(len(str(e.get("message", "")).encode()) + 26 for e in events)
    return size >= _LOG_PAGE_BYTES * 0.9
