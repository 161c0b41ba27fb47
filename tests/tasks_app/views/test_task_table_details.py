"""The step's task table gains a worker and a last-error column, loaded after the table (two
batch reads a page, then cached); the task page's collapsed attempts say why they ended."""

from __future__ import annotations

import re

from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tests.demo import task_url
from tests.hostile_logs import unescape
from tests.htmx_headers import HTMX


def _step_url(ids: dict[str, str], name: str = "step_detail") -> str:
    return reverse(
        name,
        kwargs={
            "farm_id": ids["farmId"],
            "queue_id": ids["queueId"],
            "job_id": ids["jobId"],
            "step_id": ids["stepId"],
        },
    )


def _truth(emulator: Emulator, ids: dict[str, str], task_id: str) -> tuple[str, dict]:
    """(short host name, GetSessionAction answer) of a task's latest attempt, from the
    emulator itself."""
    backend = emulator.backend
    kwargs = {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]}
    task = backend.get_task(**kwargs, step_id=ids["stepId"], task_id=task_id)
    action = backend.get_session_action(**kwargs, session_action_id=task["latestSessionActionId"])
    session = backend.get_session(**kwargs, session_id=action["sessionId"])
    return session["hostProperties"]["hostName"].split(".")[0], action


def _cell(html: str, kind: str, task_id: str) -> str:
    found = re.search(rf'<span id="{kind}-{task_id}"[^>]*>(.*?)</span>(?=\s*<|\s*$)', html, re.S)
    assert found is not None, (kind, task_id)
    return found.group(1)


def test_workers_and_last_errors_load_after_the_table_then_stay_cached(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["big_step"]
    url = _step_url(ids)
    emulator.calls.reset()
    page = client.get(url, {"status": "FAILED", "per": "25"}).content.decode()
    assert "BatchGetSessionAction" not in emulator.calls.snapshot()  # the table comes first
    loader = re.search(r'href="([^"]+)" hx-get="([^"]+)" hx-trigger="load"', page)
    assert loader is not None and '<th scope="col">Last error</th>' in page
    task_ids = re.findall(r'data-task-id="([^"]+)"', page)
    assert len(task_ids) == 25

    emulator.calls.reset()
    fragment = client.get(loader.group(2).replace("&amp;", "&"), headers=HTMX).content.decode()
    assert emulator.calls.snapshot() == {"BatchGetSessionAction": 1, "BatchGetSession": 1}
    assert fragment.count('hx-swap-oob="true"') == 2 * 25 + 1  # two cells a row, the loader
    for task_id in task_ids:
        host, action = _truth(emulator, ids, task_id)
        assert f">{host}</bdi>" in _cell(fragment, "worker", task_id)
        error = _cell(fragment, "error", task_id)
        assert f"exit {action['processExitCode']}</code>" in error
        assert action["progressMessage"][:40] in error

    emulator.calls.reset()
    again = client.get(url, {"status": "FAILED", "per": "25"}).content.decode()
    assert "BatchGetSessionAction" not in emulator.calls.snapshot()
    assert "data-details-loader" not in again
    assert all("exit " in _cell(again, "error", t) for t in task_ids)


def test_after_a_failures_view_the_last_error_is_the_cause_and_links_to_its_line(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 60
    job = emulator.backend.landmarks()["failed_deps_job"]
    data = client.get(
        reverse(
            "job_failures",
            kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]},
        ),
        {"format": "json"},
    ).json()
    group = data["groups"][0]
    example = group["example"]
    step_id = example["url"].split("/steps/")[1].split("/")[0]
    ids = {**job, "stepId": step_id}
    page = client.get(_step_url(ids), {"status": "FAILED", "details": "1"}).content.decode()
    error = _cell(page, "error", example["task_id"])
    # The cell says the agent's message; its tooltip is the log line the cause came from.
    assert group["title"][:60] in unescape(error.split('title="')[1].split('"')[0])
    assert f"line={example['url'].split('line=')[1].split('&')[0]}" in error


def test_without_javascript_the_details_link_shows_them_inline(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["big_step"]
    answer = client.get(_step_url(ids, "step_task_details"), {"status": "FAILED"})
    assert answer.status_code == 302
    assert answer["Location"] == _step_url(ids) + "?status=FAILED&details=1"
    page = client.get(answer["Location"]).content.decode()
    assert "data-details-loader" not in page and "exit-code--nonzero" in page


def test_collapsed_attempts_say_why_they_ended(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    backend = emulator.backend
    kwargs = {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]}
    actions = backend.list_session_actions(**kwargs, task_id=ids["taskId"])["sessionActions"]
    runs = [a for a in actions if "taskRun" in a["definition"]]
    html = client.get(task_url(ids), {"attempt": "latest"}).content.decode()
    # One collapsed attempt per run (the page's other <details>, such as the CLI command, aside).
    summaries = [
        s for s in re.findall(r"<summary>(.*?)</summary>", html, re.S) if "attempt-number" in s
    ]
    assert len(summaries) == len(runs) == 3
    for run in runs:
        detail = backend.get_session_action(**kwargs, session_action_id=run["sessionActionId"])
        summary = next(s for s in summaries if f"Attempt {runs.index(run) + 1}<" in s)
        assert f"exit {detail['processExitCode']}</code>" in summary
        assert detail["progressMessage"][:40] in summary
