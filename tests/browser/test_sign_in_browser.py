"""In a real Chromium: once the session is gone, the task page's next htmx poll takes the
whole browser to the sign-in page (and back to the task after signing in)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import LazySettings

from tests.security.conftest import (  # noqa: F401 - fixtures shared with tests/security
    PASSWORD,
    Hostile,
    hostile,
    login_mode,
    operator,
)
from tests.security.routes import page_urls

pytestmark = pytest.mark.browser


def test_poll_after_sign_out_elsewhere_navigates_to_sign_in(
    browser: Any,
    live_server: Any,
    transactional_db: None,
    operator: Any,  # noqa: F811 - the imported fixture
    hostile: Hostile,  # noqa: F811 - the imported fixture
    settings: LazySettings,
) -> None:
    from playwright.sync_api import expect

    settings.DASHBOARD_POLL_SECONDS = 0.5
    settings.DASHBOARD_TERMINAL_POLL_SECONDS = 0.5
    task_path = page_urls(hostile.kwargs())["task_detail"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + task_path)
    expect(page).to_have_url(f"{live_server.url}/login/?next={task_path}")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.auth-form button[type=submit]")
    expect(page).to_have_url(live_server.url + task_path)
    expect(page.locator(".site-user")).to_contain_text("ada")

    # Sign out in another tab of the same browser: this tab's session is gone too.
    other = context.new_page()
    other.goto(live_server.url + "/logout/")
    other.click("form.auth-form button[type=submit]")
    expect(other).to_have_url(live_server.url + "/login/")

    # The next poll navigates the whole tab; no sign-in form lands inside the task panel.
    expect(page).to_have_url(f"{live_server.url}/login/?next={task_path}", timeout=10_000)
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("#run-status")).to_have_count(0)
    context.close()
