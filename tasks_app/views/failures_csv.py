"""The failures views' CSV (``?format=csv``): one row per failed task, its cause beside it, for
a spreadsheet (filter by cause, count by worker, paste into a ticket).

The same report as the JSON and the page. Every text cell goes through
``plain_text.csv_cell``: a job named ``=HYPERLINK(...)`` stays text, and invisible characters
(bidi controls) are shown as ``<U+202E>``. A group whose tasks are counted but not listed
(over the listing cap) gets one row without a task.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping

from .. import plain_text
from ..iso8601 import iso8601_or_none
from ..selectors.failures import FailureGroup, FailureReport, GroupTask

COLUMNS = (
    "cause",
    "signature",
    "group_tasks",
    "flaky",
    "job_id",
    "job",
    "step_id",
    "step",
    "task_id",
    "frame",
    "attempts",
    "worker_id",
    "worker",
    "exit_code",
    "ended_at",
    "task_url",
    "log_url",
)


def _flaky(group: FailureGroup) -> str:
    """As the JSON's ``flaky``: yes (it also succeeded on a retry), no, or unknown."""
    if group.flaky is None:
        return "unknown"
    return "yes" if group.flaky else "no"


def _names(report: FailureReport) -> Mapping[str, str]:
    """ID -> display name: the report keys its own job and step by kind, the rest by ID."""
    names = dict(report.names)
    scope = report.scope
    for kind, resource_id in (("job", scope.job_id), ("step", scope.step_id)):
        if resource_id and kind in names:
            names.setdefault(resource_id, names[kind])
    return names


def _rows(
    report: FailureReport,
    task_url: Callable[[GroupTask], str | None],
    log_url: Callable[[GroupTask], str | None],
) -> Iterator[list[object]]:
    names = _names(report)
    for group in report.groups:
        cause = [
            plain_text.csv_cell(group.title),
            plain_text.csv_cell(group.signature),  # the normalised line: submitters' text
            group.task_count,
            _flaky(group),
        ]
        if not group.tasks:
            yield cause + [""] * (len(COLUMNS) - len(cause))
        for task in group.tasks:
            yield [
                *cause,
                task.job_id,
                plain_text.csv_cell(names.get(task.job_id, "")),
                task.step_id,
                plain_text.csv_cell(names.get(task.step_id, "")),
                task.task_id,
                plain_text.csv_cell(task.frame),
                task.attempts,
                task.worker_id or "",
                plain_text.csv_cell(task.worker_label or ""),
                "" if task.exit_code is None else task.exit_code,
                iso8601_or_none(task.ended_at) or "",
                task_url(task) or "",
                log_url(task) or "",
            ]


def report_csv(
    report: FailureReport,
    *,
    task_url: Callable[[GroupTask], str | None],
    log_url: Callable[[GroupTask], str | None],
) -> str:
    """The report as CSV text (header row first), absolute URLs from the two callables."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_rows(report, task_url, log_url))
    return out.getvalue()
