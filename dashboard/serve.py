"""``make serve``: nginx in front of gunicorn, so slow clients cannot starve the workers.

gunicorn's threads each read a whole request before the next: 16 connections that never
finish their headers hold 2 workers x 8 threads, and every other request waits. nginx reads
each request completely (headers and body, bounded by its timeouts) on its event loop, which
holds thousands of idle connections at no cost, and only then hands it to gunicorn over
loopback; it also buffers the answer, so a slow reader does not hold a thread either. The
dashboard's views stay threaded (their reads fan out to a thread pool), unchanged.

Run: ``python -m dashboard.serve`` (``make serve`` collects static files and migrates first).
``BIND`` (``127.0.0.1:8000``) is where nginx listens; gunicorn listens on a free loopback port.
``WORKERS`` (2) x ``THREADS`` (8) size gunicorn. Stops both on SIGTERM or SIGINT, and both
when either exits.
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
from pathlib import Path
from types import FrameType

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
            proxy_pass http://dashboard;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Request-ID $dashboard_request_id;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # Whole requests reach gunicorn; whole answers are taken from it at once.
            proxy_request_buffering on;
            proxy_buffering on;
            proxy_read_timeout 60s;
        }
    }
}
"""

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


def nginx_config(*, listen: str, upstream: str, run_dir: Path) -> str:
    return (
        NGINX_CONFIG.replace("@LISTEN@", listen)
        .replace("@UPSTREAM@", upstream)
        .replace("@RUN_DIR@", str(run_dir))
    )


def gunicorn_command(upstream: str) -> list[str]:
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "dashboard.wsgi",
        "--bind", upstream,
        "--workers", os.environ.get("WORKERS", "2"),
        "--threads", os.environ.get("THREADS", "8"),
        # Only nginx connects, from loopback: X-Forwarded-Proto is the dashboard's to trust
        # (DASHBOARD_TRUST_X_FORWARDED_PROTO), not gunicorn's.
        "--forwarded-allow-ips", "",
        "--access-logfile", "-",
        "--access-logformat", ACCESS_LOG_FORMAT,
    ]  # fmt: skip


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
    port = free_loopback_port()
    upstream = f"127.0.0.1:{port}"
    run_dir = Path(tempfile.mkdtemp(prefix="dashboard-nginx-"))
    run_dir.chmod(0o755)  # nginx's workers drop root and write their temp files here
    config = run_dir / "nginx.conf"
    config.write_text(nginx_config(listen=listen, upstream=upstream, run_dir=run_dir))

    stopping = threading.Event()
    processes: list[subprocess.Popen[bytes]] = []

    def stop(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        # Every argument is ours: the venv's gunicorn, nginx from PATH, our config file.
        processes.append(subprocess.Popen(gunicorn_command(upstream)))  # noqa: S603
        _await_port(port, processes[0])
        check = [nginx, "-t", "-q", "-e", "stderr", "-c", str(config)]
        test = subprocess.run(check, check=False)  # noqa: S603
        if test.returncode != 0:
            return test.returncode
        processes.append(
            subprocess.Popen([nginx, "-e", "stderr", "-c", str(config), "-g", "daemon off;"])  # noqa: S603
        )
        print(f"dashboard: nginx on http://{listen} -> gunicorn on {upstream}", flush=True)
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
