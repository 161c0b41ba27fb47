"""``make serve``: nginx in front of gunicorn, so slow clients cannot starve the workers.

gunicorn's threads each read a whole request before the next: 16 connections that never
finish their headers hold 2 workers x 8 threads, and every other request waits. nginx reads
each request completely (headers and body, bounded by its timeouts) on its event loop, which
holds thousands of idle connections at no cost, and only then hands it to gunicorn over
loopback; it also buffers the answer, so a slow reader does not hold a thread either. The
dashboard's views stay threaded (their reads fan out to a thread pool), unchanged.

Who is signed in (``DASHBOARD_AUTH=remote-user``) is nginx's business too: with
``DASHBOARD_AUTH_REQUEST_URL`` it asks the SSO proxy (oauth2-proxy's ``/oauth2/auth``) about
every request and sets the user and groups headers from that answer alone, whatever copies the
client sent; with a proxy in front that sends ``DASHBOARD_PROXY_SECRET`` it passes that
proxy's headers through untouched (every copy: gunicorn's hook and the dashboard refuse
repeats). In the other modes it drops the identity headers.

Run: ``python -m dashboard.serve`` (``make serve`` collects static files and migrates first).
With a broker (``DASHBOARD_CACHE_URL``'s Redis) it starts the background worker too, celery
beat embedded (docs/architecture.md), ``TASK_WORKERS`` (2) tasks at a time.

``BIND`` (``127.0.0.1:8000``) is where nginx listens; gunicorn listens on a free loopback port,
with its control socket (``gunicornc -s PATH``) in this instance's run directory, so instances
on one host never share one. ``WORKERS`` (2) x ``THREADS`` (8) size gunicorn. Stops both on
SIGTERM or SIGINT, and both when either exits.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

# nginx's own configuration; @NAME@ placeholders (nginx uses $ and braces itself).
NGINX_CONFIG = """\
# Written by dashboard/serve.py: nginx buffers whole requests and answers for gunicorn.
worker_processes 1;
worker_rlimit_nofile 16384;
pid @RUN_DIR@/nginx.pid;

events {
    worker_connections 8192;
}

http {
    server_tokens off;
    access_log off;  # gunicorn logs every request, with its X-Request-ID
    client_body_temp_path @RUN_DIR@/client_body;
    proxy_temp_path @RUN_DIR@/proxy;
    fastcgi_temp_path @RUN_DIR@/fastcgi;
    uwsgi_temp_path @RUN_DIR@/uwsgi;
    scgi_temp_path @RUN_DIR@/scgi;

    # A client gets this long to send its headers, and between two reads of its body.
    client_header_timeout 15s;
    client_body_timeout 15s;
    client_max_body_size 1m;
    send_timeout 30s;
    keepalive_timeout 75s;

    # The load balancer's request ID, or one of nginx's; the dashboard validates it.
    map $http_x_request_id $dashboard_request_id {
        default $http_x_request_id;
        "" $request_id;
    }

    upstream dashboard {
        server @UPSTREAM@;
        keepalive 32;
    }

    server {
        listen @LISTEN@ backlog=4096;

        location / {
@PROXY@
@IDENTITY@
        }
@LOCATIONS@
    }
}
"""

# To gunicorn, in every location that reaches it.
PROXY_DIRECTIVES = """            proxy_pass http://dashboard;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Request-ID $dashboard_request_id;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # Whole requests reach gunicorn; whole answers are taken from it at once.
            proxy_request_buffering on;
            proxy_buffering on;
            proxy_read_timeout 60s;"""

# remote-user with DASHBOARD_AUTH_REQUEST_URL: every request but the health checks is asked
# about first; the identity headers are the SSO proxy's answer's, never the client's (a
# proxy_set_header replaces every copy the client sent; an empty value sends none).
AUTH_REQUEST_DIRECTIVES = """            auth_request /_dashboard_auth;
            auth_request_set $dashboard_user $upstream_http_x_auth_request_user;
            auth_request_set $dashboard_groups $upstream_http_x_auth_request_groups;
            proxy_set_header @USER_HEADER@ $dashboard_user;
            proxy_set_header @GROUPS_HEADER@ $dashboard_groups;"""

AUTH_REQUEST_LOCATIONS = """
        location = /_dashboard_auth {
            internal;
            proxy_pass @AUTH_URL@;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Uri $request_uri;
            proxy_set_header X-Original-URI $request_uri;
        }

        # Load balancer health checks carry no sign-in.
        location = /healthz {
@PROXY@
@CLEARED@
        }
        location = /readyz {
@PROXY@
@CLEARED@
        }"""

# oauth2-proxy (an auth URL under /oauth2/): its sign-in, callback and sign-out pages live on
# the dashboard's own host, and a browser not signed in is sent to start a sign-in.
OAUTH2_PROXY_DIRECTIVES = """            error_page 401 = @dashboard_sign_in;"""

OAUTH2_PROXY_LOCATIONS = """
        location /oauth2/ {
            proxy_pass @AUTH_ORIGIN@;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Auth-Request-Redirect $request_uri;
        }
        location @dashboard_sign_in {
            # A live update (htmx) cannot follow a sign-in: reload the page, whose navigation can.
            if ($http_hx_request = "true") {
                add_header HX-Refresh "true" always;
                return 401;
            }
            return 302 /oauth2/start?rd=$request_uri;
        }"""

# Outside remote-user mode nobody's identity comes in a header: drop every client copy.
CLEARED_DIRECTIVES = """            proxy_set_header @USER_HEADER@ "";
            proxy_set_header @GROUPS_HEADER@ "";"""


@dataclass(frozen=True)
class Identity:
    """The dashboard's settings nginx needs to guard the identity headers."""

    mode: str = "none"
    user_header: str = "X-Forwarded-User"
    groups_header: str = "X-Forwarded-Groups"
    auth_request_url: str = ""
    proxy_secret: bool = False

    @classmethod
    def from_settings(cls) -> Identity:
        """As dashboard/settings.py reads (and validates) them from the environment."""
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
        from django.conf import settings

        return cls(
            mode=str(settings.DASHBOARD_AUTH),
            user_header=str(settings.DASHBOARD_REMOTE_USER_HEADER),
            groups_header=str(settings.DASHBOARD_REMOTE_GROUPS_HEADER),
            auth_request_url=str(settings.DASHBOARD_AUTH_REQUEST_URL),
            proxy_secret=bool(settings.DASHBOARD_PROXY_SECRET),
        )

    def warning(self) -> str | None:
        """What an operator must hear at start-up: identity believed from anyone."""
        if self.mode == "remote-user" and not (self.auth_request_url or self.proxy_secret):
            return (
                "dashboard: WARNING remote-user mode without DASHBOARD_PROXY_SECRET or "
                f"DASHBOARD_AUTH_REQUEST_URL: anyone who reaches nginx can name themselves in "
                f"{self.user_header}, and their groups in {self.groups_header}"
            )
        return None


ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(found, os.X_OK):
        raise SystemExit(
            "make serve needs nginx in front of gunicorn: "
            "sudo apt-get install -y --no-install-recommends nginx"
        )
    return found


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _identity(identity: Identity) -> tuple[str, str]:
    """nginx's directives for ``location /`` and the locations it adds, for this identity."""
    if identity.mode != "remote-user":
        return CLEARED_DIRECTIVES, ""
    if not identity.auth_request_url:
        return "            # The proxy in front sets the identity headers (and its secret).", ""
    directives, locations = AUTH_REQUEST_DIRECTIVES, AUTH_REQUEST_LOCATIONS
    if urlsplit(identity.auth_request_url).path.startswith("/oauth2/"):
        directives += "\n" + OAUTH2_PROXY_DIRECTIVES
        locations += OAUTH2_PROXY_LOCATIONS
    return directives, locations


def nginx_config(
    *, listen: str, upstream: str, run_dir: Path, identity: Identity | None = None
) -> str:
    identity = identity or Identity()
    directives, locations = _identity(identity)
    url = urlsplit(identity.auth_request_url)
    return (
        NGINX_CONFIG.replace("@IDENTITY@", directives)
        .replace("@LOCATIONS@", locations)
        .replace("@CLEARED@", CLEARED_DIRECTIVES)
        .replace("@PROXY@", PROXY_DIRECTIVES)
        .replace("@USER_HEADER@", identity.user_header)
        .replace("@GROUPS_HEADER@", identity.groups_header)
        .replace("@AUTH_URL@", identity.auth_request_url)
        .replace("@AUTH_ORIGIN@", f"{url.scheme}://{url.netloc}")
        .replace("@LISTEN@", listen)
        .replace("@UPSTREAM@", upstream)
        .replace("@RUN_DIR@", str(run_dir))
    )


def gunicorn_command(upstream: str, run_dir: Path) -> list[str]:
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "dashboard.wsgi",
        # Marks requests that repeat an identity header, before gunicorn joins the copies.
        "--config", "python:dashboard.gunicorn_hooks",
        # This instance's own control socket: the default ($XDG_RUNTIME_DIR or ~/.gunicorn)
        # is one path per user, which a second instance on the host would take over.
        "--control-socket", str(run_dir / "gunicorn.ctl"),
        "--bind", upstream,
        "--workers", os.environ.get("WORKERS", "2"),
        "--threads", os.environ.get("THREADS", "8"),
        # Only nginx connects, from loopback: X-Forwarded-Proto is the dashboard's to trust
        # (DASHBOARD_TRUST_X_FORWARDED_PROTO), not gunicorn's.
        "--forwarded-allow-ips", "",
        "--access-logfile", "-",
        "--access-logformat", ACCESS_LOG_FORMAT,
    ]  # fmt: skip


def background_worker(run_dir: Path) -> list[str] | None:
    """The Celery worker (with beat) this host runs beside gunicorn, ``TASK_WORKERS`` tasks at
    a time; None without a broker (then the serving processes run background work)."""
    from django.conf import settings

    from dashboard.celery import worker_command

    if not settings.DASHBOARD_BROKER_URL:
        print("dashboard: no broker (DASHBOARD_CACHE_URL, DASHBOARD_BROKER_URL): no worker")
        return None
    concurrency = int(os.environ.get("TASK_WORKERS", "2"))
    return worker_command(schedule=str(run_dir / "beat-schedule"), concurrency=concurrency)


def _await_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            # Polling a readiness condition, bounded by the deadline above.
            time.sleep(0.05)
    raise SystemExit("gunicorn did not start listening")


def serve() -> int:
    """Run gunicorn, then nginx in front of it, until a signal or either one exits."""
    listen = os.environ.get("BIND", "127.0.0.1:8000")
    nginx = nginx_binary()
    identity = Identity.from_settings()
    port = free_loopback_port()
    upstream = f"127.0.0.1:{port}"
    run_dir = Path(tempfile.mkdtemp(prefix="dashboard-nginx-"))
    run_dir.chmod(0o755)  # nginx's workers drop root and write their temp files here
    config = run_dir / "nginx.conf"
    config.write_text(
        nginx_config(listen=listen, upstream=upstream, run_dir=run_dir, identity=identity)
    )
    if identity.warning():
        print(identity.warning(), file=sys.stderr, flush=True)

    stopping = threading.Event()
    processes: list[subprocess.Popen[bytes]] = []

    def stop(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        # Every argument is ours: the venv's gunicorn, nginx from PATH, our config file.
        processes.append(subprocess.Popen(gunicorn_command(upstream, run_dir)))  # noqa: S603
        _await_port(port, processes[0])
        check = [nginx, "-t", "-q", "-e", "stderr", "-c", str(config)]
        test = subprocess.run(check, check=False)  # noqa: S603
        if test.returncode != 0:
            return test.returncode
        processes.append(
            subprocess.Popen([nginx, "-e", "stderr", "-c", str(config), "-g", "daemon off;"])  # noqa: S603
        )
        print(
            f"dashboard: nginx on http://{listen} -> gunicorn on {upstream} "
            f"(control socket {run_dir / 'gunicorn.ctl'})",
            flush=True,
        )
        worker = background_worker(run_dir)
        if worker is not None:
            processes.append(subprocess.Popen(worker))  # noqa: S603 - our own celery command
        while not stopping.is_set():
            if any(process.poll() is not None for process in processes):
                break
            stopping.wait(0.5)
    finally:
        # nginx first (no new requests), then gunicorn, which finishes what it has.
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0 if stopping.is_set() else 1


if __name__ == "__main__":
    sys.exit(serve())
