"""The step table's last-error cell: the failure's one name (its cause's title) in the cell,
whole in the hover title with the progress message the worker reported beside it; escaped."""

from __future__ import annotations

import re
from html import unescape

from django.template.loader import render_to_string

from tasks_app.deadline.types import TaskPath, TaskRunStatus, TaskSummary
from tasks_app.selectors.failures import TaskRowDetail

_STEP = "step-" + "4" * 32
PATH = TaskPath(
    farm_id="farm-" + "1" * 32,
    queue_id="queue-" + "2" * 32,
    job_id="job-" + "3" * 32,
    step_id=_STEP,
    task_id="",
)


def cell(detail: TaskRowDetail) -> str:
    task = TaskSummary(
        task_id=f"task-{'4' * 32}-93",
        run_status=TaskRunStatus.FAILED,
        latest_session_action_id="sessionaction-" + "5" * 32 + "-0",
    )
    return render_to_string(
        "tasks_app/_task_row_detail.html",
        {"task": task, "detail": detail, "part": "error", "path": PATH},
    )


def test_the_cell_names_the_cause_and_its_title_adds_the_progress_message() -> None:
    title = "License checkout failed: no free seats for renderer " + "x" * 120
    html = cell(
        TaskRowDetail(
            worker_id="worker-1",
            worker_label="render-a-017",
            failed=True,
            exit_code=2,
            error=title,
            session_action_id="sessionaction-" + "5" * 32 + "-0",
            message="license heartbeat failed <lost>",
        )
    )

    shown = re.search(r'<bdi class="row-error__text" title="([^"]*)">([^<]*)</bdi>', html, re.S)
    assert shown is not None
    hover, text = unescape(shown.group(1)), unescape(shown.group(2))
    assert hover.startswith(title)  # whole, where the cell is cut at two lines
    assert "Progress message: license heartbeat failed <lost>" in hover
    assert text == title  # the name, not the progress message
    assert "<lost>" not in html  # escaped


def test_a_progress_message_that_is_the_name_is_not_repeated() -> None:
    html = cell(
        TaskRowDetail(
            worker_id=None,
            worker_label=None,
            failed=True,
            exit_code=1,
            error="Render failed",
            session_action_id="sessionaction-" + "5" * 32 + "-0",
            message="Render failed",
        )
    )

    assert "Progress message" not in html
