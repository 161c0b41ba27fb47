"""A failures report as JSON (the shape docs/failures.md documents) and the links of a report:
each level's page, tasks, and a group's example log line."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from ..iso8601 import iso8601_or_none
from ..selectors import failures, resources
from ..selectors.failures import FailureGroup, FailureReport, FailureScope, GroupTask


class Links:
    """URLs of a report: pages of each level, tasks, and a group's example log line."""

    def __init__(self, request: HttpRequest, scope: FailureScope, worker: str) -> None:
        self.request = request
        self.scope = scope
        self.worker = worker
        self._steps: dict[tuple[str, str], str] = {}

    def task(self, task: GroupTask) -> str:
        """The task page (its step's URL reversed once: thousands of tasks may be linked)."""
        key = (task.job_id, task.step_id)
        step = self._steps.get(key)
        if step is None:
            step = self._steps[key] = reverse(
                "step_detail",
                kwargs={
                    "farm_id": self.scope.farm_id,
                    "queue_id": self.scope.queue_id,
                    "job_id": task.job_id,
                    "step_id": task.step_id,
                },
            )
        return f"{step}tasks/{task.task_id}/"

    def example(self, task: GroupTask | None) -> str | None:
        """The task page showing the failing attempt's log at the matching line."""
        if task is None:
            return None
        url = self.task(task)
        if not task.session_action_id:
            return url
        params: dict[str, Any] = {"attempt": task.session_action_id}
        if task.line is not None:
            params["line"] = task.line
            if task.line_at_ms is not None:
                params["at"] = task.line_at_ms
            return f"{url}?{urlencode(params)}#log-target"
        return f"{url}?{urlencode(params)}#log-panel"

    def absolute(self, url: str | None) -> str | None:
        return None if url is None else self.request.build_absolute_uri(url)

    def worker_failures(self, worker_id: str, last_seen: datetime | None = None) -> str:
        """The queue's failures on ``worker_id``: over this view's window, or, from a job or
        step, over the shortest window that still holds the job (it failed at ``last_seen``;
        its ENDED_AT is no earlier)."""
        url = reverse(
            "queue_failures",
            kwargs={"farm_id": self.scope.farm_id, "queue_id": self.scope.queue_id},
        )
        window = self.scope.window_hours
        if self.scope.kind != "queue" and last_seen is not None:
            # An hour of slack: the link is followed later than it is drawn.
            age_hours = (resources.now() - last_seen) / timedelta(hours=1) + 1
            covering = [hours for hours in sorted(failures.WINDOWS) if hours >= age_hours]
            window = covering[0] if covering else max(failures.WINDOWS)
        query = {"worker": worker_id}
        if window != failures.WINDOWS[0]:
            query["window"] = str(window)
        return f"{url}?{urlencode(query)}"

    def page(self) -> str:
        return self.request.path


def report_json(report: FailureReport, links: Links) -> dict[str, Any]:
    """The JSON shape docs/failures.md documents, from the same report the page shows."""
    return {
        "failed_tasks": report.failed_tasks,
        "complete": report.complete,
        "jobs_not_read": report.jobs_not_read,
        "groups": [group_json(group, links) for group in report.groups],
        "worker_clusters": [
            {
                "worker_id": cluster.worker_id,
                "signature": cluster.signature,
                "failures": cluster.failures,
                "share": round(cluster.share, 4),
            }
            for cluster in report.clusters
        ],
    }


def group_json(group: FailureGroup, links: Links) -> dict[str, Any]:
    example = group.example
    return {
        "signature": group.signature,
        "title": group.title,
        "log_line": group.raw or None,
        "tasks": group.task_count,
        "attempts": group.attempts,
        "task_ids": list(group.task_ids),
        "frames": group.frames,
        "workers": [
            {"worker_id": w.worker_id, "host_name": w.host_name, "attempts": w.attempts}
            for w in group.workers
        ],
        "flaky": group.flaky,
        "advice": group.advice,
        "first_seen": iso8601_or_none(group.first_seen),
        "last_seen": iso8601_or_none(group.last_seen),
        "example": None
        if example is None
        else {
            "task_id": example.task_id,
            "session_action_id": example.session_action_id,
            "url": links.absolute(links.example(example)),
        },
    }
