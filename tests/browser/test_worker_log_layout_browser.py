"""An attempt's worker log (``?log=worker``) sits beside its session log on a desk screen and
below it on a phone, light and dark, with nothing wider than the phone's screen; screenshots
to look at with ``FARM_SCREENSHOTS=<dir>``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from deadline_emulator import Emulator
from tests.browser.conftest import Tab
from tests.browser.farm_pages import farm_urls
from tests.browser.test_farm_browser import WIDER_THAN_THE_SCREEN

pytestmark = pytest.mark.browser


def boxes(tab: Tab, url: str, scheme: str, width: int, shot: str | None) -> dict[str, Any]:
    """The panels' boxes on a fresh page ``width`` px wide, and what is wider than it."""
    page = tab(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found = {
            name: page.locator(selector).bounding_box()
            for name, selector in (
                ("session", "#log-panel"),
                ("worker", "#worker-log-panel"),
                ("attempts", "#attempts"),
            )
        }
        found["too_wide"] = page.evaluate(WIDER_THAN_THE_SCREEN)
        if shot:
            Path(shot).parent.mkdir(parents=True, exist_ok=True)
            page.locator("#worker-log-panel").scroll_into_view_if_needed()
            page.screenshot(path=shot)
        return found
    finally:
        page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_worker_log_is_beside_the_session_log_on_a_desk_and_below_it_on_a_phone(
    tab: Tab, live_server: Any, emulator: Emulator, scheme: str
) -> None:
    shots = os.environ.get("FARM_SCREENSHOTS")
    url = live_server.url + farm_urls(emulator)["task-worker-log"]

    desk = boxes(tab, url, scheme, 1400, shots and f"{shots}/task-worker-log-{scheme}-1400.png")
    session, worker, attempts = desk["session"], desk["worker"], desk["attempts"]
    assert abs(worker["y"] - session["y"]) < 2  # side by side, tops aligned
    assert worker["x"] >= session["x"] + session["width"]
    assert worker["width"] > 500 and session["width"] > 500
    assert attempts["width"] >= session["width"] + worker["width"]  # the attempts span both

    phone = boxes(tab, url, scheme, 390, shots and f"{shots}/task-worker-log-{scheme}-phone.png")
    session, worker = phone["session"], phone["worker"]
    assert worker["y"] >= session["y"] + session["height"]  # stacked
    assert abs(worker["x"] - session["x"]) < 2
    assert phone["too_wide"] == []
