"""``pytest --postgres``: the database tests again, on a real PostgreSQL (``make test`` runs both).

Loaded with ``-p tests.postgres_plugin`` (pyproject's addopts). With ``--postgres`` it starts a
throw-away cluster (tests/postgres_server.py) before Django reads its settings, points
``DATABASE_URL`` at it, exactly as an operator would, and keeps only the tests that use the
database: pytest-django's ``db``/``transactional_db`` fixtures, or the ``database`` marker for
tests that start their own processes on a database of their own (``shared_database_url``);
not those marked ``database_incidental`` (the database is by the way: looks, accessibility).
The cluster is removed when the run ends; xdist workers inherit the controller's.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

_DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_setup"})
# Set for the run (and inherited by xdist workers): the server, for tests creating databases.
SERVER_URL_VARIABLE = "DASHBOARD_TEST_POSTGRES_SERVER"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres",
        action="store_true",
        help="run only the database tests, against a throw-away PostgreSQL cluster",
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("postgres"):
        return
    keep, drop = [], []
    for item in items:
        uses_database = _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        wanted = uses_database or item.get_closest_marker("database") is not None
        wanted = wanted and item.get_closest_marker("database_incidental") is None
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("postgres"):
        return f"database: PostgreSQL at {os.environ.get(SERVER_URL_VARIABLE)} (database tests)"
    return None
