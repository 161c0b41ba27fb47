"""Real-browser fixtures: Debian's Chromium driven by Playwright's sync API (no download)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tasks_app.services import attention_refresh

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        # A missing browser is a broken set-up, not a reason to pass quietly: .ci/run installs it.
        pytest.fail(f"{CHROMIUM} is not installed: run .ci/run or `apt-get install chromium`")
    from playwright.sync_api import expect, sync_playwright

    # expect() waits 5 s by default, whatever the page's own timeout: on a loaded 2-core
    # machine an htmx swap of a cold 10,000-task step can take longer. A condition that
    # holds still passes at once.
    expect.set_options(timeout=30_000)

    # Playwright's sync API runs an event loop in this thread; our views use no ORM, and
    # Django's async-safety check would otherwise refuse the test's own DB-less setup.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _attention_builds_where_asked(request: pytest.FixtureRequest, monkeypatch: Any) -> None:
    """The header's count starts a build of the whole farm's attention list on the first page
    a test opens: CPU the page under test competes with, and that the test's end waits for.
    Tests of the list, the count or the status board (marker ``attention``) keep it; elsewhere
    the count stays pending, as before a first build."""
    if request.node.get_closest_marker("attention") is None:
        monkeypatch.setattr(attention_refresh, "start_building", lambda: False)
