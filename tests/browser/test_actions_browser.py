"""Acting on work in a real Chromium: requeue a job's failed tasks through the preview dialog
(htmx) and confirm, watch the result page finish, and see them leave FAILED on the job page;
the same without JavaScript, page by page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from deadline_emulator import Emulator
from tasks_app.services import actions
from tests.browser.conftest import Tab
from tests.browser.console import console_problems
from tests.browser.test_accessibility_browser import COLOUR_ONLY, serious_violations

pytestmark = pytest.mark.browser


def _job_path(made: dict[str, Any]) -> str:
    return "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**made)


def test_requeue_from_the_job_page_through_the_dialog(
    tab: Tab, live_server: Any, emulator: Emulator, transactional_db: None
) -> None:
    from playwright.sync_api import expect

    made = emulator.add_failed_job(failed_tasks=9, steps=3)
    page = tab()
    problems = console_problems(page)
    page.goto(live_server.url + _job_path(made))
    expect(page.locator(".work-summary .legend-item", has_text="failed")).to_contain_text("9")

    page.get_by_text("Act on this job").click()  # the menu below the verdict
    page.get_by_role("button", name="Requeue…").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-total]")).to_have_text("9")
    dialog.locator("#action-reason").fill("licence server back")
    dialog.get_by_role("button", name="Requeue 9 tasks").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/audit/\d+/$"))
    expect(page.locator("#action-result")).to_have_attribute("data-state", "done")
    expect(page.locator(".action-progress__text")).to_contain_text("9 of 9 tasks requeued")
    page.get_by_role("link", name="See the job").click()
    expect(page.locator(".work-summary .legend-item", has_text="failed")).to_have_count(0)
    expect(page.locator("#audit-table")).to_contain_text("licence server back")
    assert problems == []
    assert set(emulator.task_update_counts(made["jobId"]).values()) == {1}
    page.close()


def test_requeue_a_step_without_javascript(
    browser: Any, live_server: Any, emulator: Emulator, transactional_db: None
) -> None:
    from playwright.sync_api import expect

    made = emulator.add_failed_job(failed_tasks=6, steps=2)
    step_id = made["steps"][0]["stepId"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}{_job_path(made)}steps/{step_id}/")

    page.get_by_role("button", name="Requeue…").click()
    expect(page).to_have_url(f"{live_server.url}{_job_path(made)}steps/{step_id}/actions/")
    expect(page.locator("[data-total]")).to_have_text("3")
    page.get_by_role("button", name="Requeue 3 tasks").click()
    # The form's POST answers with a redirect to the result: reload only once that page has
    # loaded (wait_for_url waits for its load event); a reload while the navigation commits
    # found no page to reload, once.
    page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/audit/\d+/$"))

    # No JavaScript, no polling: once the action is done, a reload shows it.
    result = page.url
    assert actions.wait_for(int(result.rstrip("/").rsplit("/", 1)[1]), timeout=60)
    page.reload()
    expect(page.locator("#action-result")).to_have_attribute("data-state", "done")
    mine = {t["taskId"] for t in made["failedTasks"] if t["stepId"] == step_id}
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(mine, 1)
    context.close()


def test_requeue_a_failure_group_and_see_its_tasks_leave_failed(
    tab: Tab, live_server: Any, emulator: Emulator, transactional_db: None
) -> None:
    from playwright.sync_api import expect

    made = emulator.add_failed_job(failed_tasks=8, steps=2, causes=["oom", "license"])
    group = {t["taskId"] for t in made["failedTasks"] if t["cause"] == "license"}
    page = tab()
    problems = console_problems(page)
    page.goto(f"{live_server.url}{_job_path(made)}failures/")
    cause = page.locator(".failure-group", has_text="icense")
    expect(cause.get_by_role("button", name="Requeue these 4 tasks…")).to_be_visible(timeout=30_000)

    cause.get_by_role("button", name="Requeue these 4 tasks…").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-total]")).to_have_text("4")
    expect(dialog).to_contain_text("Failure causes among them")
    dialog.get_by_role("button", name="Requeue 4 tasks").click()

    expect(page.locator("#action-result")).to_have_attribute("data-state", "done")
    expect(page.locator(".action-progress__text")).to_contain_text("4 of 4 tasks requeued")
    page.get_by_role("link", name="See the job").click()
    # The job page: 4 failed tasks left (the other cause), none of the requeued ones.
    expect(page.locator(".work-summary .legend-item", has_text="failed")).to_contain_text("4")
    for step in made["steps"]:
        page.goto(f"{live_server.url}{_job_path(made)}steps/{step['stepId']}/?status=FAILED")
        for task in made["failedTasks"]:
            if task["stepId"] == step["stepId"]:
                left = 0 if task["taskId"] in group else 1
                expect(page.locator(f'a.task-link[href$="/{task["taskId"]}/"]')).to_have_count(left)
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(group, 1)
    assert problems == []
    page.close()


def test_the_action_pages_pass_axe_in_light_and_dark_and_on_a_phone(
    tab: Tab, live_server: Any, emulator: Emulator, transactional_db: None
) -> None:
    """The preview dialog, the preview page (no JavaScript), the result page and the audit
    with rows: no serious accessibility violation, no status told by colour alone."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    axe = Axe()
    made = emulator.add_failed_job(failed_tasks=4, steps=1)
    job = live_server.url + _job_path(made)
    found: dict[str, list[str]] = {}
    result = ""
    for scheme, width in (("light", 1280), ("dark", 1280), ("dark", 390)):
        view = {"width": width, "height": 900}
        page = tab(viewport=view, color_scheme=scheme)
        page.set_default_timeout(30_000)
        page.goto(job)
        page.get_by_text("Act on this job").click()  # the menu below the verdict
        page.get_by_role("button", name="Requeue…").click()
        expect(page.locator("#action-dialog")).to_be_visible()
        found[f"dialog {scheme} {width}"] = serious_violations(axe.run(page)) + page.evaluate(
            COLOUR_ONLY
        )
        if not result:
            page.locator("#action-reason").fill("render nodes patched")
            page.locator("[data-confirm-button]").click()
            expect(page.locator("#action-result")).to_have_attribute("data-state", "done")
            result = page.url
        for name, url in (("result", result), ("audit", f"{live_server.url}/audit/")):
            page.goto(url)
            page.wait_for_load_state("networkidle")
            found[f"{name} {scheme} {width}"] = serious_violations(axe.run(page)) + page.evaluate(
                COLOUR_ONLY
            )
        # The preview as a page, as without JavaScript (axe itself needs JavaScript): no htmx.
        page = tab(viewport=view, color_scheme=scheme)
        page.route("**/htmx-2.min.js", lambda route: route.abort())
        page.set_default_timeout(30_000)
        page.goto(job)
        page.get_by_text("Act on this job").click()  # the menu below the verdict
        page.get_by_role("button", name="Requeue…").click()
        expect(page.locator("#action-preview")).to_be_visible()
        found[f"preview page {scheme} {width}"] = serious_violations(axe.run(page)) + page.evaluate(
            COLOUR_ONLY
        )

    assert {name: problems for name, problems in found.items() if problems} == {}
