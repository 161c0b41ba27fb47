"""/attention/ in a real Chromium: the list refreshes in place when the farm changes, and the
header's count follows it, without a reload; the dead worker is one incident, with the tasks
it holds inside, at desktop (light and dark) and phone sizes, axe clean, never wider than the
screen; acknowledging it takes it out of the count."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import LazySettings
from playwright.sync_api import expect

from deadline_emulator import Emulator
from tests.attention_builds import no_build_outlives_its_test  # noqa: F401
from tests.browser.conftest import Tab
from tests.browser.test_accessibility_browser import serious_violations
from tests.demo import add_heavy_frame_job

pytestmark = [pytest.mark.browser, pytest.mark.attention, pytest.mark.read_only_world]
SHOTS = Path(tempfile.gettempdir()) / "attention-shots"
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def need(count: int) -> re.Pattern[str]:
    """The badge's text: the number, and the words only screen readers get."""
    return re.compile(rf"^\(?{count} need attention\)?$")


@pytest.mark.fresh_world
def test_the_list_and_the_header_count_refresh_in_place(
    tab: Tab, live_server: Any, emulator: Emulator, settings: LazySettings
) -> None:
    settings.DASHBOARD_POLL_SECONDS = 0.5
    settings.DASHBOARD_ATTENTION_SECONDS = 1.0
    wedged = emulator.backend.landmarks()["wedged_running_task"]
    page = tab()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + "/attention/")
    rows = page.locator("#live tbody tr")
    # The wedged task is inside its dead worker's incident, not a row of its own.
    expect(
        page.locator(f'tr[data-kind="sick_worker"] .attention-held a[href*="{wedged["taskId"]}"]')
    ).to_have_count(1)
    expect(page.locator('tr[data-kind="slow_task"]')).to_have_count(0)
    count = page.locator("#attention-count .count-badge")
    expect(count).to_have_text(need(rows.count()))
    before = rows.count()
    page.evaluate("window.__sameDocument = true")

    heavy = add_heavy_frame_job(emulator, minutes_ago=20)

    # Once the shared list is rebuilt, the poll swaps the new row in, and the count with it.
    slow = page.locator(f'tr[data-kind="slow_task"] a[href*="{heavy["taskId"]}"]')
    expect(slow).to_have_count(1, timeout=20_000)
    expect(rows).to_have_count(before + 1)
    expect(count).to_have_text(need(before + 1))
    assert page.evaluate("window.__sameDocument") is True
    assert problems == []
    page.close()


@pytest.mark.parametrize(
    ("width", "height", "scheme"),
    [(1400, 900, "light"), (1400, 900, "dark"), (390, 844, "light")],
)
def test_the_dead_worker_is_one_incident_at_every_size(
    tab: Tab, live_server: Any, emulator: Emulator, width: int, height: int, scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    worker = emulator.backend.landmarks()["wedged_worker"]["workerId"]
    page = tab(viewport={"width": width, "height": height}, color_scheme=scheme)
    page.set_default_timeout(30_000)
    page.goto(live_server.url + "/attention/")
    page.wait_for_load_state("networkidle")
    dead = page.locator(f'#live tbody tr[data-key="sick_worker:{worker}"]')
    expect(dead).to_have_count(1)
    expect(page.locator(f'#live tbody tr[data-key$="{worker}"]')).to_have_count(1)
    # Its five tasks are inside it, behind one disclosure.
    held = dead.locator("details.attention-held")
    expect(held).to_have_attribute("data-held", "5")
    held.locator("summary").click()
    expect(held.locator("li a")).to_have_count(5)
    expect(held.locator("li a").first).to_be_visible()
    assert page.evaluate(SIDEWAYS) <= 1
    assert serious_violations(Axe().run(page)) == []
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"attention-{width}-{scheme}.png"), full_page=False)


def test_acknowledging_the_dead_worker_takes_it_out_of_the_count(
    tab: Tab, live_server: Any, emulator: Emulator
) -> None:
    worker = emulator.backend.landmarks()["wedged_worker"]["workerId"]
    page = tab()
    try:
        page.goto(live_server.url + "/attention/")
        rows = page.locator("#live tbody tr")
        count = page.locator("#attention-count .count-badge")
        before = rows.count()
        expect(count).to_have_text(need(before))
        dead = page.locator(f'#live tbody tr[data-key="sick_worker:{worker}"]')
        dead.get_by_role("button", name="Acknowledge").click()

        expect(dead).to_have_count(0)
        expect(rows).to_have_count(before - 1)
        expect(count).to_have_text(need(before - 1))
        acknowledged = page.locator(f'.attention-acknowledged li[data-key="sick_worker:{worker}"]')
        expect(acknowledged).to_have_count(1)
    finally:
        page.close()
