"""The polled task panel is rendered once per task version and its clock texts filled per
request (tasks_app/donut.py): every answer must be exactly what a full render gives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.test.signals import template_rendered

from tasks_app import donut
from tasks_app.deadline import cache as read_cache
from tests.conftest import Tiny
from tests.htmx_headers import HTMX
from tests.tasks_app.tiny_world import NOW

PANEL = re.compile(r'<section id="task-panel".*?</section>', re.S)
PANEL_TEMPLATE = "tasks_app/_task_panel.html"

TASKS: dict[str, dict[str, Any]] = {
    "running": {
        "runStatus": "RUNNING",
        "startedAt": NOW - timedelta(minutes=12, seconds=5),
        "updatedAt": NOW - timedelta(seconds=40),
        "updatedBy": "deadline-scheduler",
        "parameters": {"Frame": {"int": "1042"}, "Frames": {"chunkInt": "1-3,5,7-20:2"}},
    },
    "finished": {
        "runStatus": "SUCCEEDED",
        "startedAt": NOW - timedelta(hours=3, minutes=2),
        "endedAt": NOW - timedelta(hours=1),
        "updatedAt": NOW - timedelta(hours=1),
        "failureRetryCount": 2,
    },
    "not started": {"runStatus": "READY", "targetRunStatus": "RUNNING"},
}


@pytest.fixture
def panel_renders() -> Iterator[list[str]]:
    """Names of the templates rendered, in order (Django's test instrumentation)."""
    rendered: list[str] = []

    def record(sender: object, template: Any, **kwargs: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(record)
    yield rendered
    template_rendered.disconnect(record)


def panel_of(response: Any) -> str:
    match = PANEL.search(response.content.decode())
    assert match, "no task panel"
    return match.group(0)


@pytest.mark.parametrize("state", TASKS)
def test_a_polled_panel_is_the_full_page_panel_at_every_instant(
    client: Client, tiny: Tiny, panel_renders: list[str], state: str
) -> None:
    ids = tiny.world.add_task(0, **TASKS[state])
    stale_version = "0" * 16

    for _ in range(3):
        poll = client.get(ids.url(), {"v": stale_version}, headers=HTMX)
        page = client.get(ids.url())  # rendered in full, at the same (pinned) instant
        assert poll.status_code == 200
        assert panel_of(poll) == panel_of(page)
        tiny.emulator.clock.advance(95.5)  # every relative time and the duration move on

    # The page renders its panel each time; the polls rendered it once, then filled it.
    assert panel_renders.count(PANEL_TEMPLATE) == 3 + 1


def test_a_changed_task_is_rendered_anew_and_an_unchanged_one_is_204(
    client: Client, tiny: Tiny
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING", startedAt=NOW - timedelta(minutes=3))
    first = client.get(ids.url(), {"v": "0" * 16}, headers=HTMX)
    version = re.search(r'data-version="(\w+)"', first.content.decode()).group(1)  # type: ignore[union-attr]
    assert client.get(ids.url(), {"v": version}, headers=HTMX).status_code == 204

    tiny.world.tasks[ids.task_id].update(runStatus="FAILED", endedAt=NOW, failureRetryCount=1)
    read_cache.forget("task", *ids.kwargs().values())  # as its TTL ending would
    changed = client.get(ids.url(), {"v": version}, headers=HTMX)

    assert changed.status_code == 200
    html = changed.content.decode()
    assert 'data-status="FAILED"' in html and 'data-status="RUNNING"' not in html
    assert f'data-version="{version}"' not in html
    assert panel_of(changed) == panel_of(client.get(ids.url()))


def test_submitter_text_cannot_forge_a_hole(client: Client, tiny: Tiny) -> None:
    forged = str(donut.DeferredNow().hole(str, ()))  # the very token of this process's hole 0
    ids = tiny.world.add_task(
        0,
        runStatus="RUNNING",
        startedAt=NOW - timedelta(minutes=3),
        parameters={"Shot": {"string": f"<b>{forged}</b>"}},
    )

    poll = client.get(ids.url(), {"v": "0"}, headers=HTMX)

    html = poll.content.decode()
    escaped = forged.replace("<", "&lt;").replace(">", "&gt;")
    assert f"&lt;b&gt;{escaped}&lt;/b&gt;" in html  # escaped, and left as the submitter wrote it
    assert panel_of(poll) == panel_of(client.get(ids.url()))


def test_printing_the_deferred_now_itself_fails_loudly() -> None:
    with pytest.raises(TypeError):
        str(donut.DeferredNow())
