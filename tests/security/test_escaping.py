"""The demo world's hostile strings (markup, template syntax, quotes, RTL, emoji, 1,024-char
values) reach every page that shows them as text, never as markup."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from django.test import Client

from deadline_emulator import Emulator
from deadline_emulator.seed import (
    EMOJI_TEXT,
    LONG_VALUE,
    QUOTES,
    RTL_TEXT,
    TEMPLATE_SYNTAX,
    XSS_IMG,
    XSS_SCRIPT,
)
from tests.htmx_headers import HTMX as HX
from tests.security.conftest import Hostile
from tests.security.html_checks import check_page
from tests.security.routes import page_urls

pytestmark = pytest.mark.read_only_world

AUTH_PAGES = frozenset({"login", "logout"})


def _hostile_pages(hostile: Hostile, emulator: Emulator) -> dict[str, str]:
    """Every page built from the hostile job's IDs (each task of its hostile step too), the
    forms with every level chosen, and pages that echo hostile input back."""
    pages: dict[str, str] = {}
    tasks = emulator.backend.list_tasks(
        farm_id=hostile.farm_id,
        queue_id=hostile.queue_id,
        job_id=hostile.job_id,
        step_id=hostile.step_id,
        max_results=100,
    )["tasks"]
    for task in tasks:
        ids = {**hostile.kwargs("step"), "task_id": task["taskId"]}
        for name, url in page_urls(ids, skip=AUTH_PAGES).items():
            pages.setdefault(name, url)
            if "task_id" in url or name.startswith("task"):
                pages[f"{name} {task['taskId']}"] = url
    for step in emulator.backend.list_steps(
        farm_id=hostile.farm_id, queue_id=hostile.queue_id, job_id=hostile.job_id
    )["steps"]:
        ids = {**hostile.kwargs("job"), "step_id": step["stepId"]}
        pages[f"step {step['stepId']}"] = page_urls(ids)["step_detail"]
    pages["home, every level chosen"] = "/?" + urlencode(hostile.kwargs("step"))
    step_url = page_urls(hostile.kwargs("step"))["step_detail"]
    queue_url = page_urls(hostile.kwargs("queue"))["queue_detail"]
    echoes = {
        "step search": f"{step_url}?{urlencode({'q': XSS_SCRIPT})}",
        "step search by parameter": f"{step_url}?{urlencode({'q': f'Note={XSS_SCRIPT}'})}",
        "queue name filter": f"{queue_url}?{urlencode({'name': XSS_IMG})}",
        "home job filter": "/?" + urlencode({**hostile.kwargs("queue"), "job_filter": XSS_IMG}),
        "go to": "/go/?" + urlencode({"q": f"{XSS_SCRIPT} {TEMPLATE_SYNTAX}"}),
        "not found": "/farms/" + quote(XSS_IMG, safe="") + "/",
        "bad attempt": page_urls(hostile.kwargs())["task_detail"]
        + "?"
        + urlencode({"attempt": XSS_SCRIPT}),
    }
    return {**pages, **echoes}


def test_hostile_strings_are_text_on_every_page(
    client: Client, hostile: Hostile, emulator: Emulator
) -> None:
    pages = _hostile_pages(hostile, emulator)
    assert {"task_detail", "task_attempts", "task_log", "job_detail", "step_detail"} <= set(pages)
    seen = ""
    for name, url in pages.items():
        for headers in ({}, HX):
            # Fragment URLs redirect plain requests to their page: follow them.
            response = client.get(url, headers=headers, follow=True)
            assert response.status_code in {200, 204, 400, 404}, (name, headers)
            html = response.content.decode()
            problems, text = check_page(html)
            assert problems == [], (name, headers, problems)
            # Rendered by a template engine, {{ request.user }} would read AnonymousUser.
            assert "AnonymousUser" not in html, name
            seen += text
    for hostile_string in (
        XSS_SCRIPT,
        XSS_IMG,
        TEMPLATE_SYNTAX,
        f"{XSS_IMG}@lighthouse.example",  # createdBy
        "{% csrf_token %}",  # a step name
        RTL_TEXT,
        EMOJI_TEXT,
        QUOTES,
        LONG_VALUE[:200],
    ):
        assert hostile_string in seen, f"no page showed {hostile_string[:40]!r}"


@pytest.mark.parametrize("route", ["task_detail", "job_detail", "step_detail", "queue_detail"])
def test_pages_of_the_hostile_job_show_its_name_as_text(
    client: Client, hostile: Hostile, route: str
) -> None:
    html = client.get(page_urls(hostile.kwargs())[route]).content.decode()
    problems, text = check_page(html)
    assert problems == []
    assert XSS_SCRIPT in text  # the job's name: escaped in the HTML, so text to the browser
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
