"""Verdict first, in a real Chromium at 1400x900 (light and dark) and 390x844: the failed
10,000-frame job's page shows its top cause in the first screen, and its failed frame's page
shows why it failed and the first lines of its log there; no serious accessibility
violation, no sideways scroll."""

from __future__ import annotations

from typing import Any

import pytest

from deadline_emulator import Emulator
from tests.browser.conftest import Tab
from tests.browser.console import console_problems
from tests.browser.test_accessibility_browser import COLOUR_ONLY, serious_violations
from tests.browser.test_look_browser import OVERFLOW

pytestmark = [pytest.mark.browser, pytest.mark.read_only_world]

DESK = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENS = [("light", DESK), ("dark", DESK), ("light", PHONE)]
# The job's failures analysis (113 failed tasks of 10,000) runs after the page answers.
ANALYSIS = 90_000
# The log opens at the failure: the first of its last error lines shows in the log's box and
# in the screen.
FAILURE_SHOWN = """() => {
  const box = document.querySelector("#log-lines");
  const errors = box ? box.querySelectorAll(".log-line--error") : [];
  if (!errors.length) return false;
  let line = errors[errors.length - 1];
  while (line.previousElementSibling && line.previousElementSibling.matches(".log-line--error")) {
    line = line.previousElementSibling;
  }
  const shown = line.getBoundingClientRect(), frame = box.getBoundingClientRect();
  return shown.top >= frame.top && shown.bottom <= frame.bottom && shown.top < innerHeight;
}"""

# A command line wraps between words, never inside a flag ("-" then "-step-id").
BROKEN_FLAGS = """() => [...document.querySelectorAll(".cli-flag")]
  .filter((flag) => flag.getClientRects().length > 1).map((flag) => flag.textContent)"""


def _job_path(ids: dict[str, str]) -> str:
    return "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**ids)


def _first_failed_frame(emulator: Emulator, step: dict[str, str]) -> dict[str, str]:
    """The big step's first failed task that failed more than once (frame 93 in the demo)."""
    suffix = step["stepId"].removeprefix("step-")
    for index in range(10_000):
        task_id = f"task-{suffix}-{index}"
        task = emulator.backend.get_task(
            farm_id=step["farmId"],
            queue_id=step["queueId"],
            job_id=step["jobId"],
            step_id=step["stepId"],
            task_id=task_id,
        )
        if task["runStatus"] == "FAILED" and task.get("failureRetryCount", 0) >= 2:
            return {**step, "taskId": task_id}
    raise AssertionError("the big step has no task that failed more than once")


def _in_first_screen(page: Any, selector: str, height: int, *, lines: float = 0) -> None:
    """The element's top (plus ``lines`` of text under it) is above the screen's bottom."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + lines * 18 <= height, (selector, box, height)


def _looked_over(page: Any, axe: Any) -> list[str]:
    """Serious axe findings, colour-only statuses and sideways scroll of the page."""
    overflow = page.evaluate(OVERFLOW)
    found = serious_violations(axe.run(page)) + page.evaluate(COLOUR_ONLY)
    if overflow["page"] > 0:
        found.append(f"page scrolls sideways by {overflow['page']} px")
    return found


def test_the_failed_jobs_top_cause_is_in_the_first_screen(
    tab: Tab, live_server: Any, emulator: Emulator
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    axe = Axe()
    job = live_server.url + _job_path(emulator.backend.landmarks()["big_job"])
    found: dict[str, list[str]] = {}
    for scheme, screen in SCREENS:
        page = tab(viewport=screen, color_scheme=scheme)
        problems = console_problems(page)
        page.goto(job)
        # At once: the verdict section leads (with its progress while the analysis runs).
        expect(page.locator("#job-verdict")).to_be_visible()
        top = page.locator(".job-cause").first
        expect(top).to_be_visible(timeout=ANALYSIS)
        expect(page.locator("[data-verdict-polling]")).to_have_count(0)
        expect(top.locator(".job-cause__facts")).to_contain_text("tasks")
        expect(top.locator("[data-action='requeue']")).to_be_visible()
        _in_first_screen(page, ".job-cause__title", screen["height"], lines=2)
        # The verdict comes before the actions and the summary.
        verdict_y = page.locator("#job-verdict").bounding_box()["y"]
        assert verdict_y < page.locator(".work-summary").bounding_box()["y"]
        assert verdict_y < page.locator(".actions-menu").bounding_box()["y"]
        found[f"job {scheme} {screen['width']}"] = _looked_over(page, axe) + problems

    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_failed_frames_reason_and_log_are_in_the_first_screen(
    tab: Tab, live_server: Any, emulator: Emulator
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    axe = Axe()
    ids = _first_failed_frame(emulator, emulator.backend.landmarks()["big_step"])
    url = live_server.url + "{}steps/{stepId}/tasks/{taskId}/".format(_job_path(ids), **ids)
    found: dict[str, list[str]] = {}
    for scheme, screen in SCREENS:
        page = tab(viewport=screen, color_scheme=scheme)
        problems = console_problems(page)
        page.goto(url)
        expect(page.locator("h1")).to_have_text("Frame 93 of beauty")
        verdict = page.locator("[data-task-verdict]")
        expect(verdict).to_contain_text("Failed 3 times")
        expect(verdict).to_contain_text("exit 74")
        expect(verdict).to_contain_text("stale file handle")
        expect(verdict).to_contain_text("render-a-017")
        expect(page.locator("#log-lines .log-line").first).to_be_attached()
        _in_first_screen(page, "[data-task-verdict]", screen["height"], lines=2)
        _in_first_screen(page, "#log-lines", screen["height"], lines=3)
        page.wait_for_function(FAILURE_SHOWN)
        assert page.locator(".cli-flag").count() > 0
        assert page.evaluate(BROKEN_FLAGS) == []
        # The facts and parameters follow the reason and the log.
        assert (
            page.locator("#log-panel").bounding_box()["y"]
            < page.locator("#task-panel").bounding_box()["y"]
        )
        found[f"task {scheme} {screen['width']}"] = _looked_over(page, axe) + problems

    assert {name: problems for name, problems in found.items() if problems} == {}
