"""``pytest --postgres``: the suite on a real PostgreSQL, the production database (``make test``).

Loaded with ``-p tests.postgres_plugin`` (pyproject's addopts). With ``--postgres`` it starts a
throw-away cluster (tests/postgres_server.py) before Django reads its settings and points
``DATABASE_URL`` at it, exactly as an operator would; tests that start processes of their own
on a database (``shared_database_url``) get a database on the same cluster. Without it the
tests use SQLite files, the single-host default: quicker to start for a run of a few files.
The cluster is removed when the run ends; xdist workers inherit the controller's.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

# Set for the run (and inherited by xdist workers): the server, for tests creating databases.
SERVER_URL_VARIABLE = "DASHBOARD_TEST_POSTGRES_SERVER"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres",
        action="store_true",
        help="run on a throw-away PostgreSQL cluster instead of SQLite files",
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    # A wrapper runs before pytest-django's own hook, which loads the settings.
    if early_config.known_args_namespace.postgres and SERVER_URL_VARIABLE not in os.environ:
        from tests.postgres_server import database_url, postgres_server

        server = postgres_server()
        url = server.__enter__()
        early_config.add_cleanup(lambda: server.__exit__(None, None, None))
        os.environ[SERVER_URL_VARIABLE] = url
        # pytest-django creates test_<name> (per xdist worker) next to it and drops it after.
        os.environ["DATABASE_URL"] = database_url(url, "dashboard")
    return (yield)


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("postgres"):
        return f"database: PostgreSQL at {os.environ.get(SERVER_URL_VARIABLE)}"
    return None
