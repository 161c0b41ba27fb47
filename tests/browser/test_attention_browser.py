"""/attention/ in a real Chromium: the list refreshes in place when the farm changes, and the
header's count follows it, without a reload."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import LazySettings
from playwright.sync_api import expect

from deadline_emulator import Emulator
from tests.demo import add_heavy_frame_job

pytestmark = pytest.mark.browser


def need(count: int) -> re.Pattern[str]:
    """The badge's text: the number, and the words only screen readers get."""
    return re.compile(rf"^\(?{count} need attention\)?$")


def test_the_list_and_the_header_count_refresh_in_place(
    browser: Any, live_server: Any, emulator: Emulator, settings: LazySettings
) -> None:
    settings.DASHBOARD_POLL_SECONDS = 0.5
    settings.DASHBOARD_ATTENTION_SECONDS = 1.0
    wedged = emulator.backend.landmarks()["wedged_running_task"]
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + "/attention/")
    rows = page.locator("#live tbody tr")
    expect(
        page.locator(f'tr[data-kind="stalled_task"] a[href*="{wedged["taskId"]}"]')
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
