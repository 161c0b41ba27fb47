"""Failures in a real Chromium: from a red job one click reaches its failures view, and one
click on a group's example reaches the failing attempt's log at the highlighted line, scrolled
into view; with JavaScript and without it. A big job streams in under a progress bar."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from tests.browser.conftest import Tab

pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]

# True once the highlighted line lies inside the log box's visible area (and the page's).
TARGET_IN_VIEW = """() => {
    const line = document.querySelector("#log-target");
    const box = document.querySelector("#log-lines");
    if (!line || !box) return false;
    const l = line.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    return l.top >= b.top - 1 && l.bottom <= b.bottom + 1 && l.top >= 0
        && l.bottom <= window.innerHeight;
}"""


@pytest.fixture
def whole_pages(settings: LazySettings) -> None:
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 30  # the demo job's analysis takes < 5 s


def _job_url(job: dict[str, str]) -> str:
    return f"/farms/{job['farmId']}/queues/{job['queueId']}/jobs/{job['jobId']}/"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_from_a_red_job_to_the_failing_line_in_two_clicks(
    browser: Any,
    live_server: Any,
    emulator: Emulator,
    whole_pages: None,
    javascript: bool,
) -> None:
    from playwright.sync_api import expect

    job = emulator.backend.landmarks()["failed_deps_job"]
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(live_server.url + _job_url(job))
    failed = page.locator(".work-summary [data-failures-link]")
    expect(failed).to_contain_text("5")
    # The job's verdict, above the facts, streams in while the analysis runs and pushes them
    # down: a click while it lands can hit where the link was. Click once it has settled
    # (without JavaScript nothing polls: the page stays as served).
    if javascript:
        expect(page.locator("[data-verdict-polling]")).to_have_count(0)

    failed.click()  # one click: the failures view
    # The view may hold its first paint for up to 30 s (whole_pages): wait longer than that.
    page.wait_for_url("**/failures/", timeout=60_000)
    expect(page.locator("h1")).to_contain_text("Why did it fail?")
    groups = page.locator(".failure-group")
    expect(groups.first).to_be_visible()
    assert sum(int(n) for n in groups.evaluate_all("gs => gs.map(g => g.dataset.tasks)")) == 5
    title = groups.first.locator("[data-title]").inner_text()
    raw = groups.first.locator("[data-raw-line]")
    line = raw.text_content() if raw.count() else title  # the line as the log wrote it

    groups.first.locator("[data-example-link]").click()  # one click: the log at the line
    page.wait_for_url("**/tasks/**#log-target")
    target = page.locator("#log-target")
    expect(target).to_have_count(1)
    expect(target.locator(".log-message")).to_have_text(line)
    expect(target.locator(".log-message")).to_contain_text(title)
    expect(target).to_have_attribute("aria-current", "true")
    assert page.evaluate(TARGET_IN_VIEW) is True
    context.close()


def test_a_big_job_streams_in_under_a_progress_bar(
    tab: Tab, live_server: Any, emulator: Emulator, settings: LazySettings
) -> None:
    from playwright.sync_api import expect

    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 0
    settings.DASHBOARD_FAILURES_CONCURRENCY = 2
    job = emulator.backend.landmarks()["big_job"]
    page = tab()
    page.set_default_timeout(60_000)
    page.goto(live_server.url + _job_url(job) + "failures/")
    expect(page.locator("[data-progress]")).to_contain_text("failed tasks")
    expect(page.locator("#failures-live")).to_have_attribute("data-complete", "false")
    # Completes live through the htmx polls, without a reload (slowly on a busy machine).
    page.evaluate("window.__samePage = true")
    live = page.locator("#failures-live")
    expect(live).to_have_attribute("data-complete", "true", timeout=180_000)
    assert page.evaluate("window.__samePage") is True
    expect(page.locator("[data-failed-tasks]")).to_have_text("113")
    expect(page.locator(".worker-cluster")).to_contain_text("render-a-017")
    assert page.locator("[data-progress]").count() == 0
    page.close()


def test_copy_as_markdown_puts_the_summary_on_the_clipboard(
    browser: Any, live_server: Any, emulator: Emulator, whole_pages: None
) -> None:
    from playwright.sync_api import expect

    job = emulator.backend.landmarks()["failed_deps_job"]
    url = live_server.url + _job_url(job) + "failures/"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    summary = page.locator(".markdown-summary")
    summary.locator("summary").click()
    button = summary.locator("button[data-copy]")
    expect(button).to_be_visible()
    button.click()
    # The clipboard holds the summary once the copy has gone through (awaited, not slept).
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()).startsWith('## Failures')"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    served = page.request.get(url + "?format=markdown").text()
    assert copied == served.strip()
    assert copied.startswith("## Failures of job")
    assert "| Tasks | Attempts | Cause |" in copied
    groups = page.locator(".failure-group").count()
    assert len(re.findall(r"^\| \d+ \| \d+ \|", copied, re.M)) == groups >= 2
    context.close()


@pytest.mark.parametrize(
    ("width", "height", "scheme"),
    [(1400, 900, "light"), (1400, 900, "dark"), (390, 844, "light")],
    ids=["desktop-light", "desktop-dark", "phone"],
)
def test_the_top_cause_reads_plainly_in_the_first_screen(
    tab: Tab,
    live_server: Any,
    emulator: Emulator,
    whole_pages: None,
    width: int,
    height: int,
    scheme: str,
) -> None:
    """The verdict first: the largest cause's count, its title without the logger's prefix
    and its advice are on the first screen, the line as written a click away; nothing makes
    the page scroll sideways."""
    from playwright.sync_api import expect

    job = emulator.backend.landmarks()["big_job"]
    page = tab(viewport={"width": width, "height": height}, color_scheme=scheme)
    page.set_default_timeout(60_000)
    page.goto(live_server.url + _job_url(job) + "failures/")
    top = page.locator(".failure-group").first
    expect(top.locator("[data-advice]")).to_be_visible()
    first_screen = "el => el.getBoundingClientRect().bottom <= window.innerHeight"
    for part in ("[data-title]", "[data-advice]", ".failure-group__count"):
        assert top.locator(part).evaluate(first_screen), part
    title = top.locator("[data-title]").inner_text()
    assert not re.match(r"\d\d:\d\d:\d\d|\s*(ERROR|WARNING)\b", title)
    raw = top.locator("[data-raw-line]")
    expect(raw).to_be_hidden()
    top.locator(".failure-raw summary").click()
    expect(raw).to_be_visible()
    assert title in raw.inner_text() and raw.inner_text() != title
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Each cause advises: exactly the flaky ones say a retry is likely to help.
    advice = page.locator("[data-advice]").all_inner_texts()
    assert len(advice) == page.locator(".failure-group").count()
    # The one a retry helps is the one the suspect worker holds (retries land elsewhere).
    retry = page.locator(".failure-group:has([data-advice='retry'])")
    expect(retry).to_have_count(1)
    cluster_link = page.locator(".worker-cluster a[href^='#cause-']").first
    assert cluster_link.get_attribute("href") == "#" + (retry.get_attribute("id") or "")
