"""The status board and the dense lists in a real Chromium, at 1400x900 light and dark and at
390x844: home shows the failing, stalled, waiting and running counts in its first screen; 20
queue rows fit the first desk screen; axe finds nothing serious; nothing scrolls sideways.
Screenshots go to DASHBOARD_SHOTS (when set) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from deadline_emulator import Emulator
from tasks_app.selectors import attention
from tests.browser.conftest import Tab
from tests.browser.console import console_problems
from tests.browser.pages import page_urls
from tests.browser.test_accessibility_browser import serious_violations

# Looks and density: the database (the attention list's acknowledgements) is by the way.
pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]

DESK = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENS = [("desk-light", DESK, "light"), ("desk-dark", DESK, "dark"), ("phone", PHONE, "light")]

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Rows of a table whose bottom edge is inside the first screen.
ROWS_IN_FIRST_SCREEN = """(selector) => [...document.querySelectorAll(selector)]
  .filter((row) => row.getBoundingClientRect().bottom <= window.innerHeight).length"""


@pytest.fixture
def shoot(tab: Tab, live_server: Any, transactional_db: None) -> Any:
    folder = os.environ.get("DASHBOARD_SHOTS")

    def open_(path: str, name: str, viewport: dict[str, int], scheme: str) -> Any:
        page = tab(viewport, scheme)
        page.set_default_timeout(30_000)
        problems = console_problems(page)
        response = page.goto(live_server.url + path)
        assert response is not None and response.ok, path
        page.wait_for_load_state("networkidle")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{folder}/{name}.png")
        page.console_problems = problems
        return page

    return open_


@pytest.mark.parametrize(("screen", "viewport", "scheme"), SCREENS)
def test_home_shows_the_four_counts_in_the_first_screen(
    shoot: Any, emulator: Emulator, screen: str, viewport: dict[str, int], scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    attention.get_report()  # the stalled count comes from the farm-wide check
    page = shoot("/", f"home-{screen}", viewport, scheme)

    for key in ("failed", "stalled", "waiting", "running"):
        tile = page.locator(f'[data-board-count="{key}"]')
        box = tile.bounding_box()
        assert box is not None and box["y"] + box["height"] <= viewport["height"], key
        assert tile.locator(".tile__count").inner_text().replace(",", "").isdigit()
    assert int(page.locator('[data-board-count="failed"] .tile__count').inner_text()) > 0
    assert page.evaluate(SIDEWAYS) <= 0
    assert serious_violations(Axe().run(page)) == []
    assert page.console_problems == []

    # A count opens the jobs behind it.
    page.locator('[data-board-count="failed"]').click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("#board-jobs tbody tr")
    count = int(page.locator('[data-board-count="failed"] .tile__count').inner_text())
    assert rows.count() == count
    assert page.evaluate(SIDEWAYS) <= 0


@pytest.mark.parametrize(("screen", "viewport", "scheme"), SCREENS)
def test_queue_list_is_dense_and_trouble_first(
    shoot: Any, emulator: Emulator, screen: str, viewport: dict[str, int], scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = shoot(page_urls(emulator)["queue"], f"queue-{screen}", viewport, scheme)

    if viewport is DESK:
        assert page.evaluate(ROWS_IN_FIRST_SCREEN, "table.list--jobs tbody tr") >= 20
    first = page.locator("table.list--jobs tbody tr").first
    assert "Failed" in first.locator(".cell-status").inner_text()
    assert page.locator("[data-queue-summary]").is_visible()
    assert page.evaluate(SIDEWAYS) <= 0
    assert serious_violations(Axe().run(page)) == []


@pytest.mark.parametrize(("screen", "viewport", "scheme"), SCREENS)
def test_step_table_is_dense_and_shows_whole_errors(
    shoot: Any, emulator: Emulator, screen: str, viewport: dict[str, int], scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    step = page_urls(emulator)["step"]
    every = shoot(step, f"step-all-{screen}", viewport, scheme)
    if viewport is DESK:
        assert every.evaluate(ROWS_IN_FIRST_SCREEN, "table.list--tasks tr.task-row") >= 20
        # The filters sit beside the table, not above it.
        form = every.locator("form.filters--side").bounding_box()
        table = every.locator("table.list--tasks").bounding_box()
        assert form is not None and table is not None
        assert form["x"] + form["width"] <= table["x"] and form["y"] < table["y"] + 40
    page = shoot(f"{step}?status=FAILED&details=1", f"step-failed-{screen}", viewport, scheme)

    error = page.locator(".row-error__text").first
    title = error.get_attribute("title") or ""
    assert title.startswith(error.inner_text().rstrip("…")[:20])
    box = error.bounding_box()
    line = float(error.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)"))
    assert box is not None and box["height"] <= 2 * line + 1  # two lines at most
    # The step's counts come after its tasks: the first failed row starts in the first screen.
    row = page.locator("tr.task-row").first.bounding_box()
    assert row is not None and row["y"] < viewport["height"] - 60
    assert page.evaluate(SIDEWAYS) <= 0
    assert serious_violations(Axe().run(page)) == []


@pytest.mark.parametrize(
    ("name", "screen", "viewport", "scheme"),
    [(name, *screen) for name in ("farms", "audit", "browse") for screen in SCREENS],
)
def test_other_pages_fit(
    shoot: Any, emulator: Emulator, name: str, screen: str, viewport: dict[str, int], scheme: str
) -> None:
    path = {"farms": "/farms/", "audit": "/audit/", "browse": "/browse/"}[name]
    page = shoot(path, f"{name}-{screen}", viewport, scheme)

    assert page.evaluate(SIDEWAYS) <= 0
