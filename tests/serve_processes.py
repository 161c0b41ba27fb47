"""``make serve`` for tests: ``python -m dashboard.serve`` (nginx in front of gunicorn) on a
free port, with a migrated database of its own holding the account ``ada``, and a small
HTTP client that can send what browsers and proxies send (repeated headers included)."""

from __future__ import annotations

import atexit
import functools
import http.client
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.dashboard_processes import (
    PASSWORD as PASSWORD,  # the sign-in of its tests, shared
)
from tests.dashboard_processes import (
    Answer,
    Browser,
    await_healthy,
    environment,
    migrate,
    spawn,
    stop,
)
from tests.redis_server import free_port

_CONTROL_SOCKET = re.compile(r"\(control socket (\S+)\)")


@functools.cache
def _migrated_database() -> Path:
    """Migrated once per test session, with ``ada`` (password PASSWORD); copied per server."""
    workdir = Path(tempfile.mkdtemp(prefix="dtd-serve-db-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    database = workdir / "db.sqlite3"
    migrate(environment(DJANGO_DB_PATH=str(database)))
    return database


@dataclass(frozen=True)
class Served:
    """One running ``make serve``: its address, its database and its log."""

    base: str
    database: Path
    log: Path
    process: subprocess.Popen[bytes]

    def control_socket(self) -> Path:
        """Where this instance's gunicorn listens for ``gunicornc`` (from its start-up line)."""
        match = _CONTROL_SOCKET.search(self.log.read_text())
        assert match, self.log.read_text()[-2000:]
        return Path(match[1])

    def users(self) -> set[str]:
        """User names in this instance's database (accounts created by remote-user sign-ins)."""
        import sqlite3

        with sqlite3.connect(self.database) as connection:
            return {row[0] for row in connection.execute("SELECT username FROM auth_user")}


@contextmanager
def served(**overrides: str) -> Iterator[Served]:
    """``python -m dashboard.serve`` with these settings on top of a clean environment."""
    with tempfile.TemporaryDirectory(prefix="dtd-serve-") as workdir:
        database = Path(workdir) / "db.sqlite3"
        shutil.copyfile(_migrated_database(), database)
        port = free_port()
        settings = {"WORKERS": "1", "THREADS": "4", "DJANGO_DB_PATH": str(database), **overrides}
        env = environment(BIND=f"127.0.0.1:{port}", **settings)
        log = Path(workdir) / "serve.log"
        process = spawn([sys.executable, "-m", "dashboard.serve"], env, log)
        try:
            await_healthy(f"http://127.0.0.1:{port}", process, log)
            yield Served(f"http://127.0.0.1:{port}", database, log, process)
        finally:
            stop(process)
        assert process.returncode == 0, log.read_text()[-3000:]


def raw_get(base: str, path: str, headers: Sequence[tuple[str, str]]) -> Answer:
    """GET with exactly these header lines, repeats included (urllib would merge them)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("GET", path)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return Answer(response.status, dict(response.headers), response.read().decode())
    finally:
        connection.close()


# One browser for both: the client behind whatever proxy its headers stand for.
Client = Browser
