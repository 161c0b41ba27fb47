"""Look and feel in a real Chromium: the tables fit a desk screen, badges stay on one
line, a right-to-left name cannot reorder the ID beside it, the keyboard shortcuts work (and
never inside a field), and a phone shows the status without scrolling."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from tests.browser.conftest import Tab
from tests.browser.pages import page_urls

pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]

DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# A cold 10,000-task step takes the emulator a moment to evaluate.
SLOW = 30_000

# Sideways overflow of the page, and any box inside it that scrolls sideways.
OVERFLOW = """() => {
  const doc = document.documentElement;
  const boxes = [...document.querySelectorAll("main *")].filter((el) => {
    const x = getComputedStyle(el).overflowX;
    return (x === "auto" || x === "scroll") && el.scrollWidth > el.clientWidth + 1;
  });
  return {page: doc.scrollWidth - doc.clientWidth, boxes: boxes.map((el) => el.className)};
}"""

# Badges whose text wraps: more than one line box, or taller than one and a half lines.
WRAPPED_BADGES = """() => [...document.querySelectorAll(".badge")].filter((badge) => {
  const lines = badge.getClientRects().length;
  const height = badge.getBoundingClientRect().height;
  return lines > 1 || height > parseFloat(getComputedStyle(badge).lineHeight) * 1.5;
}).map((badge) => badge.textContent)"""

# The left edge of each character of an element's text, in text order.
CHARACTER_LEFTS = """(el) => {
  const text = el.firstChild;
  const lefts = [];
  for (let i = 0; i < text.length; i++) {
    const range = document.createRange();
    range.setStart(text, i);
    range.setEnd(text, i + 1);
    lefts.push(range.getBoundingClientRect().left);
  }
  return lefts;
}"""


@pytest.fixture
def urls(emulator: Emulator) -> dict[str, str]:
    return page_urls(emulator)


@pytest.fixture
def open_page(tab: Tab, live_server: Any) -> Any:
    def open_(path: str, viewport: dict[str, int] = DESK, scheme: str = "light") -> Any:
        page = tab(viewport, scheme)
        page.set_default_timeout(SLOW)
        page.goto(live_server.url + path)
        return page

    return open_


@pytest.mark.parametrize("name", ["queue", "job", "step", "hostile-job"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_sideways_scroll_at_1280_and_badges_on_one_line(
    open_page: Any, urls: dict[str, str], name: str, scheme: str
) -> None:
    page = open_page(urls[name], scheme=scheme)

    assert page.locator("table.list").count() >= 1
    assert page.evaluate(OVERFLOW) == {"page": 0, "boxes": []}
    assert page.locator(".badge").count() > 0
    assert page.evaluate(WRAPPED_BADGES) == []


def test_the_queue_table_shows_every_column_and_lifecycle_only_when_unusual(
    open_page: Any, urls: dict[str, str]
) -> None:
    page = open_page(urls["queue"])

    headers = page.locator("table.list--jobs thead th").all_inner_texts()
    for column in ("NAME", "RUN STATUS", "FAILED", "CREATED", "STARTED", "ENDED", "DURATION"):
        assert any(column in header for header in headers), (column, headers)
    table = page.locator("table.list--jobs").bounding_box()
    assert table["x"] + table["width"] <= DESK["width"]
    # Every job of this queue is "Create complete": no lifecycle column, no lifecycle badge.
    assert "Create complete" not in page.locator("table.list--jobs").inner_text()


def test_one_failed_task_in_hundreds_is_visible_in_the_bar(
    open_page: Any, urls: dict[str, str], emulator: Emulator
) -> None:
    big = emulator.backend.landmarks()["big_job"]
    sliver = next(
        job
        for job in emulator.backend.list_jobs(farm_id=big["farmId"], queue_id=big["queueId"])[
            "jobs"
        ]
        if job["taskRunStatus"] == "FAILED"
        and job["taskRunStatusCounts"].get("FAILED") == 1
        and sum(job["taskRunStatusCounts"].values()) > 255
    )
    page = open_page(urls["queue"])
    row = page.locator("table.list--jobs tbody tr").filter(
        has=page.locator(f'a[href$="/jobs/{sliver["jobId"]}/"]')
    )

    width = row.locator("rect.seg--failed").evaluate(
        """(rect) => {
          const style = getComputedStyle(rect);
          const stroke = style.stroke !== "none" && style.vectorEffect === "non-scaling-stroke"
            ? parseFloat(style.strokeWidth) : 0;
          return rect.getBoundingClientRect().width + stroke;
        }"""
    )
    assert width >= 2.5, f"1 failed task of many is {width:.2f} px wide"
    assert row.locator(".status-bar").get_attribute("title").startswith("Tasks: 1 failed")


@pytest.mark.parametrize("name", ["hostile-job", "queue-of-hostile-job"])
def test_a_right_to_left_name_leaves_the_ids_left_to_right(
    open_page: Any, emulator: Emulator, urls: dict[str, str], name: str
) -> None:
    hostile = emulator.backend.landmarks()["hostile_job"]
    job_name = emulator.backend.get_job(
        farm_id=hostile["farmId"], queue_id=hostile["queueId"], job_id=hostile["jobId"]
    )["name"]
    assert "\u202e" in job_name  # the demo world's right-to-left override
    path = (
        urls["hostile-job"]
        if name == "hostile-job"
        else f"/farms/{hostile['farmId']}/queues/{hostile['queueId']}/"
    )
    page = open_page(path)

    ids = page.locator(".id__text")
    assert ids.count() >= 1
    checked = 0
    for index in range(ids.count()):
        element = ids.nth(index)
        text = element.inner_text()
        # The compact job list shows a row's ID as its copy button only (the text is hidden).
        if not text.startswith(("job-", "step-", "queue-", "farm-")) or not element.is_visible():
            continue
        lefts = element.evaluate(CHARACTER_LEFTS)
        assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts), text
        checked += 1
    assert checked >= 1
    # The job's own ID, right after its right-to-left name, is among them.
    assert page.locator(f'.id__text:text-is("{hostile["jobId"]}")').count() >= 1
    if name == "queue-of-hostile-job":  # there, its copy button follows the name
        button = page.locator(f'button[data-copy-text="{hostile["jobId"]}"]')
        assert button.is_visible()


def _rows_current(page: Any) -> list[int]:
    return page.evaluate(
        """() => [...document.querySelectorAll("table[data-rows] tbody > tr")]
            .map((row, i) => row.classList.contains("is-current") ? i : -1)
            .filter((i) => i >= 0)"""
    )


def test_shortcuts_never_fire_while_typing(open_page: Any, urls: dict[str, str]) -> None:
    from playwright.sync_api import expect

    page = open_page(urls["queue"])
    start = page.url

    page.keyboard.press("/")
    expect(page.locator("#site-goto")).to_be_focused()
    page.keyboard.type("jkfr?/")

    expect(page.locator("#site-goto")).to_have_value("jkfr?/")
    assert _rows_current(page) == []
    assert page.locator("#keys-dialog[open]").count() == 0
    assert page.url == start
    # Nor in a select: j does not move through the rows while the status filter has focus.
    page.locator("#id_status").focus()
    page.keyboard.press("j")
    assert _rows_current(page) == []


def test_j_k_move_through_rows_and_enter_opens_one(open_page: Any, urls: dict[str, str]) -> None:
    from playwright.sync_api import expect

    page = open_page(urls["queue"])
    page.locator("h1").click()

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")

    assert _rows_current(page) == [1]
    second = page.locator("table[data-rows] tbody > tr").nth(1)
    expect(second).to_be_focused()
    href = second.locator("[data-row-link]").get_attribute("href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(page.url.split("/farms/")[0] + href)


def test_f_toggles_failed_only(open_page: Any, urls: dict[str, str]) -> None:
    from playwright.sync_api import expect

    page = open_page(urls["step"])
    expect(page.locator(".pagination--top .pagination__range")).to_contain_text("of 10,000")

    page.keyboard.press("f")
    expect(page).to_have_url(re.compile(r"status=FAILED"))
    expect(page.locator(".pagination--top .pagination__range")).to_contain_text("of 113")
    page.keyboard.press("f")
    expect(page).to_have_url(re.compile(r"^(?!.*status=FAILED)"))
    expect(page.locator(".pagination--top .pagination__range")).to_contain_text("of 10,000")


def test_f_on_the_queue_filters_its_jobs_to_failed(open_page: Any, urls: dict[str, str]) -> None:
    from playwright.sync_api import expect

    page = open_page(urls["queue"])

    page.keyboard.press("f")
    expect(page).to_have_url(re.compile(r"status=FAILED"))
    badges = page.locator("table.list--jobs tbody .cell-status .badge")
    expect(badges.first).to_have_text("Failed")
    assert set(badges.all_inner_texts()) == {"Failed"}


def test_r_refreshes_the_live_data_now(
    open_page: Any, urls: dict[str, str], settings: LazySettings
) -> None:
    settings.DASHBOARD_POLL_SECONDS = 600  # no poll of its own during the test
    page = open_page(urls["queue"])
    assert page.locator("#live[data-poll]").count() == 1

    with page.expect_request(lambda request: "v=" in request.url and "/queues/" in request.url):
        page.keyboard.press("r")


def test_question_mark_lists_the_shortcuts(open_page: Any, urls: dict[str, str]) -> None:
    from playwright.sync_api import expect

    page = open_page(urls["job"])

    page.keyboard.press("?")
    dialog = page.locator("#keys-dialog")
    expect(dialog).to_be_visible()
    for key in ("/", "j", "k", "Enter", "f", "r", "?"):
        expect(dialog.locator("kbd", has_text=key).first).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


@pytest.mark.parametrize("name", ["queue", "job", "step", "task"])
def test_a_phone_shows_the_status_without_scrolling(
    open_page: Any, urls: dict[str, str], name: str
) -> None:
    from playwright.sync_api import expect

    page = open_page(urls[name], viewport=PHONE)
    # The task page's triage (its log and attempts) arrives after the page: measure the page
    # as it settles, not in whichever order its parts happened to arrive.
    expect(page.locator("[data-triage-placeholder]")).to_have_count(0)

    # A failed task states its status in its verdict ("Failed 3 times · exit 74 ..."), first.
    status = page.locator("main [data-task-verdict], main .badge").first
    box = status.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
    assert page.evaluate("() => window.scrollY") == 0
    assert page.evaluate(OVERFLOW)["page"] == 0


def test_relative_times_count_from_the_backends_clock(
    open_page: Any, urls: dict[str, str], live_server: Any
) -> None:
    """The demo world's clock is pinned days away from the browser's: the queue page's
    relative times must read as the server wrote them, not from the browser's own clock."""
    page = open_page(urls["queue"])
    served = page.request.get(live_server.url + urls["queue"]).text()
    written = dict(re.findall(r'data-relative="(\d+)">([^<]*)<', served))
    assert written, "the queue page shows no relative time"
    shown = dict(
        page.eval_on_selector_all(
            "[data-relative]", "els => els.map(el => [el.dataset.relative, el.textContent])"
        )
    )
    # The oldest time is in days: its wording cannot change in the second between the two.
    oldest = min(written, key=int)
    assert "d ago" in written[oldest]
    assert shown[oldest] == written[oldest]
