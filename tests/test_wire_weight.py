"""What the task page costs on the wire: same-origin assets only, and tiny unchanged polls.

Sizes, not timings: the header block Django produces for an unchanged poll's 204 must leave
room, under the 500-byte budget, for what gunicorn adds (status line, Server, Date,
Connection). ``bench/scale_bench.py`` measures the real thing from a socket.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.test import Client, RequestFactory

from dashboard.middleware import BODYLESS_CONTENT_SECURITY_POLICY, SecurityHeadersMiddleware
from deadline_emulator import Emulator
from tests.demo import task_url
from tests.htmx_headers import HTMX

POLL_BUDGET = 500  # bytes on the wire per unchanged poll
# Exactly what gunicorn writes around the application's headers (http/wsgi.py).
GUNICORN_FRAMING = (
    "HTTP/1.1 204 No Content\r\n"
    "Server: gunicorn\r\n"
    "Date: Wed, 30 Dec 2026 23:59:59 GMT\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
)
URL_ATTRIBUTE = re.compile(r'\b(src|href|action|hx-get|hx-post)="([^"]*)"')
SCHEME_OR_NETWORK_PATH = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def header_block(response: HttpResponse) -> str:
    """The header lines as a WSGI server writes them: ``Name: value\\r\\n`` each."""
    lines = [f"{name}: {value}\r\n" for name, value in response.items()]
    lines += [f"Set-Cookie: {cookie.OutputString()}\r\n" for cookie in response.cookies.values()]
    return "".join(lines)


@pytest.fixture
def running_task(emulator: Emulator) -> dict[str, str]:
    return emulator.backend.find_tasks("RUNNING", limit=1)[0]


def test_task_page_references_only_same_origin_urls(
    client: Client, running_task: dict[str, str]
) -> None:
    response = client.get(task_url(running_task))
    html = response.content.decode()
    urls = URL_ATTRIBUTE.findall(html)

    assert response.status_code == 200
    assert any(attr == "src" and "htmx" in url for attr, url in urls), "htmx script not found"
    foreign = [url for _, url in urls if SCHEME_OR_NETWORK_PATH.match(url)]
    assert foreign == []


def test_task_page_assets_are_served_by_this_app(
    client: Client, running_task: dict[str, str]
) -> None:
    html = client.get(task_url(running_task)).content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', html)

    assert assets, "no script or stylesheet found"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200, asset


def test_unchanged_poll_fits_the_wire_budget(client: Client, running_task: dict[str, str]) -> None:
    page = client.get(task_url(running_task))
    version = re.search(r'id="task-panel"[^>]*?data-version="([^"]+)"', page.content.decode())
    assert version is not None

    poll = client.get(f"{task_url(running_task)}?v={version.group(1)}", headers=HTMX)
    headers = header_block(poll)

    assert poll.status_code == 204
    assert poll.content == b""
    assert len(GUNICORN_FRAMING) + len(headers.encode("latin-1")) < POLL_BUDGET, headers
    # Every answer carries the security headers; a bodyless one a short deny-all policy, and
    # no forbidden Content-Length.
    assert poll.headers["Content-Security-Policy"] == BODYLESS_CONTENT_SECURITY_POLICY
    assert poll.headers["X-Frame-Options"] == "DENY"
    assert "Permissions-Policy" not in poll.headers
    assert "Content-Length" not in poll.headers
    assert poll.headers["Cache-Control"] == "no-store"
    assert poll.headers["X-Content-Type-Options"] == "nosniff"
    # ...while the page itself keeps its policies.
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def _answer(response: HttpResponse) -> Callable[[HttpRequest], HttpResponse]:
    def get_response(request: HttpRequest) -> HttpResponse:
        response["X-Frame-Options"] = "DENY"
        response["Content-Length"] = str(len(response.content))  # as CommonMiddleware does
        return response

    return get_response


def test_not_modified_answers_carry_the_short_policy() -> None:
    middleware = SecurityHeadersMiddleware(_answer(HttpResponseNotModified()))

    response = middleware(RequestFactory().get("/static/tasks_app/dashboard.css"))

    assert response.status_code == 304
    assert response.headers["Content-Security-Policy"] == BODYLESS_CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Content-Length" not in response.headers


def test_answers_with_a_body_keep_every_policy() -> None:
    middleware = SecurityHeadersMiddleware(_answer(HttpResponse("ok")))

    response = middleware(RequestFactory().get("/"))

    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
