"""The task page's worker-log panel (``?attempt=<session action>&log=worker``): the worker
log of the attempt's worker over the attempt's time window, beside its session log, so an
out-of-memory kill or a reclaimed host shows where the task failed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from ..deadline.errors import DeadlineError
from ..deadline.types import TaskPath
from ..selectors.farm import worker as worker_selector


def task_worker_log(
    request: HttpRequest, path: TaskPath, context: dict[str, Any]
) -> dict[str, Any]:
    """The panel's context when the page asks for it (else nothing): the events, where they
    come from, and the worker page's link; a read that fails is said in the panel."""
    if request.GET.get("log") != "worker":
        return {}
    attempt = context.get("log_attempt")
    panel: dict[str, Any] = {"attempt": attempt}
    if (
        attempt is None
        or not attempt.worker_id
        or not attempt.fleet_id
        or attempt.log_start is None
    ):
        panel["unknown"] = True
        return {"worker_log": panel}
    panel["worker_url"] = reverse(
        "worker_detail", args=[path.farm_id, attempt.fleet_id, attempt.worker_id]
    )
    try:
        group, stream, events = worker_selector.attempt_worker_log(
            farm_id=path.farm_id,
            fleet_id=attempt.fleet_id,
            worker_id=attempt.worker_id,
            start=attempt.log_start,
            end=attempt.log_end,
        )
    except DeadlineError as exc:
        panel["error"] = exc
        return {"worker_log": panel}
    panel.update(group=group, stream=stream, events=events.events, complete=events.complete)
    return {"worker_log": panel}
