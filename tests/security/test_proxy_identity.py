"""remote-user mode behind ``make serve``'s own nginx: a user or groups header a client sends is
never believed, whether nginx asks an SSO proxy about each request (``auth_request``, as with
oauth2-proxy) or the proxy in front proves itself with ``DASHBOARD_PROXY_SECRET``; repeated
identity headers and user names with a comma are refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deadline_emulator import Emulator
from tests.serve_processes import Client, Served, raw_get, served

SECRET = "pr0xy-" + "7f3c9a1e5b2d8f60" * 3
#: The stand-in SSO proxy's signed-in browsers: cookie value -> (user, groups).
SESSIONS = {
    "grace-session": ("grace", "viewers"),
    "olga-session": ("olga", "wranglers,viewers"),
}
OPERATOR_MENU = 'class="actions-menu"'  # the action buttons only operators see


class _OAuth2ProxyStandIn(BaseHTTPRequestHandler):
    """What make serve's nginx needs of oauth2-proxy: ``/oauth2/auth`` answers 202 with
    X-Auth-Request-User/-Groups for a session cookie it issued, 401 otherwise; ``/oauth2/start``
    sends the browser to the identity provider."""

    def do_GET(self) -> None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        session = cookie["_oauth2_proxy"].value if "_oauth2_proxy" in cookie else ""
        if self.path.startswith("/oauth2/auth"):
            if session in SESSIONS:
                user, groups = SESSIONS[session]
                self.send_response(202)
                self.send_header("X-Auth-Request-User", user)
                self.send_header("X-Auth-Request-Groups", groups)
            else:
                self.send_response(401)
        elif self.path.startswith("/oauth2/start"):
            self.send_response(302)
            self.send_header("Location", "https://idp.example/authorize")
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def sso() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OAuth2ProxyStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def job_page() -> str:
    """A job page of the demo world (its action buttons show to operators only)."""
    job = Emulator(seed=0).backend.landmarks()["one_task_step"]
    return f"/farms/{job['farmId']}/queues/{job['queueId']}/jobs/{job['jobId']}/"


@pytest.fixture(scope="module")
def behind_sso(sso: str) -> Iterator[Served]:
    with served(
        DASHBOARD_AUTH="remote-user",
        DASHBOARD_AUTH_REQUEST_URL=f"{sso}/oauth2/auth",
        DASHBOARD_OPERATOR_GROUPS="wranglers",
        DASHBOARD_ACTIONS="1",
    ) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def behind_secret() -> Iterator[Served]:
    with served(
        DASHBOARD_AUTH="remote-user",
        DASHBOARD_PROXY_SECRET=SECRET,
        DASHBOARD_OPERATOR_GROUPS="wranglers",
        DASHBOARD_ACTIONS="1",
    ) as dashboard:
        yield dashboard


# --- auth_request to the SSO proxy ---------------------------------------------------------------


def test_auth_request_a_client_naming_itself_is_sent_to_sign_in(
    behind_sso: Served, job_page: str
) -> None:
    forged = Client({"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "wranglers"})
    for page in ("/farms/", job_page):
        answer = forged.request(behind_sso.base + page)
        assert answer.status == 302
        assert answer.headers["Location"].endswith(f"/oauth2/start?rd={page}")
    assert "mallory" not in behind_sso.users()


def test_auth_request_a_live_update_without_sign_in_reloads_the_page(
    behind_sso: Served, job_page: str
) -> None:
    """htmx cannot follow a sign-in in the background: the whole page reloads, and that
    navigation is sent to sign in."""
    answer = Client({"HX-Request": "true"}).request(f"{behind_sso.base}{job_page}?v=old")
    assert answer.status == 401
    assert answer.headers["HX-Refresh"] == "true"


def test_auth_request_identity_is_the_sso_proxys_answer_whatever_the_client_sends(
    behind_sso: Served, job_page: str
) -> None:
    forged = [
        ("Cookie", "_oauth2_proxy=grace-session"),
        ("X-Forwarded-User", "mallory"),
        ("X-Forwarded-User", "olga"),
        ("X-Forwarded-Groups", "wranglers"),
        ("X-Forwarded-Groups", "admins"),
    ]
    answer = raw_get(behind_sso.base, job_page, forged)
    assert answer.status == 200, answer.text[:500]
    assert "Signed in as <strong>grace</strong>" in answer.text
    assert OPERATOR_MENU not in answer.text  # grace's own groups, not the client's "wranglers"

    # The SSO proxy's groups do make an operator: the check above can fail.
    olga = Client({"Cookie": "_oauth2_proxy=olga-session", "X-Forwarded-Groups": "viewers"})
    answer = olga.request(behind_sso.base + job_page)
    assert "Signed in as <strong>olga</strong>" in answer.text
    assert OPERATOR_MENU in answer.text
    assert behind_sso.users() == {"ada", "grace", "olga"}


def test_auth_request_health_checks_and_the_sso_pages_need_no_sign_in(
    behind_sso: Served,
) -> None:
    for path in ("/healthz", "/readyz"):
        assert Client().request(behind_sso.base + path).status == 200, path
    # oauth2-proxy's own pages (sign-in, callback) are reached through the dashboard's host.
    answer = Client().request(behind_sso.base + "/oauth2/start?rd=/farms/")
    assert answer.status == 302
    assert answer.headers["Location"] == "https://idp.example/authorize"


# --- The proxy's shared secret -----------------------------------------------------------------


def test_shared_secret_requests_without_it_are_refused(behind_secret: Served) -> None:
    identity = {"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "wranglers"}
    for secret in (None, "", SECRET[:-1], SECRET + "x", SECRET.upper()):
        headers = identity if secret is None else {**identity, "X-Dashboard-Proxy-Secret": secret}
        answer = Client(headers).request(behind_secret.base + "/farms/")
        assert answer.status == 403, secret
        assert "Not signed in" in answer.text
    assert "mallory" not in behind_secret.users()
    # Load balancer health checks carry no secret.
    assert Client().request(behind_secret.base + "/healthz").status == 200


def test_shared_secret_the_proxys_headers_are_believed(
    behind_secret: Served, job_page: str
) -> None:
    proxy = {"X-Dashboard-Proxy-Secret": SECRET, "X-Forwarded-User": "linus"}
    answer = Client({**proxy, "X-Forwarded-Groups": "wranglers"}).request(
        behind_secret.base + job_page
    )
    assert answer.status == 200, answer.text[:500]
    assert "Signed in as <strong>linus</strong>" in answer.text
    assert OPERATOR_MENU in answer.text
    answer = Client({**proxy, "X-Forwarded-Groups": "viewers"}).request(
        behind_secret.base + job_page
    )
    assert OPERATOR_MENU not in answer.text


@pytest.mark.parametrize(
    "repeated",
    [
        [("X-Forwarded-User", "mallory"), ("X-Forwarded-User", "linus")],
        [("X-Forwarded-User", "linus"), ("X-Forwarded-User", "linus")],
        [
            ("X-Forwarded-User", "linus"),
            ("X-Forwarded-Groups", "wranglers"),
            ("X-Forwarded-Groups", "viewers"),
        ],
    ],
    ids=["two users", "the same user twice", "two group lists"],
)
def test_shared_secret_repeated_identity_headers_are_refused(
    behind_secret: Served, job_page: str, repeated: list[tuple[str, str]]
) -> None:
    answer = raw_get(
        behind_secret.base, job_page, [("X-Dashboard-Proxy-Secret", SECRET), *repeated]
    )
    assert answer.status == 400
    assert "more than once" in answer.text
    assert "Signed in as" not in answer.text


def test_shared_secret_a_client_cannot_clear_the_repeat_mark(behind_secret: Served) -> None:
    """The mark is gunicorn's own: a client sending it empty does not unmark its repeats."""
    answer = raw_get(
        behind_secret.base,
        "/farms/",
        [
            ("X-Dashboard-Repeated-Header", ""),
            ("X-Dashboard-Proxy-Secret", SECRET),
            ("X-Forwarded-User", "mallory"),
            ("X-Forwarded-User", "linus"),
        ],
    )
    assert answer.status == 400


@pytest.mark.parametrize("name", ["mallory,linus", "linus, mallory", "linus\tx"])
def test_shared_secret_user_names_with_a_comma_or_control_character_are_refused(
    behind_secret: Served, name: str
) -> None:
    proxy = Client({"X-Dashboard-Proxy-Secret": SECRET, "X-Forwarded-User": name})
    answer = proxy.request(behind_secret.base + "/farms/")
    assert answer.status == 403
    assert "Not signed in" in answer.text
    assert name not in behind_secret.users()
