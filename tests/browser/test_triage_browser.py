"""Triage in a real Chromium: a failed task's attempts, worker and error line; a running
task's log tail growing as the emulator's clock advances; the page without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from tests.browser.conftest import Tab
from tests.browser.console import console_problems
from tests.demo import task_url
from tests.triage_demo import clustered_failed_task, host_name, long_running_task

pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]


@pytest.fixture
def fast_polls(settings: LazySettings) -> None:
    settings.DASHBOARD_POLL_SECONDS = 0.5
    settings.DEADLINE_CACHE_SECONDS = 0
    settings.DEADLINE_MAX_ATTEMPTS = 1


# Resolve once the condition holds (checked every frame) or false after 5 s: Playwright's
# wait_for_function would eval a string, which the page's Content-Security-Policy forbids.
SCROLLED_TO_END = """() => new Promise((resolve) => {
    const until = Date.now() + 5000;
    const check = () => {
        const el = document.querySelector("#log-lines");
        if (el.scrollHeight - el.scrollTop - el.clientHeight <= 8) return resolve(true);
        if (Date.now() > until) return resolve(false);
        requestAnimationFrame(check);
    };
    check();
})"""

THREE_FOLLOW_TRIES = """() => new Promise((resolve) => {
    const until = Date.now() + 10000;
    const check = () => {
        if (window.__followTries >= 3) return resolve(true);
        if (Date.now() > until) return resolve(false);
        requestAnimationFrame(check);
    };
    check();
})"""

COUNT_FOLLOW_POLLS = """() => {
    window.__followTries = 0;
    window.__followSent = 0;
    const isFollow = (evt) => evt.detail.elt.hasAttribute("data-log-follow");
    document.addEventListener("htmx:beforeRequest", (evt) => {
        if (isFollow(evt)) window.__followTries += 1;
    });
    document.addEventListener("htmx:beforeSend", (evt) => {
        if (isFollow(evt)) window.__followSent += 1;
    });
}"""


def test_failed_task_names_the_failing_worker_and_shows_the_error_line(
    tab: Tab, live_server: Any, emulator: Emulator, fast_polls: None
) -> None:
    from playwright.sync_api import expect

    ids, worker_id, on_worker, failed = clustered_failed_task(emulator)
    worker = host_name(emulator, ids, worker_id)
    page = tab()
    problems = console_problems(page)

    page.goto(live_server.url + task_url(ids))

    attempts = page.locator("#attempts .attempt")
    expect(attempts).to_have_count(failed)
    # Why, first: the verdict. No worker is suspected from 2 of 3 attempts alone (the failures
    # analysis's statistic decides that, and says nothing on a sample this small).
    expect(page.locator("[data-task-verdict]")).to_contain_text(f"Failed {failed} times")
    expect(page.locator("#failure-cluster")).to_have_count(0)
    expect(attempts.first.locator(".badge")).to_have_text("Failed")
    expect(attempts.first.locator("details")).to_have_attribute("open", "")
    expect(page.locator("#attempts .worker-name").filter(has_text=worker)).to_have_count(on_worker)
    error = page.locator("#log-lines .log-line--error").filter(has_text="exit code")
    expect(error.first).to_be_visible()
    expect(page.locator("#log-follow")).to_have_attribute("data-log-ended", "")

    # Another attempt's log without leaving the page.
    page.evaluate("window.__sameDocument = true")
    last = attempts.last
    last.locator("summary").click()
    last.get_by_role("link", name="Show the log of attempt 1").click()
    expect(page.locator("#log-heading")).to_contain_text("Log of attempt 1")
    expect(page.locator("#log-lines .log-line--error").first).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True

    # Local time and back.
    stamp = page.locator("#log-lines time[data-log-ms]").first
    utc_text = stamp.inner_text()
    page.locator("[data-log-tz-toggle]").click()
    expect(page.locator("[data-log-tz-label]")).to_contain_text("local time")
    page.locator("[data-log-tz-toggle]").click()
    expect(stamp).to_have_text(utc_text)
    assert problems == []
    page.close()


@pytest.mark.fresh_world
def test_running_task_log_grows_as_the_clock_advances(
    tab: Tab, live_server: Any, emulator: Emulator, fast_polls: None
) -> None:
    from playwright.sync_api import expect

    ids = long_running_task(emulator)
    page = tab()
    problems = console_problems(page)
    page.goto(live_server.url + task_url(ids))
    lines = page.locator("#log-lines .log-line")
    expect(page.locator("#log-follow[data-log-follow]")).to_be_attached()
    expect(lines.first).to_be_visible()
    before = lines.count()
    last_before = lines.last.inner_text()

    emulator.clock.advance(20)

    expect(lines).not_to_have_count(before, timeout=10_000)
    assert lines.count() > before
    assert lines.last.inner_text() != last_before
    # Followed: the log box stays scrolled to its newest line.
    assert page.evaluate(SCROLLED_TO_END) is True

    # Scrolling up stops following: no more lines arrive while reading.
    page.locator("#log-lines").evaluate("el => { el.scrollTop = 0; }")
    expect(page.locator("[data-log-follow-toggle]")).not_to_be_checked()
    expect(page.locator("[data-log-status]")).to_contain_text("Following paused")
    # A follow request sent before the pause may still land: count once none is under way.
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    paused = lines.count()
    page.evaluate(COUNT_FOLLOW_POLLS)
    emulator.clock.advance(20)
    # The follow poll keeps firing but is not sent: wait for three tries, none went out.
    assert page.evaluate(THREE_FOLLOW_TRIES) is True
    assert page.evaluate("window.__followSent") == 0
    assert lines.count() == paused
    page.locator("[data-log-follow-toggle]").check()
    expect(lines).not_to_have_count(paused, timeout=10_000)
    assert problems == []
    page.close()


def test_without_javascript_the_placeholder_link_shows_the_triage(
    browser: Any, live_server: Any, emulator: Emulator
) -> None:
    from playwright.sync_api import expect

    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + task_url(ids))
    # Nothing fills the placeholders: the task is there, the triage one link away.
    expect(page.locator("#task-panel")).to_be_visible()
    expect(page.locator("#attempts .attempt")).to_have_count(0)

    page.get_by_role("link", name="Show attempts and the log tail").click()

    assert page.url.endswith("?attempt=latest#attempts")
    expect(page.locator("#attempts .attempt")).to_have_count(3)
    expect(page.locator("#log-heading")).to_contain_text("Log of attempt 3")
    expect(page.locator("#log-lines .log-line--error").first).to_be_visible()
    first = page.locator("#attempts .attempt").last
    first.locator("summary").click()
    first.get_by_role("link", name="Show the log of attempt 1").click()
    expect(page.locator("#log-heading")).to_contain_text("Log of attempt 1")
    assert "attempt=sessionaction-" in page.url
    context.close()
