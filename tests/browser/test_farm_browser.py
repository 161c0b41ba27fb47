"""The farm side's pages in a real Chromium on a 390 px phone, light and dark: axe finds no
serious or critical violation, nothing is wider than the screen, the charts are drawn; and
screenshots to look at (``FARM_SCREENSHOTS=<dir>``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from deadline_emulator import Emulator
from tests.browser.conftest import Tab
from tests.browser.farm_pages import farm_urls
from tests.browser.test_accessibility_browser import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]

WIDER_THAN_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("main *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .filter((e) => !e.closest("thead, .worker-log, pre"))  // a card list's header is hidden
    .slice(0, 5)
    .map((e) => e.tagName + "." + e.className);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_farm_pages_on_a_phone(
    browser: Any, tab: Tab, live_server: Any, emulator: Emulator, scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    shots = os.environ.get("FARM_SCREENSHOTS")
    page = tab(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page.set_default_timeout(60_000)
    found: dict[str, list[str]] = {}
    for name, url in farm_urls(emulator).items():
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        problems = serious_violations(Axe().run(page)) + [
            f"wider than 390 px: {tag}" for tag in page.evaluate(WIDER_THAN_THE_SCREEN)
        ]
        if name == "worker":
            assert page.locator(".chart--line polyline").count() >= 5
        if problems:
            found[name] = problems
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/{name}-{scheme}-phone.png", full_page=True)
            page.screenshot(path=f"{shots}/{name}-{scheme}-phone-top.png")
    if shots:
        wide = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme=scheme)
        desk = wide.new_page()
        for name, url in farm_urls(emulator).items():
            desk.goto(live_server.url + url)
            desk.wait_for_load_state("networkidle")
            desk.screenshot(path=f"{shots}/{name}-{scheme}-1400.png", full_page=True)
        wide.close()
    assert found == {}


def test_machine_action_previews_pass_axe(
    tab: Tab, live_server: Any, emulator: Emulator, settings: Any
) -> None:
    """The worker's "Remove this worker…" and the fleet's size form lead to previews that are
    as accessible as the rest (light and dark)."""
    from axe_playwright_python.sync_playwright import Axe

    settings.DASHBOARD_ACTIONS = True
    stopped = next(w for w in emulator.backend.world.workers if w.status == "STOPPED")
    worker_url = f"/farms/{stopped.farm_id}/fleets/{stopped.fleet_id}/workers/{stopped.worker_id}/"
    fleet_url = f"/farms/{stopped.farm_id}/fleets/{stopped.fleet_id}/"
    shots = os.environ.get("FARM_SCREENSHOTS")
    page = tab(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    found: dict[str, list[str]] = {}
    for name, url, button in (
        ("remove-worker", worker_url, "Remove this worker…"),
        ("fleet-size", fleet_url, "Preview (UpdateFleet)"),
    ):
        page.goto(live_server.url + url)
        if name == "fleet-size":
            page.get_by_text("Set the fleet's minimum and maximum workers…").click()
            page.get_by_label("Minimum").fill("1")
        page.get_by_role("button", name=button).click()
        page.locator("[data-machine-preview]").wait_for()
        assert page.locator("[data-confirm-button]").count() == 1
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            problems = serious_violations(Axe().run(page))
            if problems:
                found[f"{name} ({scheme})"] = problems
            if shots:
                page.screenshot(path=f"{shots}/{name}-{scheme}-preview.png", full_page=True)
    assert found == {}
