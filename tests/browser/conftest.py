"""Real-browser fixtures: Debian's Chromium driven by Playwright's sync API (no download)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

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
