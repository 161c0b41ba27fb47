"""Real-browser fixtures: Debian's Chromium driven by Playwright's sync API (no download)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
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
        # As after a failed build: the count asks again in a minute, not every half second
        # while "pending" (each ask a request and a swap in every open page, and a gap too
        # short for Playwright's network idle).
        monkeypatch.setattr(attention_refresh, "failed_recently", lambda: True)


#: A new context's viewport when a test names none (Playwright's own default).
DEFAULT_VIEWPORT = {"width": 1280, "height": 720}
#: Playwright's own default timeout (ms), given back to a page a test set its own on.
DEFAULT_TIMEOUT = 30_000
#: What leaves state on a page that navigating away does not clear: a page a test called any
#: of these on is closed at the test's end, not reused.
LASTING = (
    "on", "once", "route", "route_from_har", "route_web_socket", "add_init_script",
    "expose_function", "expose_binding", "set_extra_http_headers", "add_locator_handler",
)  # fmt: skip
#: Opens a page: ``tab(viewport=None, color_scheme="light")``.
Tab = Callable[..., Any]


class Tabs:
    """Pages of one browser context that a module's tests share, beside a page kept open on
    the dashboard's origin. Chromium gives a new page of the same site the renderer that page
    has: a context's first dashboard page costs Chromium ~1.4 s of CPU, a page opened beside
    the kept one ~0.5 s (measured with the process tree's CPU times), and a page a finished
    test left behind, reused, less again. A test's pages are closed at its end, but for one:
    cleared (session storage), sent to ``about:blank`` and given to the next test, unless the
    test left something on it that navigating does not clear (``LASTING``). The viewport, the
    colour scheme and the timeouts are set on each page a test opens (as a new context would
    have them); cookies and local storage are cleared after each test. Tests that need a
    context of their own (no JavaScript, a fake clock, a second signed-in user) still make
    one."""

    def __init__(self, browser: Any, origin: str) -> None:
        self.context = browser.new_context()
        self._origin = origin
        self._kept = self.context.new_page()
        self._kept.goto(origin + "/healthz")
        self._open: list[Any] = []
        self._lasting: set[int] = set()
        self._spare: Any | None = None

    def open(self, viewport: dict[str, int] | None = None, color_scheme: str = "light") -> Any:
        page, self._spare = self._spare, None
        if page is None:
            page = self.context.new_page()
            self._watch(page)
        page.set_viewport_size(viewport or DEFAULT_VIEWPORT)
        page.emulate_media(color_scheme=color_scheme)
        page.set_default_timeout(DEFAULT_TIMEOUT)
        page.set_default_navigation_timeout(DEFAULT_TIMEOUT)
        self._open.append(page)
        return page

    def _watch(self, page: Any) -> None:
        """Mark the page as not reusable once a test calls one of ``LASTING`` on it."""
        for name in LASTING:
            method = getattr(page, name)

            def marked(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
                self._lasting.add(id(page))
                return _method(*args, **kwargs)

            setattr(page, name, marked)

    def forget(self) -> None:
        """Close this test's pages (one kept, cleared, for the next test) and forget what
        they stored."""
        for page in self._open:
            if self._spare is None and self._reusable(page):
                if page.url.startswith(self._origin):
                    page.evaluate("() => sessionStorage.clear()")
                page.goto("about:blank")
                self._spare = page
            else:
                self._lasting.discard(id(page))
                page.close()
        self._open.clear()
        self.context.clear_cookies()
        self._kept.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")

    def _reusable(self, page: Any) -> bool:
        return not page.is_closed() and id(page) not in self._lasting

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def _tabs(browser: Any, live_server: Any) -> Iterator[Tabs]:
    tabs = Tabs(browser, live_server.url)
    yield tabs
    tabs.close()


@pytest.fixture
def tab(_tabs: Tabs) -> Iterator[Tab]:
    """Opens a page in the module's shared context: ``tab(viewport, color_scheme)``."""
    yield _tabs.open
    _tabs.forget()
