"""The task page in a real Chromium: live badge updates without reload, and no-JS rendering."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import LazySettings
from playwright.sync_api import expect

from deadline_emulator import Emulator
from tasks_app.deadline.types import TaskRunStatus
from tests.browser.conftest import Tab
from tests.browser.console import console_problems
from tests.conftest import Tiny
from tests.demo import advance_until_terminal, task_url
from tests.tasks_app.tiny_world import NOW

pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]


@pytest.fixture
def fast_polls(settings: LazySettings) -> None:
    settings.DASHBOARD_POLL_SECONDS = 0.5
    settings.DEADLINE_CACHE_SECONDS = 0
    settings.DEADLINE_MAX_ATTEMPTS = 1


SET_VISIBILITY = """(state) => {
    Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.mark.fresh_world
def test_demo_running_task_finishes_without_reload(
    tab: Tab, live_server: Any, emulator: Emulator, fast_polls: None
) -> None:
    from playwright.sync_api import expect

    ids = emulator.backend.find_tasks("RUNNING", limit=1, include_landmarks=False)[0]
    page = tab()
    problems = console_problems(page)
    page.goto(live_server.url + task_url(ids))
    badge = page.locator("#run-status .badge").first
    expect(badge).to_have_text("Running")
    expect(page.locator("#duration")).to_contain_text("so far")
    page.evaluate("window.__sameDocument = true")

    final = TaskRunStatus(advance_until_terminal(emulator, ids))

    expect(badge).to_have_text(final.label, timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("#duration")).not_to_contain_text("so far")
    expect(page.locator(".demo-marker")).to_be_visible()
    assert problems == []
    page.close()


def test_badge_changes_without_reload(
    tab: Tab, live_server: Any, tiny: Tiny, fast_polls: None
) -> None:
    from playwright.sync_api import expect

    ids = tiny.world.add_task(0, runStatus="RUNNING", startedAt=NOW)
    page = tab()
    problems = console_problems(page)
    page.goto(live_server.url + ids.url())
    badge = page.locator("#run-status .badge").first
    expect(badge).to_have_text("Running")
    page.evaluate("window.__sameDocument = true")

    tiny.world.tasks[ids.task_id].update(runStatus="SUCCEEDED", endedAt=NOW)

    expect(badge).to_have_text("Succeeded", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("#duration")).not_to_contain_text("so far")
    expect(page).to_have_title("Succeeded · Task 0 · Deadline Task Dashboard")
    # The copy button appears with JavaScript; no CSP violation or script error happened.
    expect(page.locator('[data-copy="#task-id"]')).to_be_visible()
    assert problems == []
    page.close()


def test_failed_poll_keeps_the_data_and_warns(
    tab: Tab, live_server: Any, tiny: Tiny, fast_polls: None
) -> None:
    from playwright.sync_api import expect

    ids = tiny.world.add_task(0, runStatus="RUNNING", parameters={"Frame": {"int": "12"}})
    page = tab()
    page.goto(live_server.url + ids.url())
    expect(page.locator("#run-status .badge")).to_have_text("Running")
    loaded_at = page.locator("[data-updated]").get_attribute("data-updated")

    tiny.emulator.faults.set("GetTask", throttle_rate=1.0)
    # The last good answer stands in (stale-while-error), under the stale banner.
    expect(page.locator("#stale-banner")).to_contain_text("throttling", timeout=10_000)
    expect(page.locator("#stale-banner")).to_contain_text("Showing data from")
    expect(page.locator("#run-status .badge")).to_have_text("Running")
    expect(page.locator("table.parameters")).to_contain_text("Frame")

    tiny.emulator.faults.clear()
    # The next (unchanged, 204) poll clears the banner and marks the data fresh.
    expect(page.locator("#stale-banner")).to_be_empty(timeout=10_000)
    expect(page.locator("#poll-warning")).to_be_empty()
    expect(page.locator("[data-updated]")).not_to_have_attribute("data-updated", loaded_at)
    expect(page.locator("[data-updated]")).to_have_text("just now")
    page.close()


def test_page_renders_completely_without_javascript(
    browser: Any, live_server: Any, emulator: Emulator
) -> None:
    from playwright.sync_api import expect

    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    url = live_server.url + task_url(ids)
    stable = ["#run-status", "#retries", "table.parameters", ".breadcrumbs", "#cli-command"]

    with_js = browser.new_context()
    page = with_js.new_page()
    page.goto(url)
    expected = {selector: _words(page.locator(selector).text_content()) for selector in stable}
    with_js.close()

    without_js = browser.new_context(java_script_enabled=False)
    page = without_js.new_page()
    page.goto(url)

    assert {selector: _words(page.locator(selector).text_content()) for selector in stable} == (
        expected
    )
    expect(page.locator("#run-status .badge")).to_have_text("Failed")
    expect(page.locator("#retries .retries--nonzero")).to_have_text("2")
    expect(page.locator("#cli-command")).to_contain_text(f"--task-id {ids['taskId']}")
    expect(page.locator(".demo-marker")).to_have_text("Demo data")
    expect(page.locator("[data-updated]")).to_contain_text(" UTC")  # server-rendered time
    # Without JavaScript the copy buttons stay hidden rather than doing nothing.
    expect(page.locator('[data-copy="#task-id"]')).to_be_hidden()
    without_js.close()


def test_polls_pause_while_the_tab_is_hidden(
    browser: Any, live_server: Any, tiny: Tiny, fast_polls: None, settings: LazySettings
) -> None:
    settings.DASHBOARD_POLL_SECONDS = 3
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    page = browser.new_page()
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "?v=" in request.url else None)
    page.goto(live_server.url + ids.url())

    # Headless Chromium is always "visible": emulate the tab being hidden.
    page.evaluate(SET_VISIBILITY, "hidden")
    # The poll comes due and is skipped rather than sent.
    expect(page.locator("body")).to_have_attribute(
        "data-polls-skipped", re.compile(r"^[1-9][0-9]*$"), timeout=10_000
    )
    assert polls == []

    # Visible again: it polls at once (the next interval would be 2.5 s away).
    with page.expect_request(lambda request: "?v=" in request.url, timeout=1000):
        page.evaluate(SET_VISIBILITY, "visible")
    page.close()
