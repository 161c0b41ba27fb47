"""Who gets in: DASHBOARD_AUTH=none | login | remote-user, on every page and fragment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django.conf import LazySettings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db.models import F
from django.test import Client

from tests.htmx_headers import HTMX as HX
from tests.security.conftest import PASSWORD, ApiCalls, Hostile
from tests.security.routes import page_urls

pytestmark = pytest.mark.read_only_world

PUBLIC = frozenset({"login", "logout", "healthz", "readyz"})


def _hx(page: str) -> dict[str, str]:
    """Headers of an htmx poll from ``page`` (htmx sends the page's absolute URL)."""
    return {**HX, "HX-Current-URL": f"http://testserver{page}"}


def _task_url(hostile: Hostile) -> str:
    return page_urls(hostile.kwargs())["task_detail"]


# --- login -------------------------------------------------------------------------------------


def test_login_mode_redirects_every_page_to_sign_in_without_calling_the_api(
    client: Client, login_mode: None, hostile: Hostile, api_calls: ApiCalls
) -> None:
    urls = page_urls(hostile.kwargs(), skip=PUBLIC)
    assert {"home", "task_detail", "task_log", "farm_list", "go"} <= set(urls)
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/login/?next="), name
        assert response["Location"] == f"/login/?next={quote(url)}", name
    assert api_calls.calls == []


def test_login_mode_htmx_fragment_without_session_navigates_the_whole_page(
    client: Client, login_mode: None, hostile: Hostile, api_calls: ApiCalls
) -> None:
    page = _task_url(hostile)
    for fragment in (f"{page}?v=abc", page_urls(hostile.kwargs())["task_attempts"]):
        response = client.get(fragment, headers=_hx(page))
        assert response.status_code == 200
        # htmx follows HX-Redirect with a full navigation: no sign-in form in the task panel.
        assert response["HX-Redirect"] == f"/login/?next={quote(page)}"
        assert response.content == b""
    assert api_calls.calls == []


def test_sign_in_then_every_page_opens_and_shows_who_is_signed_in(
    signed_in: Client, hostile: Hostile, api_calls: ApiCalls
) -> None:
    for name, url in page_urls(hostile.kwargs(), skip=PUBLIC).items():
        response = signed_in.get(url, follow=True)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "Signed in as <strong>ada</strong>" in html, name
        assert '<form method="post" action="/logout/" class="logout-form">' in html, name
    assert api_calls.calls


def test_sign_in_goes_to_next_and_refuses_other_sites(
    client: Client, operator: Any, hostile: Hostile
) -> None:
    page = _task_url(hostile)
    response = client.get("/login/", {"next": page})
    assert response.status_code == 200
    assert f'name="next" value="{page}"' in response.content.decode()
    response = client.post("/login/", {"username": "ada", "password": PASSWORD, "next": page})
    assert response["Location"] == page
    client.post("/logout/")
    response = client.post(
        "/login/", {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: Client, operator: Any
) -> None:
    for username in ("ada", "nobody"):
        response = client.post("/login/", {"username": username, "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_htmx_poll_after_sign_out_sends_the_browser_to_sign_in(
    signed_in: Client, hostile: Hostile
) -> None:
    page = _task_url(hostile)
    assert signed_in.get(page).status_code == 200
    assert signed_in.get(f"{page}?v=old", headers=_hx(page)).status_code == 200

    response = signed_in.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"

    response = signed_in.get(f"{page}?v=old", headers=_hx(page))
    assert response["HX-Redirect"] == f"/login/?next={quote(page)}"
    assert b"Sign in" not in response.content


def test_htmx_poll_with_an_expired_session_sends_the_browser_to_sign_in(
    signed_in: Client, hostile: Hostile
) -> None:
    page = _task_url(hostile)
    assert signed_in.get(f"{page}?v=old", headers=_hx(page)).status_code == 200
    Session.objects.all().delete()  # what expiry or a server-side sign-out leaves behind
    response = signed_in.get(f"{page}?v=old", headers=_hx(page))
    assert response["HX-Redirect"].startswith("/login/?next=")


def test_the_sign_out_pages_own_request_after_sign_out_goes_to_plain_sign_in(
    signed_in: Client,
) -> None:
    """The header's count, still on its way from the sign-out page as the person signs out,
    sends the browser where the sign-out does (/login/), never to "sign in, then sign out"."""
    assert signed_in.get("/logout/").status_code == 200
    assert signed_in.post("/logout/")["Location"] == "/login/"
    for page in ("/logout/", "/login/?next=/"):
        response = signed_in.get("/attention/count/", headers=_hx(page))
        assert response["HX-Redirect"] == "/login/", page


def test_htmx_redirect_ignores_a_current_url_of_another_site(
    client: Client, login_mode: None, hostile: Hostile
) -> None:
    page = _task_url(hostile)
    headers = {**HX, "HX-Current-URL": "https://evil.example/phish"}
    response = client.get(f"{page}?v=old", headers=headers)
    assert response["HX-Redirect"] == "/login/?next=/"


def test_sign_out_needs_post(signed_in: Client) -> None:
    response = signed_in.get("/logout/")
    assert response.status_code == 200  # a confirmation page, still signed in
    assert '<form method="post" action="/logout/"' in response.content.decode()
    assert "_auth_user_id" in signed_in.session
    assert signed_in.post("/logout/").status_code == 302
    assert "_auth_user_id" not in signed_in.session


def test_sign_out_without_a_csrf_token_is_refused(operator: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post("/logout/")
    assert response.status_code == 403
    assert "Form expired" in response.content.decode()
    assert "_auth_user_id" in client.session


def test_health_checks_and_static_files_need_no_session(client: Client, login_mode: None) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    response = client.get("/static/tasks_app/dashboard.css")
    assert response.status_code == 200
    assert client.get("/login/").status_code == 200


def test_failed_sign_ins_are_throttled_per_user_and_address(
    client: Client, operator: Any, settings: LazySettings
) -> None:
    assert settings.DASHBOARD_LOGIN_MAX_FAILURES == 5
    for _ in range(4):
        assert client.post("/login/", {"username": "ada", "password": "x"}).status_code == 200
    response = client.post("/login/", {"username": "ADA", "password": "x"})  # 5th failure
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert "Too many failed sign-ins" in response.content.decode()

    # The right password is refused too, for the rest of the window...
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # ...from this address only.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 302

    # Once the window has passed since the last attempt, the name is let in again.
    window = timedelta(seconds=settings.DASHBOARD_LOGIN_LOCKOUT_SECONDS + 1)
    assert AccessAttempt.objects.update(attempt_time=F("attempt_time") - window) == 1
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302


def test_a_successful_sign_in_resets_the_failure_count(client: Client, operator: Any) -> None:
    for _ in range(4):
        client.post("/login/", {"username": "ada", "password": "x"})
    assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        assert client.post("/login/", {"username": "ada", "password": "x"}).status_code == 200


def test_users_created_with_createsuperuser_can_sign_in(
    client: Client, login_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", "--username=root", "--email=root@example.com")
    assert client.post("/login/", {"username": "root", "password": PASSWORD}).status_code == 302


# --- remote-user -------------------------------------------------------------------------------


def test_remote_user_signs_in_whoever_the_proxy_names(
    client: Client, remote_user_mode: None, hostile: Hostile
) -> None:
    page = _task_url(hostile)
    response = client.get(page, headers={"X-Forwarded-User": "grace@studio.example"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Signed in as <strong>grace@studio.example</strong>" in html
    assert "logout-form" not in html  # the proxy owns sign-out
    assert get_user_model().objects.filter(username="grace@studio.example").exists()

    response = client.get(page, headers={"X-Forwarded-User": "linus@studio.example"})
    assert "Signed in as <strong>linus@studio.example</strong>" in response.content.decode()


def test_remote_user_without_the_header_is_refused_without_calling_the_api(
    client: Client, remote_user_mode: None, hostile: Hostile, api_calls: ApiCalls
) -> None:
    for name, url in page_urls(hostile.kwargs(), skip=PUBLIC).items():
        response = client.get(url)
        assert response.status_code == 403, name
        assert "Not signed in" in response.content.decode()
    assert client.get("/login/").status_code == 404
    assert client.get("/healthz").status_code == 200
    assert api_calls.calls == []


def test_remote_user_session_ends_when_the_proxy_stops_naming_the_user(
    client: Client, remote_user_mode: None, hostile: Hostile
) -> None:
    page = _task_url(hostile)
    assert client.get(page, headers={"X-Forwarded-User": "grace"}).status_code == 200
    assert client.get(page).status_code == 403
    response = client.get(f"{page}?v=old", headers=_hx(page))
    assert response["HX-Redirect"] == page  # a full navigation lets the proxy sign in again


def test_remote_user_with_a_proxy_secret_believes_only_requests_bearing_it(
    client: Client, remote_user_mode: None, settings: LazySettings, hostile: Hostile
) -> None:
    settings.DASHBOARD_PROXY_SECRET = secret = "s" * 40
    page = _task_url(hostile)
    identity = {"X-Forwarded-User": "grace"}
    for wrong in ({}, {"X-Dashboard-Proxy-Secret": "s" * 39}, {"X-Dashboard-Proxy-Secret": ""}):
        response = client.get(page, headers={**identity, **wrong})
        assert response.status_code == 403
        assert "Not signed in" in response.content.decode()
    # Health checks need no secret, and sign nobody in without it.
    assert client.get("/healthz", headers=identity).status_code == 200
    assert not get_user_model().objects.exists()

    response = client.get(page, headers={**identity, "X-Dashboard-Proxy-Secret": secret})
    assert response.status_code == 200
    assert "Signed in as <strong>grace</strong>" in response.content.decode()
    # Read once and dropped: no view, error report or debug page of the request holds it.
    assert "HTTP_X_DASHBOARD_PROXY_SECRET" not in response.wsgi_request.META
    assert "X-Dashboard-Proxy-Secret" not in response.wsgi_request.headers


def test_remote_user_refuses_a_request_gunicorn_marked_as_repeating_identity(
    client: Client, remote_user_mode: None, hostile: Hostile
) -> None:
    headers = {
        "X-Forwarded-User": "grace,mallory",
        "X-Dashboard-Repeated-Header": "X-FORWARDED-USER",
    }
    response = client.get(_task_url(hostile), headers=headers)
    assert response.status_code == 400
    assert "more than once" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_remote_user_header_name_is_configurable(
    client: Client, remote_user_mode: None, settings: LazySettings, hostile: Hostile
) -> None:
    settings.DASHBOARD_REMOTE_USER_HEADER = "X-Auth-Request-User"
    page = _task_url(hostile)
    assert client.get(page, headers={"X-Forwarded-User": "grace"}).status_code == 403
    assert client.get(page, headers={"X-Auth-Request-User": "grace"}).status_code == 200


@pytest.mark.parametrize(
    "name",
    # A comma: what gunicorn makes of two copies of the header ("mallory,grace").
    [
        "",
        "   ",
        "a" * 151,
        "grace\x00",
        "grace\nX-Admin: 1",
        "\u202egrace",
        "\x7f",
        "mallory,grace",
    ],
)
def test_remote_user_refuses_names_no_proxy_sends(
    client: Client, remote_user_mode: None, name: str
) -> None:
    response = client.get("/farms/", headers={"X-Forwarded-User": name})
    assert response.status_code == 403
    assert not get_user_model().objects.exists()


# --- none --------------------------------------------------------------------------------------


def test_none_mode_needs_no_session_nor_database(client: Client, hostile: Hostile) -> None:
    # No `db` fixture: touching the session or user tables here would fail the test.
    for name, url in page_urls(hostile.kwargs(), skip=PUBLIC).items():
        response = client.get(url, follow=True)
        assert response.status_code == 200, name
        assert "Signed in as" not in response.content.decode()
    assert client.get("/login/").status_code == 404
    assert client.get("/logout/").status_code == 404


def test_an_administrator_lifts_a_lockout_with_axes_reset_username(
    client: Client, operator: Any
) -> None:
    from django.core.management import call_command

    for _ in range(5):
        client.post("/login/", {"username": "ada", "password": "x"})
    assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 429
    call_command("axes_reset_username", "ada")
    assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 302
