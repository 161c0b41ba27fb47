"""A real, throw-away PostgreSQL cluster on a loopback port, for the database tests.

The binaries are Debian's ``postgresql`` package (``make test`` installs it): ``initdb``
creates a cluster in a temporary directory, ``pg_ctl`` starts it on 127.0.0.1 and a free port
(its socket in that directory too) and stops it; the directory is then removed. PostgreSQL
refuses to run as root, so as root the cluster belongs to the ``postgres`` system user the
package creates. Durability is switched off: nothing here outlives the test run.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.redis_server import free_port

SUPERUSER = "dashboard"
_SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200 -c shared_buffers=32MB"
)


def postgres_bindir() -> Path:
    """Debian keeps the server binaries off PATH, one directory per major version."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs postgresql)")
    return Path(initdb).resolve().parent


def _owner() -> str | None:
    """The user to run the cluster as: ``postgres`` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root but the `postgres` system user is missing") from None
    return "postgres"


def _run(command: list[str], owner: str | None) -> None:
    result = subprocess.run(command, user=owner, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")


@contextmanager
def postgres_server(timeout: float = 30.0) -> Iterator[str]:
    """Start a throw-away cluster; yield the URL of its ``postgres`` database; remove it."""
    bindir = postgres_bindir()
    owner = _owner()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="dtd-postgres-") as workdir:
        data = Path(workdir) / "data"
        if owner is not None:
            shutil.chown(workdir, user=owner)
        _run(
            [
                str(bindir / "initdb"),
                "--pgdata", str(data),
                "--username", SUPERUSER,
                "--auth", "trust",  # loopback only, and gone with the directory
                "--encoding", "UTF8",
                "--locale", "C",
                "--no-sync",
            ],
            owner,
        )  # fmt: skip
        options = f"{_SERVER_OPTIONS} -c listen_addresses=127.0.0.1 -p {port} -k {workdir}"
        _run(
            [
                str(bindir / "pg_ctl"),
                "start", "--wait", "--timeout", str(int(timeout)),
                "--pgdata", str(data),
                "--log", str(Path(workdir) / "server.log"),
                "--options", options,
            ],
            owner,
        )  # fmt: skip
        url = f"postgres://{SUPERUSER}@127.0.0.1:{port}/postgres"
        try:
            _await_connection(url, timeout)
            yield url
        finally:
            subprocess.run(
                [str(bindir / "pg_ctl"), "stop", "--pgdata", str(data), "--mode", "immediate"],
                user=owner,
                capture_output=True,
                check=False,
            )


def _await_connection(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
        # Polling a readiness condition, bounded by the deadline above.
        time.sleep(0.05)


def database_url(server_url: str, name: str) -> str:
    """The URL of database ``name`` on the cluster at ``server_url``."""
    return server_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """A new, empty database on the cluster, dropped afterwards; yields its URL."""
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
