"""Accessibility in a real Chromium: axe-core (axe-playwright-python, bundled, no download) on
every page type in light and dark mode finds no serious or critical violation, and no status
is told by colour alone."""

from __future__ import annotations

from typing import Any

import pytest

from deadline_emulator import Emulator
from tests.browser.conftest import Tab
from tests.browser.farm_pages import farm_urls
from tests.browser.pages import page_urls
from tests.browser.scheduling_pages import lab_urls

pytestmark = [pytest.mark.browser, pytest.mark.attention]

PAGE_TYPES = [
    # First: building the attention list also puts the stalled badges on the wedged job's pages.
    "attention",
    "wedged-job",
    "wedged-step",
    "wedged-task",
    "home",
    "farms",
    "farm",
    "queue",
    "job",
    "step",
    "task",
    "job-failures",
    "hostile-job",
    "go-to-error",
    "go-to-matches",
    "not-found",
    "audit",
    "step-durations",
    "job-timeline",
    "usage",
    "budgets",
    # Why work waits (the scheduling lab).
    "job-blockers",
    "step-blockers",
    "stopping-job-blockers",
    "waiting-job",
    "limits",
    "queue-settings",
    "lab-queue",
    # The farm side: fleets, a fleet, a worker, a job's workers, an attempt's worker log.
    "fleets",
    "fleet",
    "worker",
    "job-workers",
    "task-worker-log",
]

# Statuses shown without words: a badge with no text, a bar with no text summary, a legend
# swatch outside a legend item that names it.
COLOUR_ONLY = """() => {
  const problems = [];
  for (const badge of document.querySelectorAll(".badge")) {
    if (!badge.textContent.trim()) problems.push("badge without text: " + badge.className);
  }
  for (const bar of document.querySelectorAll(".status-bar")) {
    const summary = bar.querySelector(".visually-hidden");
    if (!summary || !/\\d/.test(summary.textContent)) problems.push("bar without counts");
  }
  for (const swatch of document.querySelectorAll(".swatch")) {
    const item = swatch.closest(".legend-item");
    if (!item || !/[a-z]/i.test(item.textContent)) problems.push("swatch without a word");
  }
  return problems;
}"""


# The page follows the scheme: its background is dark in dark mode (guards the switch above).
DARK = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return r + g + b < 3 * 128;
}"""


def serious_violations(results: Any) -> list[str]:
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def test_no_serious_accessibility_violation_on_any_page(
    tab: Tab, live_server: Any, emulator: Emulator
) -> None:
    """Each page is loaded once and checked in light, then dark mode: the colours follow
    ``prefers-color-scheme``, which Chromium switches on the loaded page."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    urls = {**page_urls(emulator), **lab_urls(emulator), **farm_urls(emulator)}
    page = tab(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page.set_default_timeout(30_000)
    found: dict[str, list[str]] = {}
    for name in PAGE_TYPES:
        page.emulate_media(color_scheme="light")
        page.goto(live_server.url + urls[name])
        page.wait_for_load_state("networkidle")
        # The task page's triage sections arrive right after the page: check them too.
        page.wait_for_function(
            "document.querySelectorAll('[data-triage-placeholder]').length === 0"
        )
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert page.evaluate(DARK) == (scheme == "dark")
            problems = serious_violations(axe.run(page)) + page.evaluate(COLOUR_ONLY)
            if problems:
                found[f"{name} ({scheme})"] = problems

    assert found == {}


def test_the_shortcuts_dialog_and_a_phone_page_pass_too(
    tab: Tab, live_server: Any, emulator: Emulator
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    urls = page_urls(emulator)
    page = tab(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page.set_default_timeout(30_000)
    page.goto(live_server.url + urls["queue"])
    assert serious_violations(Axe().run(page)) == []
    page.keyboard.press("?")
    page.locator("#keys-dialog").wait_for()
    assert serious_violations(Axe().run(page)) == []
