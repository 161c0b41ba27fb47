"""Sign-in state every process and host shares: accounts, sessions and the failed-sign-in
lockout live in the database (SQLite here, PostgreSQL under ``pytest --postgres``) or, when
configured, in Redis; and sign-in keeps working, unthrottled but logged, while Redis is down."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client

from tests.conftest import UseCache
from tests.dashboard_processes import Browser, environment, gunicorn_processes, migrate
from tests.redis_server import redis_server
from tests.security.conftest import PASSWORD


@pytest.fixture(scope="module")
def two_hosts(shared_database_url: str) -> Iterator[list[str]]:
    """Two separate dashboard processes (as on two hosts) on one database, with no Redis."""
    env = environment(
        DASHBOARD_AUTH="login", DATABASE_URL=shared_database_url, DEADLINE_BACKEND="demo"
    )
    migrate(env, "ada", "grace")
    with gunicorn_processes(2, env) as bases:
        yield bases


@pytest.mark.database
def test_lockout_at_the_fifth_failure_across_two_processes_without_redis(
    two_hosts: list[str],
) -> None:
    browser = Browser()
    statuses = [
        browser.sign_in(two_hosts[attempt % 2], "ada", "wrong").status for attempt in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    # Locked out on both, even with the right password.
    for base in two_hosts:
        answer = browser.sign_in(base, "ada", PASSWORD)
        assert answer.status == 429
        assert "Too many failed sign-ins" in answer.text
        assert int(answer.headers["Retry-After"]) == 900


@pytest.mark.database
def test_a_sign_in_on_one_host_is_a_session_on_the_other(two_hosts: list[str]) -> None:
    browser = Browser()
    assert browser.sign_in(two_hosts[0], "grace", PASSWORD).status == 302
    page = browser.request(f"{two_hosts[1]}/farms/")
    assert page.status == 200
    assert "Signed in as <strong>grace</strong>" in page.text


# --- With Redis ----------------------------------------------------------------------------------


@pytest.fixture
def on_redis(cache_on: UseCache) -> Callable[[str], None]:
    """Django's own Redis backend, as the sign-in throttle (django-axes) meets it."""
    return lambda url: cache_on(url, backend="django.core.cache.backends.redis.RedisCache")


@pytest.mark.redis
def test_with_redis_the_lockout_is_counted_in_redis(
    client: Client, operator: Any, on_redis: Callable[[str], None]
) -> None:
    with redis_server() as url:
        on_redis(url)
        for _ in range(4):
            assert client.post("/login/", {"username": "ada", "password": "x"}).status_code == 200
        assert client.post("/login/", {"username": "Ada", "password": "x"}).status_code == 429
        assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 429
        assert not AccessAttempt.objects.exists()  # counted in Redis, which every host sees
        cache.clear()  # the count is gone, and so is the lockout
        assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 302


@pytest.mark.redis
def test_sign_in_works_unthrottled_and_logged_while_redis_is_down(
    client: Client,
    operator: Any,
    on_redis: Callable[[str], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with redis_server() as url:
        on_redis(url)
        cache.set("probe", 1)
        assert cache.get("probe") == 1
    # The redis-server process has been stopped.
    caplog.set_level(logging.ERROR, logger="tasks_app.auth")
    for _ in range(6):
        assert client.post("/login/", {"username": "ada", "password": "x"}).status_code == 200
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/farms/").status_code == 200
    unthrottled = [r.getMessage() for r in caplog.records if "goes on unthrottled" in r.message]
    assert len(unthrottled) >= 7, unthrottled
    assert "ConnectionError" in unthrottled[0] and "'ada'" in unthrottled[0]
