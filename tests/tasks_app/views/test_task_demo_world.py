"""The task page against the emulator's demo world (pinned a few days after its epoch)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import LazySettings
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline.types import TaskRunStatus
from tests.demo import advance_until_terminal, first_tasks, task_url
from tests.htmx_headers import HTMX


def status_of(html: str) -> str:
    match = re.search(r'<dd id="run-status"><span class="badge [^"]+" data-status="(\w+)">', html)
    assert match, "no run status badge"
    return match.group(1)


def test_browse_links_to_demo_tasks_that_all_open(client: Client, emulator: Emulator) -> None:
    page = client.get("/browse/").content.decode()
    links = re.findall(r'<a href="(/farms/[^"]+/tasks/[^"]+/)"><bdi>([^<]+)</bdi></a>', page)

    assert len(links) >= 6
    labels = {label for _, label in links}
    assert {"Running now", "Failed after retries", "Hostile strings (escaping)"} <= labels
    for url, _ in links:
        response = client.get(url)
        assert response.status_code == 200, url
        status_of(response.content.decode())


def test_running_task_from_the_home_page_is_running(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.find_tasks("RUNNING", limit=1, include_landmarks=False)[0]

    html = client.get(task_url(ids)).content.decode()

    assert status_of(html) == "RUNNING"
    assert "data-elapsed-since" in html
    assert 'class="demo-marker"' in html


def test_failed_task_with_retries_is_highlighted(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    html = client.get(task_url(ids)).content.decode()

    assert status_of(html) == "FAILED"
    assert '<span class="retries retries--nonzero">2</span>' in html


def test_hostile_strings_of_the_demo_world_are_escaped(client: Client, emulator: Emulator) -> None:
    for ids in first_tasks(emulator, "hostile_step", 6):
        for response in (client.get(task_url(ids)), client.get(task_url(ids), headers=HTMX)):
            html = response.content.decode()
            assert response.status_code == 200
            assert "<script>alert" not in html
            assert "<img src=x" not in html
    html = client.get(task_url(first_tasks(emulator, "hostile_step", 1)[0])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_every_parameter_variant_of_the_demo_world(client: Client, emulator: Emulator) -> None:
    seen: set[str] = set()
    pages = []
    for ids in first_tasks(emulator, "params_step", 3):
        html = client.get(task_url(ids)).content.decode()
        pages.append(html)
        seen |= set(re.findall(r'<tr class="parameter parameter--(\w+)">', html))

    assert seen == {"int", "float", "string", "path", "chunkInt"}
    assert "(10 frames)" in pages[0]
    assert "(1 frame)" in pages[1]
    assert "(11 frames)" in pages[2]


def test_task_without_parameters_shows_the_empty_state(client: Client, emulator: Emulator) -> None:
    html = client.get(task_url(emulator.backend.landmarks()["bare_task"])).content.decode()

    assert "This task has no parameters." in html


def test_statuses_found_in_the_demo_world_render(client: Client, emulator: Emulator) -> None:
    rendered = set()
    for status in TaskRunStatus.known():
        # Transient statuses may live only in the "wedged" landmark job: include it.
        for ids in emulator.backend.find_tasks(status.value, limit=1, exclude=()):
            html = client.get(task_url(ids)).content.decode()
            assert status_of(html) == status.value
            assert f">{status.label}</span>" in html
            rendered.add(status)

    # The demo world holds every one of the twelve statuses at any instant.
    assert rendered == set(TaskRunStatus.known())


def test_running_task_finishes_when_the_clock_advances(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    settings.DEADLINE_CACHE_SECONDS = 0
    ids = emulator.backend.find_tasks("RUNNING", limit=1, include_landmarks=False)[0]
    url = task_url(ids)
    version = re.search(r'data-version="(\w+)"', client.get(url).content.decode()).group(1)
    assert client.get(url, {"v": version}, headers=HTMX).status_code == 204

    final = advance_until_terminal(emulator, ids)
    poll = client.get(url, {"v": version}, headers=HTMX)

    assert poll.status_code == 200
    assert status_of(poll.content.decode()) == final
    expected_ms = int(settings.DASHBOARD_TERMINAL_POLL_SECONDS * 1000)
    assert f'hx-trigger="every {expected_ms}ms, refresh"' in poll.content.decode()


def test_landmark_ids_are_valid_for_our_converters(emulator: Emulator) -> None:
    landmarks: dict[str, Any] = emulator.backend.landmarks()
    for key in ("one_task", "bare_task", "big_last_task", "failed_with_retries_task"):
        assert task_url(landmarks[key]).endswith(landmarks[key]["taskId"] + "/")
