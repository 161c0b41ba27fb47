"""Log line links on the task page: ``?attempt=<sessionaction>&line=<n>`` or ``&at=<epoch ms>``
opens the attempt's log with that line highlighted (and scrolled to, without JavaScript too);
every log line is shown inertly."""

from __future__ import annotations

import re

from django.test import Client

from deadline_emulator import Emulator
from deadline_emulator.logs import logs_protocol
from deadline_emulator.render_logs import render_log
from tests.demo import task_url
from tests.hostile_logs import HOSTILE_LINES, HostileLogs, unescape
from tests.triage_demo import long_log_task


def _attempt_log(emulator: Emulator, ids: dict[str, str]) -> tuple[dict, list[dict]]:
    """The latest task-run action of a task and the events of its log window."""
    backend = emulator.backend
    kwargs = {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]}
    actions = backend.list_session_actions(**kwargs, task_id=ids["taskId"])["sessionActions"]
    run = [a for a in actions if "taskRun" in a["definition"]][-1]
    session_id = "session-" + run["sessionActionId"].split("-")[1]
    log = render_log(
        backend.attempt_timeline(session_id), seed=emulator.seed, now=emulator.clock.now()
    )
    action = backend.get_session_action(**kwargs, session_action_id=run["sessionActionId"])
    started = int(action["startedAt"].timestamp() * 1000) - 1000
    ended = int(action["endedAt"].timestamp() * 1000) + 1000
    events = [log.event(i) for i in range(log.count)]
    return run, [e for e in events if started <= e["timestamp"] < ended]


def _targets(html: str) -> list[str]:
    return [
        unescape(found)
        for found in re.findall(
            r'log-line--target" id="log-target"[^>]*>.*?<bdi class="log-message">(.*?)</bdi>', html
        )
    ]


def test_a_line_number_highlights_that_line_of_the_latest_page(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    run, window = _attempt_log(emulator, ids)
    latest = window[-200:]
    for line in (1, len(latest) // 2, len(latest)):
        html = client.get(
            task_url(ids), {"attempt": run["sessionActionId"], "line": str(line)}
        ).content.decode()
        assert _targets(html) == [latest[line - 1]["message"]]
        assert 'href="#log-target"' in html and 'aria-current="true"' in html


def test_a_line_by_timestamp_before_the_latest_page_opens_earlier_lines(
    client: Client, emulator: Emulator
) -> None:
    ids = long_log_task(emulator, lines=400)
    run, window = _attempt_log(emulator, ids)
    assert len(window) > 250
    event = window[10]  # an early line of the attempt, far before its last 200
    html = client.get(
        task_url(ids), {"attempt": run["sessionActionId"], "at": str(event["timestamp"])}
    ).content.decode()
    assert _targets(html) == [event["message"]]
    assert "Earlier lines of the attempt's window" in html and "back to the latest lines" in html

    # Nonsense positions are ignored: the latest lines, nothing highlighted.
    for query in ({"line": "0"}, {"line": "9" * 30}, {"at": "-5"}, {"line": "x"}):
        page = client.get(task_url(ids), {"attempt": run["sessionActionId"], **query})
        assert page.status_code == 200 and 'id="log-target"' not in page.content.decode()


def test_log_lines_are_shown_inertly(client: Client, emulator: Emulator) -> None:
    HostileLogs.streams = {}
    emulator.add_protocol(
        logs_protocol(),
        get_backend=lambda: HostileLogs(lambda: emulator.backend, emulator.clock, emulator.seed),
    )
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    response = client.get(task_url(ids), {"attempt": "latest"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\u241b[31;1mERROR\u241b[0m: coloured" in html  # ESC shown as a symbol
    assert "\x1b" not in html and "\x00" not in html and "bell \u2407 NUL" in html
    assert "lone surrogate \ufffd here" in html
    assert HOSTILE_LINES[3].strip() in html  # the 10 KB line, whole
