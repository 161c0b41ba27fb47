"""The production set-up (``make serve``: nginx in front of gunicorn) holds off slow clients:
100 half-sent requests are held while other requests are answered within a second. Instances
on one host each have their own gunicorn control socket."""

from __future__ import annotations

import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.serve import Identity, nginx_binary, nginx_config
from tests.dashboard_processes import REPO
from tests.serve_processes import Served
from tests.serve_processes import served as serve

HALF_SENT = 100
ANSWER_WITHIN_SECONDS = 1.0


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """``python -m dashboard.serve`` as ``make serve`` runs it: 2 workers x 8 threads."""
    with serve(WORKERS="2", THREADS="8") as dashboard:
        yield dashboard


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_WITHIN_SECONDS) as response:  # noqa: S310
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def test_make_serve_runs_nginx_in_front_of_gunicorn() -> None:
    recipe = subprocess.run(
        ["make", "-n", "serve"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "collectstatic" in recipe and "-m dashboard.serve" in recipe


def test_half_sent_requests_do_not_starve_the_server(served: Served) -> None:
    host, port = served.base.removeprefix("http://").split(":")
    held = []
    try:
        for _ in range(HALF_SENT):
            connection = socket.create_connection((host, int(port)), timeout=5)
            # A request line and part of the headers, never finished.
            connection.sendall(b"GET /farms/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(connection)

        # Every other request is answered, each within a second, while all 100 are held.
        answers = {"/healthz": 200, "/static/tasks_app/dashboard.css": 200, "/no-such-page/": 404}
        for _ in range(10):
            for path, expected in answers.items():
                assert _get(f"{served.base}{path}")[0] == expected, path

        # The half-sent requests were held throughout: still open, still unanswered.
        for connection in held:
            connection.setblocking(False)
            with pytest.raises(BlockingIOError):
                connection.recv(1)
    finally:
        for connection in held:
            connection.close()


def test_the_load_balancers_request_id_passes_through_nginx(served: Served) -> None:
    """Kept beside the dashboard's own ID in the log; the answer carries the dashboard's."""
    _, headers = _get(f"{served.base}/no-such-page/", {"X-Request-ID": "lb-4b1d"})
    ours = headers["X-Request-ID"]
    assert len(ours) == 32 and ours != "lb-4b1d"
    assert f"[{ours} client=lb-4b1d]" in served.log.read_text()


def test_two_instances_on_one_host_each_have_their_own_control_socket(tmp_path: Path) -> None:
    """gunicorn's default control socket is one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl):
    a second instance would take it over, and stopping either would remove it."""
    from gunicorn.ctl.client import ControlClient

    same_user = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path)}
    with serve(**same_user) as first, serve(**same_user) as second:
        sockets = [first.control_socket(), second.control_socket()]
        assert sockets[0] != sockets[1]
        listening = []
        for path in sockets:
            with ControlClient(str(path), timeout=10) as control:
                listening.append(control.send_command("show listeners"))
        # Each socket controls its own gunicorn, not one of them both.
        assert listening[0] != listening[1], listening
        assert not (tmp_path / "gunicorn.ctl").exists()
        assert not (tmp_path / ".gunicorn").exists()
    assert not sockets[0].exists() and not sockets[1].exists()


@pytest.mark.parametrize(
    "identity",
    [
        Identity(mode="login"),
        Identity(mode="remote-user", proxy_secret=True),
        Identity(mode="remote-user", auth_request_url="http://127.0.0.1:4180/oauth2/auth"),
        Identity(
            mode="remote-user",
            user_header="X-Auth-Request-User",
            groups_header="X-Auth-Request-Groups",
            auth_request_url="https://localhost:9091/api/verify",
        ),
    ],
    ids=["login", "remote-user with a secret", "oauth2-proxy", "another SSO proxy"],
)
def test_nginx_accepts_the_configuration_for_every_identity(
    identity: Identity, tmp_path: Path
) -> None:
    config = tmp_path / "nginx.conf"
    text = nginx_config(
        listen="127.0.0.1:1", upstream="127.0.0.1:2", run_dir=tmp_path, identity=identity
    )
    config.write_text(text)
    check = [nginx_binary(), "-t", "-q", "-e", "stderr", "-c", str(config)]
    result = subprocess.run(check, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    # Where nginx is the trusted source it replaces every client copy of both headers.
    if identity.mode != "remote-user" or identity.auth_request_url:
        assert f"proxy_set_header {identity.user_header} " in text
        assert f"proxy_set_header {identity.groups_header} " in text
    else:  # the proxy in front sets them: passed on untouched, repeats and all
        assert identity.user_header not in text
    assert ("/oauth2/start" in text) == identity.auth_request_url.endswith("/oauth2/auth")


def test_make_serve_warns_when_remote_user_believes_anyone() -> None:
    warning = Identity(mode="remote-user").warning()
    assert warning and "DASHBOARD_PROXY_SECRET" in warning
    assert Identity(mode="remote-user", proxy_secret=True).warning() is None
    assert Identity(mode="remote-user", auth_request_url="http://sso/auth").warning() is None
    assert Identity(mode="login").warning() is None
