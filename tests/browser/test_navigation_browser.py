"""Navigation in a real Chromium: the browse page's cascading form farm -> task with JavaScript
on and off, and triage of the 10,000-task step down to one failed task."""

from __future__ import annotations

import re
from typing import Any

import pytest

from deadline_emulator import Emulator
from tests.browser.conftest import Tab
from tests.browser.console import console_problems
from tests.demo import task_url

pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]


def _settled(page: Any) -> None:
    """Wait until htmx has swapped and settled: it binds the new selects' triggers only when
    settling ends, and a change before that would go unnoticed."""
    from playwright.sync_api import expect

    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def test_cascading_selects_with_javascript(tab: Tab, live_server: Any, emulator: Emulator) -> None:
    from playwright.sync_api import expect

    big = emulator.backend.landmarks()["big_step"]
    task_id = f"task-{big['stepId'].removeprefix('step-')}-41"
    page = tab()
    problems = console_problems(page)
    page.goto(live_server.url + "/browse/")
    page.evaluate("window.__sameDocument = true")

    page.select_option("#nav-farm", big["farmId"])
    expect(page.locator("#nav-queue")).to_be_enabled()
    _settled(page)
    page.select_option("#nav-queue", big["queueId"])
    expect(page.locator("#nav-job")).to_be_enabled()
    _settled(page)
    page.fill("#nav-job-filter", "master_beauty")
    expect(page.locator("#nav-job option")).to_have_count(2)  # placeholder + the one match
    _settled(page)
    page.select_option("#nav-job", big["jobId"])
    expect(page.locator("#nav-step")).to_be_enabled()
    _settled(page)
    page.select_option("#nav-step", big["stepId"])
    # A cold 10,000-task step takes the emulator a moment to evaluate.
    expect(page.locator("#nav-task")).to_be_enabled(timeout=20_000)
    _settled(page)
    page.fill("#nav-task-search", "Frame=42")
    expect(page.locator("#nav-task option")).to_have_count(2)
    _settled(page)
    page.select_option("#nav-task", task_id)
    assert page.evaluate("window.__sameDocument") is True  # no reload until the submit
    page.get_by_role("button", name="Open task").click()

    expect(page).to_have_url(live_server.url + task_url({**big, "taskId": task_id}))
    expect(page.locator("#task-id")).to_have_text(task_id)
    assert problems == []
    page.close()


def test_cascading_form_without_javascript(
    browser: Any, live_server: Any, emulator: Emulator
) -> None:
    from playwright.sync_api import expect

    big = emulator.backend.landmarks()["big_step"]
    last = emulator.backend.landmarks()["big_last_task"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/browse/")

    page.select_option("#nav-farm", big["farmId"])
    page.get_by_role("button", name="Show queues").click()
    page.select_option("#nav-queue", big["queueId"])
    page.get_by_role("button", name="Show jobs").click()
    page.select_option("#nav-job", big["jobId"])
    page.get_by_role("button", name="Show steps").click()
    page.select_option("#nav-step", big["stepId"])
    page.get_by_role("button", name="Show tasks").click()
    expect(page.locator("#nav-task")).to_be_enabled(timeout=20_000)
    page.fill("#nav-task-search", "#9999")
    page.press("#nav-task-search", "Enter")
    # #N is a task index (a bare number is a frame): task 9999 alone (GetTask), after the
    # placeholder option.
    expect(page.locator("#nav-task option")).to_have_count(2)
    page.select_option("#nav-task", last["taskId"])
    page.get_by_role("button", name="Open task").click()

    expect(page).to_have_url(live_server.url + task_url(last))
    expect(page.locator("#task-id")).to_have_text(last["taskId"])
    context.close()


def test_filter_the_big_step_to_failed_and_open_one(
    tab: Tab, live_server: Any, emulator: Emulator
) -> None:
    from playwright.sync_api import expect

    big = emulator.backend.landmarks()["big_step"]
    step_path = (
        f"/farms/{big['farmId']}/queues/{big['queueId']}/jobs/{big['jobId']}/steps/{big['stepId']}/"
    )
    page = tab()
    problems = console_problems(page)
    page.goto(live_server.url + step_path)
    expect(page.locator(".pagination--top .pagination__range")).to_contain_text("of 10,000")

    page.get_by_role("link", name="Failed only (113)").click()
    expect(page.locator(".pagination--top .pagination__range")).to_contain_text("of 113")
    badges = page.locator("tr.task-row .badge")
    expect(badges.first).to_have_text("Failed")
    assert set(badges.all_inner_texts()) == {"Failed"}
    # The filter survives in the URL (bookmarkable, and kept by the live refresh).
    assert "status=FAILED" in page.url

    row = page.locator("tr.task-row").first
    task_id = row.get_attribute("data-task-id")
    row.locator("th a").click()

    expect(page).to_have_url(re.compile(re.escape(f"/tasks/{task_id}/") + "$"))
    expect(page.locator("#run-status .badge").first).to_have_text("Failed")
    assert problems == []
    page.close()
