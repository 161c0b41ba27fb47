"""The pictures (render times, a job's timeline, usage) in a real Chromium: drawn, axe-clean in
light and dark mode at 1400 px and on a 390 px phone, never wider than the phone, and the
timeline's task bars and zoom bars are links a keyboard reaches."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from deadline_emulator import Emulator
from tests.browser.conftest import Tab
from tests.browser.pages import page_urls
from tests.browser.test_accessibility_browser import DARK, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]

PICTURES = {"step-durations": 2, "job-timeline": 1, "usage": 1}  # page -> charts drawn
# Pages whose pictures are meters (a budget's bar), checked for axe and width only.
METERS = ("budgets",)

# Every chart has a size on the page and at least one mark in it.
DRAWN = """() => [...document.querySelectorAll('svg.chart')].map((svg) => {
  const box = svg.getBoundingClientRect();
  return box.width > 200 && box.height > 80 && svg.querySelectorAll('rect, circle').length > 0;
})"""
# The page does not scroll sideways (a 390 px phone).
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
# The smallest chart label as drawn on screen, in CSS pixels.
SMALLEST_LABEL = """() => Math.min(...[...document.querySelectorAll('svg.chart .chart-label')]
  .map((t) => t.getBoundingClientRect().height).filter((h) => h > 0))"""


@pytest.mark.parametrize("width", [1400, 390])
def test_pictures_are_drawn_readable_and_axe_clean(
    tab: Tab, live_server: Any, emulator: Emulator, width: int
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    urls = page_urls(emulator)
    page = tab(viewport={"width": width, "height": 900})
    page.set_default_timeout(60_000)
    found: dict[str, list[str]] = {}
    for name, charts in PICTURES.items():
        page.emulate_media(color_scheme="light")
        page.goto(live_server.url + urls[name])
        page.wait_for_load_state("networkidle")
        assert page.evaluate(DRAWN) == [True] * charts, name
        if width == 390:
            assert page.evaluate(FITS), f"{name} scrolls sideways on a phone"
        assert page.evaluate(SMALLEST_LABEL) >= 9, f"{name}: chart text too small"
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert page.evaluate(DARK) == (scheme == "dark")
            problems = serious_violations(axe.run(page))
            if problems:
                found[f"{name} ({scheme}, {width} px)"] = problems
    for name in METERS:
        page.emulate_media(color_scheme="light")
        page.goto(live_server.url + urls[name])
        page.wait_for_load_state("networkidle")
        assert page.locator("svg.meter").count() >= 1, name
        if width == 390:
            assert page.evaluate(FITS), f"{name} scrolls sideways on a phone"
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            problems = serious_violations(axe.run(page))
            if problems:
                found[f"{name} ({scheme}, {width} px)"] = problems

    assert found == {}


def test_timeline_bars_are_links_a_keyboard_reaches(
    tab: Tab, live_server: Any, emulator: Emulator
) -> None:
    page = tab(viewport={"width": 1400, "height": 900})
    page.goto(live_server.url + page_urls(emulator)["job-timeline"])
    bar = page.locator('[data-chart="timeline"] a').first
    bar.focus()
    assert page.evaluate("() => document.activeElement.closest('svg') !== null")
    label = bar.get_attribute("aria-label") or ""
    assert label.startswith("render-") and "task" in label
    bar.press("Enter")
    page.wait_for_url("**/tasks/task-*/")
    assert "/steps/step-" in page.url


def test_big_jobs_timeline_zoomed_out_and_in(
    tab: Tab, live_server: Any, emulator: Emulator, tmp_path: Any
) -> None:
    """The 10,000-task job: zoomed out, aggregate bars and notes saying what is aggregated and
    estimated; a slice's link zooms in, and a narrow window shows its task bars (exact)."""
    from axe_playwright_python.sync_playwright import Axe

    big = emulator.backend.landmarks()["big_job"]
    job = f"/farms/{big['farmId']}/queues/{big['queueId']}/jobs/{big['jobId']}"
    url = f"{live_server.url}{job}/timeline/"
    axe, found = Axe(), {}
    for width in (1400, 390):
        page = tab(viewport={"width": width, "height": 900})
        page.set_default_timeout(120_000)
        view = page.request.get(url + "?format=json").json()["view"]
        start, end = (
            datetime.fromisoformat(view[e].replace("Z", "+00:00")) for e in ("start", "end")
        )
        narrow = start + (end - start) / 2
        zoom = urlencode(
            {"start": narrow.isoformat(), "end": (narrow + (end - start) / 200).isoformat()}
        )
        for name, address, exact in (("out", url, False), ("in", f"{url}?{zoom}", True)):
            page.goto(address)
            page.wait_for_load_state("networkidle")
            assert page.evaluate(DRAWN) == [True], name
            notes = page.locator("[data-read-note]").all_inner_texts()
            assert notes and notes[0].startswith("Exact:" if exact else "Aggregated:"), notes
            chart = page.locator('[data-chart="timeline"]')
            assert (chart.locator(".span-mixed").count() > 0) != exact, name
            assert (chart.locator(".span-task").count() > 0) == exact, name
            if width == 390:
                assert page.evaluate(FITS), f"zoomed {name} scrolls sideways on a phone"
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                page.screenshot(
                    path=str(tmp_path / f"timeline-{name}-{scheme}-{width}.png"), full_page=True
                )
                problems = serious_violations(axe.run(page))
                if problems:
                    found[f"zoomed {name} ({scheme}, {width} px)"] = problems
            page.emulate_media(color_scheme="light")
    print(f"screenshots in {tmp_path}")

    assert found == {}
