"""Triage on the task page: the attempts and log sections, full page, htmx fragments and the
inline (no-JavaScript) path, through boto3 and the emulator."""

from __future__ import annotations

import html as html_lib
import re
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from django.conf import LazySettings
from django.core.cache import cache
from django.test import Client

from deadline_emulator import Emulator
from deadline_emulator.faults import FaultInjector
from deadline_emulator.logs import group_not_found
from tasks_app.deadline import client as deadline_client
from tests.demo import task_url
from tests.htmx_headers import HTMX
from tests.tasks_app.views.task_page_html import code_text, section
from tests.triage_demo import (
    attempts_of,
    long_log_task,
    long_running_task,
    tail_of,
)

# Tests that write get a world of their own (fresh_world); the others share one.
pytestmark = pytest.mark.read_only_world

#: The task page with the triage inline (bookmarks, and the page without JavaScript).
INLINE = {"attempt": "latest"}


def _fragment_url(ids: dict[str, str], name: str) -> str:
    return task_url(ids) + f"{name}/"


def html_of(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def no_cache(settings: LazySettings) -> None:
    settings.DEADLINE_CACHE_SECONDS = 0


# --- The task page -----------------------------------------------------------------------------


def test_page_shows_attempts_workers_and_the_latest_log_tail(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    attempts = attempts_of(ids)
    latest = attempts.latest
    assert latest is not None

    html = html_of(client.get(task_url(ids), INLINE))

    attempts_html = section(html, "attempts")
    numbers = re.findall(r'class="attempt-number">Attempt (\d+)<', attempts_html)
    assert numbers == ["3", "2", "1"]
    assert attempts_html.count("<details open>") == 1
    assert attempts_html.index("<details open>") < attempts_html.index("Attempt 2")
    for attempt in attempts.attempts:
        assert f'<strong class="worker-name">{attempt.worker_label}</strong>' in attempts_html
        assert attempt.session_id in attempts_html
    assert f'<progress max="100" value="{latest.progress_value}">' in attempts_html
    exit_code = latest.action.process_exit_code
    assert f'<code class="exit-code--nonzero">{exit_code}</code>' in attempts_html
    log = html[html.index('id="log-panel"') :]
    assert "Log of attempt 3" in log
    assert f"Process exited with exit code: {latest.action.process_exit_code}" in log
    assert 'class="log-line log-line--error"' in log
    # Finished attempt: the whole window is there, nothing to follow.
    assert "data-log-follow>" not in log and "data-log-ended" in log


def test_the_task_page_and_the_failures_page_suspect_the_same_worker(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    """One judgement: for each cause's tasks, the task page names the worker the failures page
    pins that cause on, or none when it pins none (2 of 3 attempts on one host is no sample)."""
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 60
    big = emulator.backend.landmarks()["big_step"]
    job = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**big)
    report = client.get(job + "failures/", {"format": "json"}).json()
    assert report["complete"]
    pinned = {c["signature"]: c["worker_id"] for c in report["worker_clusters"]}
    named: dict[str | None, int] = {}
    for group in report["groups"]:
        for task_id in group["task_ids"][:3]:
            fragment = html_of(
                client.get(_fragment_url({**big, "taskId": task_id}, "attempts"), headers=HTMX)
            )
            found = re.search(r'data-suspect-worker="([^"]+)"', fragment)
            suspect = found.group(1) if found else None
            assert suspect == pinned.get(group["signature"]), (group["title"], task_id)
            # The verdict up top says it too.
            said = re.search(r'data-verdict-suspect="([^"]+)"', fragment)
            assert (said.group(1) if said else None) == suspect
            named[suspect] = named.get(suspect, 0) + 1
    # Both answers occur: a pinned worker, and none.
    assert None in named and len(named) > 1


def test_an_attempt_is_named_as_the_failures_page_names_its_cause(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 60
    big = emulator.backend.landmarks()["big_step"]
    job = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**big)
    report = client.get(job + "failures/", {"format": "json"}).json()
    for group in report["groups"][:4]:
        task_id = group["task_ids"][0]
        fragment = html_of(
            client.get(_fragment_url({**big, "taskId": task_id}, "attempts"), headers=HTMX)
        )
        latest = section(fragment, "attempts").split('class="attempt ')[1]
        name = re.search(r"data-cause-name>(.*?)</bdi>", latest, re.S)
        assert name is not None
        assert html_lib.unescape(name.group(1)) == group["title"][:139] or (
            len(group["title"]) > 140 and html_lib.unescape(name.group(1)).endswith("…")
        )
        # The same name leads the verdict (one name per failure).
        assert group["title"] in html_lib.unescape(fragment.split("data-task-verdict")[1])


def test_attempt_query_selects_another_attempts_log(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    first = attempts_of(ids).attempts[-1]

    html = html_of(client.get(task_url(ids), {"attempt": first.session_action_id}))

    assert "Log of attempt 1" in html
    assert f"--session-id {first.session_id}" in code_text(html, "deadline-logs-command")
    log = section(html, "log-panel")
    assert first.action.progress_message in log[log.index('id="log-lines"') :]


def test_unknown_attempt_falls_back_to_the_latest_with_a_note(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    for wanted in ("sessionaction-" + "0" * 32 + "-1", "<script>"):
        html = html_of(client.get(task_url(ids), {"attempt": wanted}))
        assert "Log of attempt 3" in html
        assert "not one of this task" in html
        assert "<script>" not in html.split("</head>", 1)[1].replace(
            '<script src="/static/tasks_app/triage.js" defer></script>', ""
        )


def test_page_shows_the_copyable_commands(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    latest = attempts_of(ids).latest
    assert latest is not None and latest.log_start and latest.log_end

    html = html_of(client.get(_fragment_url(ids, "log"), headers=HTMX))

    start_ms = int(latest.log_start.timestamp() * 1000)
    end_ms = int(latest.log_end.timestamp() * 1000)
    assert (
        f"deadline job logs --farm-id {ids['farmId']} --queue-id {ids['queueId']} "
        f"--job-id {ids['jobId']} --session-id {latest.session_id} --start-time "
    ) in code_text(html, "deadline-logs-command")
    assert (
        f"aws logs get-log-events --log-group-name /aws/deadline/{ids['farmId']}/{ids['queueId']}"
        f" --log-stream-name {latest.session_id} --start-time {start_ms} --end-time {end_ms}"
        " --limit 200"
    ) in code_text(html, "aws-logs-command")
    # A flag never wraps inside itself ("-" then "-session-id"): each is kept whole.
    assert '<span class="cli-flag">--session-id</span>' in html
    assert 'data-copy="#deadline-logs-command"' in html and 'data-copy="#aws-logs-command"' in html


def test_access_denied_on_logs_shows_a_403_message_and_the_rest_renders(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    emulator.faults.set(operation="GetLogEvents", deny=True)

    response = client.get(task_url(ids), INLINE)

    html = html_of(response)
    assert response.status_code == 200
    assert 'data-log-error="denied"' in html
    assert "403" in html and "<code>logs:GetLogEvents</code>" in html
    assert 'id="task-panel"' in html and 'class="attempt-number">Attempt 3<' in html
    assert 'id="log-lines"' not in html


@pytest.mark.fresh_world
def test_missing_stream_shows_log_not_available_and_keeps_checking_while_live(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    ids = long_running_task(emulator)
    # A CloudWatch answer for a stream the worker has not created yet.
    logs = deadline_client.get_logs_client()
    with Stubber(logs) as stubber:
        stubber.add_client_error(
            "get_log_events",
            service_error_code="ResourceNotFoundException",
            service_message="The specified log stream does not exist.",
            http_status_code=400,
        )
        html = html_of(client.get(task_url(ids), INLINE))

    assert 'data-log-error="missing"' in html and "Log not available." in html
    assert "No log yet for session" in html
    panel = html[html.index('id="log-panel"') :]
    assert 'hx-target="#log-panel"' in panel and "data-poll" in panel
    assert 'id="task-panel"' in html


@pytest.mark.fresh_world
def test_log_lines_are_escaped(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    logs = deadline_client.get_logs_client()
    with Stubber(logs) as stubber:
        stubber.add_response(
            "get_log_events",
            {
                "events": [{"timestamp": 1_795_000_000_000, "message": hostile}],
                "nextForwardToken": "f/1",
                "nextBackwardToken": "b/1",
            },
        )
        # A short page: its backward token is followed; the same token back is the start.
        stubber.add_response(
            "get_log_events",
            {"events": [], "nextForwardToken": "f/1", "nextBackwardToken": "b/1"},
        )
        html = html_of(client.get(task_url(ids), INLINE))

    assert hostile not in html
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"
        in html
    )


# --- Fragments ---------------------------------------------------------------------------------


def test_attempts_fragment_then_204_while_unchanged(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    response = client.get(_fragment_url(ids, "attempts"), headers=HTMX)

    html = html_of(response)
    assert response.status_code == 200
    assert html.startswith('<section id="attempts"') and "<html" not in html
    # Finished attempts: re-read only when the task panel changes, no poll of its own.
    assert 'hx-trigger="task-changed from:body"' in html and "data-poll" not in html
    version = re.search(r'data-version="(\w+)"', html).group(1)
    again = client.get(_fragment_url(ids, "attempts"), {"v": version}, headers=HTMX)
    assert again.status_code == 204 and again.content == b""
    assert "HX-Request" in response["Vary"]


def test_fragments_without_htmx_lead_to_the_task_page(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    action = attempts_of(ids).attempts[-1].session_action_id

    for name in ("attempts", "log"):
        response = client.get(_fragment_url(ids, name), {"attempt": action})
        assert response.status_code == 302
        assert response["Location"] == f"{task_url(ids)}?attempt={action}#log-panel"


def test_log_fragment_renders_the_selected_attempts_panel(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    first = attempts_of(ids).attempts[-1]

    html = html_of(
        client.get(_fragment_url(ids, "log"), {"attempt": first.session_action_id}, headers=HTMX)
    )

    assert html.startswith('<section id="log-panel"') and "Log of attempt 1" in html
    assert "<html" not in html


def test_load_more_fragment_prepends_earlier_lines_with_a_new_link(
    client: Client, emulator: Emulator
) -> None:
    ids = long_log_task(emulator)
    latest = attempts_of(ids).latest
    assert latest is not None
    tail = tail_of(ids, latest)
    assert tail.has_earlier

    html = html_of(
        client.get(
            _fragment_url(ids, "log"),
            {"attempt": latest.session_action_id, "before": tail.backward_token},
            headers=HTMX,
        )
    )

    earlier = tail_of(ids, latest, before_token=tail.backward_token)
    assert html.lstrip().startswith('<div id="log-earlier"')
    assert html.index('id="log-earlier"') < html.index('class="log-chunk"')
    assert html.count('class="log-line') == len(earlier.lines)
    assert earlier.lines[-1].timestamp <= tail.lines[0].timestamp
    if earlier.has_earlier:
        assert "before=" in html.split('class="log-chunk"')[0]


def test_load_more_without_js_shows_the_earlier_page_on_the_task_page(
    client: Client, emulator: Emulator
) -> None:
    ids = long_log_task(emulator)
    latest = attempts_of(ids).latest
    assert latest is not None
    tail = tail_of(ids, latest)
    page = html_of(client.get(task_url(ids), INLINE))
    href = re.search(r'class="log-earlier-link" href="([^"]+)"', page).group(1)

    html = html_of(client.get(href.replace("&amp;", "&").split("#")[0]))

    earlier = tail_of(ids, latest, before_token=tail.backward_token)
    assert earlier.lines[0].message in html
    assert "back to the latest lines" in html
    assert "data-log-follow>" not in html  # an earlier page does not follow


@pytest.mark.fresh_world
def test_follow_fragment_is_204_until_new_lines_then_appends_them(
    client: Client, emulator: Emulator, no_cache: None
) -> None:
    ids = long_running_task(emulator)
    page = html_of(client.get(_fragment_url(ids, "log"), headers=HTMX))
    follow = re.search(r'id="log-follow" class="log-follow" hx-get="([^"]+)"', page)
    assert follow is not None
    url = follow.group(1).replace("&amp;", "&")

    assert client.get(url, headers=HTMX).status_code == 204

    emulator.clock.advance(30)
    response = client.get(url, headers=HTMX)

    html = html_of(response)
    assert response.status_code == 200
    assert html.index('class="log-chunk"') < html.index('id="log-follow"')
    new_url = re.search(r'id="log-follow" class="log-follow" hx-get="([^"]+)"', html).group(1)
    assert new_url != follow.group(1)


@pytest.mark.fresh_world
def test_follow_stops_once_the_attempt_has_ended(
    client: Client, emulator: Emulator, no_cache: None
) -> None:
    ids = long_running_task(emulator)
    page = html_of(client.get(_fragment_url(ids, "log"), headers=HTMX))
    url = re.search(r'id="log-follow" class="log-follow" hx-get="([^"]+)"', page).group(1)

    emulator.clock.advance(timedelta(hours=12).total_seconds())
    html = html_of(client.get(url.replace("&amp;", "&"), headers=HTMX))

    assert "data-log-ended" in html and "hx-trigger" not in html


# --- The default page defers triage to htmx; ?attempt= renders it inline, concurrently ---------

PAGE_READS = {"GetFarm": 1, "GetQueue": 1, "GetJob": 1, "GetStep": 1, "GetTask": 1}


def _placeholders(html: str) -> dict[str, re.Match[str]]:
    found = {
        m.group("id"): m
        for m in re.finditer(
            r'<section id="(?P<id>attempts|log-panel)"[^>]*?hx-get="(?P<get>[^"]+)"'
            r' hx-trigger="load" hx-swap="outerHTML" data-triage-placeholder>'
            r'.*?<a href="(?P<href>[^"]+)">',
            html,
            re.S,
        )
    }
    return found


def test_default_page_reads_only_the_task_and_names_and_defers_triage(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    response = client.get(task_url(ids))

    html = html_of(response)
    assert response.status_code == 200 and 'id="task-panel"' in html
    # No session, worker or CloudWatch read holds back the task status.
    assert emulator.calls.snapshot() == PAGE_READS
    assert 'class="attempt-number"' not in html and 'id="log-lines"' not in html
    slots = _placeholders(html)
    assert set(slots) == {"attempts", "log-panel"}
    # htmx fetches each section at once; without JavaScript a real link shows them inline.
    assert slots["attempts"].group("get") == _fragment_url(ids, "attempts")
    assert slots["log-panel"].group("get") == _fragment_url(ids, "log")
    assert slots["attempts"].group("href") == f"{task_url(ids)}?attempt=latest#attempts"
    assert slots["log-panel"].group("href") == f"{task_url(ids)}?attempt=latest#log-panel"


def test_placeholders_first_loads_answer_the_whole_sections(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    slots = _placeholders(html_of(client.get(task_url(ids))))
    latest = attempts_of(ids).latest
    assert latest is not None

    attempts = client.get(slots["attempts"].group("get"), headers=HTMX)
    log = client.get(slots["log-panel"].group("get"), headers=HTMX)

    section = html_of(attempts)
    assert attempts.status_code == 200 and section.startswith('<section id="attempts"')
    assert re.findall(r'class="attempt-number">Attempt (\d+)<', section) == ["3", "2", "1"]
    assert "data-triage-placeholder" not in section and "<html" not in section
    panel = html_of(log)
    assert log.status_code == 200 and panel.startswith('<section id="log-panel"')
    assert "Log of attempt 3" in panel and "not one of this task" not in panel
    assert f"Process exited with exit code: {latest.action.process_exit_code}" in panel
    assert "data-triage-placeholder" not in panel


def test_attempts_first_load_shows_a_failed_read_but_a_poll_keeps_the_page(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    emulator.faults.set("ListSessionActions", deny=True)

    first = client.get(_fragment_url(ids, "attempts"), headers=HTMX)
    poll = client.get(_fragment_url(ids, "attempts"), {"v": "0123456789abcdef"}, headers=HTMX)

    html = html_of(first)
    assert first.status_code == 200 and html.startswith('<section id="attempts"')
    assert "Could not read this task's attempts." in html
    assert "deadline:ListSessionActions" in html
    assert poll.status_code == 204


def test_attempt_latest_renders_the_triage_inline(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    html = html_of(client.get(task_url(ids), INLINE))

    assert "data-triage-placeholder" not in html
    attempts_html = section(html, "attempts")
    assert re.findall(r'class="attempt-number">Attempt (\d+)<', attempts_html) == ["3", "2", "1"]
    assert "Log of attempt 3" in html and 'class="log-line log-line--error"' in html
    assert "not one of this task" not in html  # "latest" is not an unknown attempt
    assert 'id="task-panel"' in html


def test_fragments_without_htmx_and_without_an_attempt_lead_to_the_inline_triage(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    attempts = client.get(_fragment_url(ids, "attempts"))
    log = client.get(_fragment_url(ids, "log"))

    assert attempts["Location"] == f"{task_url(ids)}?attempt=latest#attempts"
    assert log["Location"] == f"{task_url(ids)}?attempt=latest#log-panel"


def _staged_barriers(emulator: Emulator, stages: list[tuple[set[str], int]]) -> list[Any]:
    """One barrier per stage: each call of a stage's operations waits until ``parties`` of
    them are in flight at once (made one after another, the first would wait alone and the
    barrier would break). Each stage gets its own latency, which the sleep hook maps back."""
    barriers = [threading.Barrier(parties) for _, parties in stages]
    by_seconds = {(number + 1) / 1000: barrier for number, barrier in enumerate(barriers)}
    # Only a stage's first ``parties`` calls meet at its barrier: a later call of the same
    # operation (a log page completed by following its backward token) goes straight on.
    arrived: Counter[float] = Counter()
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        barrier = by_seconds[seconds]
        with lock:
            arrived[seconds] += 1
            waits = arrived[seconds] <= barrier.parties
        if waits:
            barrier.wait(timeout=10)

    emulator.faults = FaultInjector(sleep=sleep)
    for number, (operations, _) in enumerate(stages):
        for operation in operations:
            emulator.faults.set(operation, latency_ms=number + 1)
    return barriers


def test_inline_triage_reads_run_alongside_the_task_reads_and_each_other(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    workers = len({a.worker_id for a in attempts_of(ids).attempts})
    cache.clear()
    emulator.calls.reset()
    barriers = _staged_barriers(
        emulator,
        [
            # The task, its names and the attempts list start together...
            ({*PAGE_READS, "ListSessionActions"}, 6),
            # ...then each attempt's action and session (its ID is in the action's) and the
            # latest attempt's log (its window is in the list) together...
            ({"GetSessionAction", "GetSession", "GetLogEvents"}, 3 + 3 + 1),
            # ...then the workers and fleet the sessions name.
            ({"GetWorker", "GetFleet"}, workers + 1),
        ],
    )

    response = client.get(task_url(ids), INLINE)

    assert [barrier.broken for barrier in barriers] == [False, False, False]
    html = html_of(response)
    assert "Log of attempt 3" in html and 'class="log-line log-line--error"' in html
    assert emulator.calls["ListSessionActions"] == 1
    # The tail is shorter than a page: one more read, with its backward token, finds the start.
    assert emulator.calls["GetLogEvents"] == 2


def test_log_fragment_reads_the_log_beside_the_attempt_details(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    latest = attempts_of(ids).latest
    assert latest is not None
    cache.clear()
    emulator.calls.reset()
    barriers = _staged_barriers(
        emulator, [({"GetSessionAction", "GetSession", "GetLogEvents"}, 3 + 3 + 1)]
    )

    response = client.get(_fragment_url(ids, "log"), headers=HTMX)

    assert not barriers[0].broken
    html = html_of(response)
    assert "Log of attempt 3" in html
    # The sessions name their hosts: the panel needs no GetWorker/GetFleet round trip.
    assert f"<strong>{latest.worker_label}</strong>" in html
    assert emulator.calls["GetWorker"] == 0 and emulator.calls["GetFleet"] == 0


# --- Where the log is ------------------------------------------------------------------------


def _session_log_moved(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, log: Any) -> None:
    """GetSession answers ``log`` for every session (the rest of its answer unchanged)."""
    real = emulator.backend.get_session

    def get_session(**kwargs: Any) -> dict[str, Any]:
        return {**real(**kwargs), "log": log}

    monkeypatch.setattr(emulator.backend, "get_session", get_session)


@pytest.mark.fresh_world
def test_the_log_is_read_where_get_session_says(
    client: Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    latest = attempts_of(ids).latest
    assert latest is not None
    conventional = f"/aws/deadline/{ids['farmId']}/{ids['queueId']}"
    moved = "/studio/render-logs/lighting"  # a queue configured to log elsewhere
    serve = emulator.logs_backend.log_group

    def log_group(name: str | None, identifier: str | None) -> Any:
        if name == conventional:
            raise group_not_found()  # nothing is written where the convention says
        return serve(conventional if name == moved else name, identifier)

    monkeypatch.setattr(emulator.logs_backend, "log_group", log_group)
    options = {"logGroupName": moved, "logStreamName": latest.session_id}
    _session_log_moved(emulator, monkeypatch, {"logDriver": "awslogs", "options": options})
    cache.clear()

    html = html_of(client.get(task_url(ids), INLINE))

    assert "does not exist" not in html
    assert "Process exited with exit code: " in html  # the tail, read where GetSession says
    assert f"--log-group-name {moved}" in code_text(html, "aws-logs-command")


@pytest.mark.fresh_world
def test_without_log_options_the_convention_stands_in(
    client: Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    latest = attempts_of(ids).latest
    assert latest is not None
    _session_log_moved(emulator, monkeypatch, {"logDriver": "awslogs"})
    cache.clear()

    html = html_of(client.get(task_url(ids), INLINE))

    assert "Process exited with exit code: " in html
    assert f"--log-group-name /aws/deadline/{ids['farmId']}/{ids['queueId']}" in code_text(
        html, "aws-logs-command"
    )


# --- Verdict first -----------------------------------------------------------------------------


def test_a_failed_task_leads_with_why_it_failed_then_its_log_then_the_facts(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    attempts = attempts_of(ids)
    latest = attempts.latest
    assert latest is not None and len(attempts.failed) == 3

    html = html_of(client.get(task_url(ids), INLINE))

    verdict = html[html.index("data-task-verdict") :]
    verdict = re.sub(r"<[^>]+>", "", verdict[: verdict.index("</p>")]).replace("&nbsp;", " ")
    assert "Failed 3 times" in verdict
    assert f"exit {latest.action.process_exit_code}" in verdict
    assert latest.action.progress_message in verdict
    assert f"on {latest.worker_label}" in verdict
    # The verdict, then the log, then the facts and parameters, then every attempt.
    marks = ("data-task-verdict", 'id="log-panel"', 'id="task-panel"')
    order = [html.index(mark) for mark in marks]
    assert order == sorted(order)
    assert html.index('id="task-panel"') < html.index('id="attempts"')


def test_the_attempts_fragment_fills_the_verdict_out_of_band(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    page = html_of(client.get(task_url(ids)))
    fragment = html_of(client.get(_fragment_url(ids, "attempts"), headers=HTMX))

    # The page says the reason is on its way; the attempts section brings it.
    assert 'class="verdict verdict--pending"' in page and "data-task-verdict" not in page
    assert '<div id="task-verdict" class="task-verdict" hx-swap-oob="true">' in fragment
    assert "data-task-verdict" in fragment and "Failed 3 times" in fragment


def test_a_succeeded_task_has_no_verdict(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["one_task"]

    fragment = html_of(client.get(_fragment_url(ids, "attempts"), headers=HTMX))

    assert '<div id="task-verdict" class="task-verdict" hx-swap-oob="true"></div>' in fragment
