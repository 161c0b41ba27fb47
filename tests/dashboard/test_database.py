"""The database tests run on the database DATABASE_URL selects: SQLite by default, and a real
PostgreSQL under ``pytest --postgres`` (both in ``make test``)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection


def test_the_database_tests_run_on_the_database_the_run_selected(
    db: None, request: pytest.FixtureRequest
) -> None:
    expected = "postgresql" if request.config.getoption("postgres") else "sqlite"
    assert connection.vendor == expected
    # Sessions live in it: one written here reads back through a fresh store.
    session = SessionStore()
    session["farm"] = "farm-" + "0" * 32
    session.save()
    assert SessionStore(session_key=session.session_key).load() == {"farm": "farm-" + "0" * 32}
