"""Security headers on every kind of answer, and no inline script, style or event handler
in any page the dashboard serves."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import LazySettings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.selectors import resources, task_page
from tests.htmx_headers import HTMX as HX
from tests.security.conftest import PASSWORD, Hostile
from tests.security.html_checks import check_page
from tests.security.routes import page_urls

pytestmark = pytest.mark.read_only_world

AUTH_PAGES = frozenset({"login", "logout"})


def assert_security_headers(response: Any, what: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    directives = {
        d.split()[0]: " ".join(d.split()[1:]) for d in (p.strip() for p in csp.split(";")) if d
    }

    def effective(name: str) -> str | None:  # CSP falls back on default-src
        return directives.get(name, directives.get("default-src"))

    # Pages: 'self' only; bodyless answers (204/304): a deny-everything policy.
    assert effective("script-src") in {"'self'", "'none'"}, (what, csp)
    assert effective("style-src") in {"'self'", "'none'"}, (what, csp)
    assert effective("object-src") == "'none'", (what, csp)
    assert directives.get("frame-ancestors") == "'none'", (what, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert response.get("X-Content-Type-Options") == "nosniff", what
    assert response.get("Referrer-Policy") == "same-origin", what
    assert response.get("X-Frame-Options") == "DENY", what


def _answers(client: Client, hostile: Hostile, emulator: Emulator) -> dict[str, Any]:
    """One answer of each kind the dashboard gives."""
    pages = page_urls(hostile.kwargs(), skip=AUTH_PAGES)
    task_url = pages["task_detail"]
    task = resources.get_task(**hostile.kwargs())
    answers: dict[str, Any] = {}
    for name, url in pages.items():
        answers[name] = client.get(url)
        answers[f"{name} (htmx)"] = client.get(url, headers=HX)
    answers["204 unchanged poll"] = client.get(f"{task_url}?v={task.version}", headers=HX)
    answers["302 go to"] = client.get("/go/", {"q": hostile.farm_id})
    answers["400 bad filter"] = client.get(pages["step_detail"], {"sort": "nope"})
    answers["400 go to"] = client.get("/go/", {"q": "nothing useful"})
    answers["404 unknown"] = client.get("/nothing-here/")
    answers["404 malformed id"] = client.get("/farms/farm-XYZ/")
    answers["static css"] = client.get("/static/tasks_app/dashboard.css")
    answers["static js"] = client.get("/static/tasks_app/dashboard.js")
    emulator.faults.set("GetTask", deny=True)
    cache.clear()
    answers["403 access denied"] = client.get(task_url)
    emulator.faults.clear()
    emulator.faults.set("*", down=True)
    cache.clear()
    # A task never read before: no stale copy to fall back on.
    never_read = task_url.replace(hostile.task_id, hostile.task_id.rsplit("-", 1)[0] + "-7")
    answers["503 unavailable"] = client.get(never_read)
    answers["poll warning (htmx)"] = client.get(f"{task_url}?v=x", headers=HX)
    emulator.faults.clear()
    return answers


def test_every_kind_of_answer_carries_the_security_headers(
    client: Client, hostile: Hostile, emulator: Emulator
) -> None:
    answers = _answers(client, hostile, emulator)
    statuses = {response.status_code for response in answers.values()}
    assert {200, 204, 302, 400, 403, 404, 503} <= statuses
    for what, response in answers.items():
        assert_security_headers(response, what)


def test_no_page_has_inline_script_style_or_handlers(
    client: Client, hostile: Hostile, emulator: Emulator
) -> None:
    for what, response in _answers(client, hostile, emulator).items():
        if "text/html" in response.get("Content-Type", ""):
            problems, _ = check_page(response.content.decode())
            assert problems == [], (what, problems)


def test_server_errors_carry_the_headers_and_no_traceback(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(task_page, "get_task_page", broken)
    client = Client(raise_request_exception=False)
    response = client.get(page_urls(hostile.kwargs())["task_detail"])
    assert response.status_code == 500
    assert_security_headers(response, "500")
    html = response.content.decode()
    assert "secret detail" not in html and "Traceback" not in html
    assert check_page(html)[0] == []


def test_sign_in_pages_carry_the_headers_and_no_inline_code(
    client: Client, operator: Any, hostile: Hostile
) -> None:
    answers = {
        "sign-in page": client.get("/login/"),
        "redirect to sign-in": client.get("/farms/"),
        "htmx redirect to sign-in": client.get("/farms/", headers=HX),
        "failed sign-in": client.post("/login/", {"username": "ada", "password": "x"}),
    }
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    answers["signed-in page"] = client.get(page_urls(hostile.kwargs())["task_detail"])
    answers["sign-out confirmation"] = client.get("/logout/")
    csrf_client = Client(enforce_csrf_checks=True)
    answers["csrf failure"] = csrf_client.post("/login/", {"username": "ada"})
    assert answers["csrf failure"].status_code == 403
    for what, response in answers.items():
        assert_security_headers(response, what)
        if response.content:
            assert check_page(response.content.decode())[0] == [], what


def test_remote_user_refusal_carries_the_headers(client: Client, remote_user_mode: None) -> None:
    response = client.get("/farms/")
    assert response.status_code == 403
    assert_security_headers(response, "remote-user 403")
    assert check_page(response.content.decode())[0] == []


def test_https_sets_hsts_secure_cookies_and_redirects(
    client: Client, operator: Any, settings: LazySettings
) -> None:
    # What DASHBOARD_HTTPS=1 sets (test_deploy checks the settings module itself).
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    response = client.get("/farms/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/farms/"
    assert client.get("/healthz").status_code == 200  # load balancers probe over HTTP

    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response.cookies["csrftoken"]["secure"]
    response = client.post("/login/", {"username": "ada", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_the_checker_finds_what_it_looks_for() -> None:
    """The page checker itself fails on the markup these tests guard against."""
    for html in (
        "<p><script>alert(1)</script></p>",
        '<p>"><img src=x onerror=alert(1)></p>',
        '<div style="color: red">x</div>',
        '<button hx-on:click="alert(1)">x</button>',
        '<a href="javascript:alert(1)">x</a>',
        "<style>p{}</style>",
        '<script src="https://cdn.example/htmx.js"></script>',
    ):
        assert check_page(html)[0], html
    assert check_page('<script src="/static/x.js" defer></script><p>&lt;b&gt;</p>') == (
        [],
        "<b>",
    )
