"""Acknowledgements across real processes: two dashboards (separate gunicorn processes, each
with its own in-process cache) sharing one database and one emulator over HTTP; a snooze taken
on one is shown, counted and refused a second time on the other."""

from __future__ import annotations

import re

import pytest
import redis

from deadline_emulator import Emulator
from deadline_emulator.server import serve_in_thread
from tests.dashboard_processes import (
    PASSWORD,
    Browser,
    await_true,
    emulator_environment,
    environment,
    gunicorn_processes,
    migrate,
)
from tests.redis_server import redis_server

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_OPEN_ROW = re.compile(r'<tr data-href="[^"]*" data-kind="[^"]*" data-key="([^"]+)">')
_COUNT = re.compile(r'class="count-badge[^"]*"><span class="visually-hidden">\(</span>(\d+)<')


def _open_keys(html: str) -> list[str]:
    return _OPEN_ROW.findall(html)


@pytest.mark.database
def test_a_snooze_on_one_process_holds_on_the_other(
    emulator: Emulator, shared_database_url: str
) -> None:
    server, url = serve_in_thread(emulator)
    env = environment(
        **emulator_environment(url),
        DASHBOARD_AUTH="login",
        DASHBOARD_ACTIONS="on",
        DATABASE_URL=shared_database_url,
    )
    migrate(env)
    try:
        with gunicorn_processes(2, env, threads=2) as (first, second):
            browser, htmx = Browser(), Browser({"HX-Request": "true"})
            for who in (browser, htmx):
                assert who.sign_in(first, "ada", PASSWORD).status == 302

            page = browser.request(f"{first}/attention/")
            assert page.status == 200, page.text[-2000:]
            key = _open_keys(page.text)[0]
            csrf = _CSRF.search(page.text)
            assert csrf is not None
            fields = {"key": key, "change": "snooze", "hours": "4", "csrfmiddlewaretoken": csrf[1]}
            done = browser.request(f"{first}/attention/", fields)
            assert done.status == 303, done.text[-2000:]

            # The other process: its own cache and report, the same database.
            other = browser.request(f"{second}/attention/")
            assert other.status == 200
            assert key not in _open_keys(other.text)
            acked = re.search(r'<li data-key="' + re.escape(key) + r'">.*?</li>', other.text, re.S)
            assert acked is not None and "Snoozed by <bdi>ada</bdi>" in acked.group(0)
            badge = _COUNT.search(htmx.request(f"{second}/attention/count/").text)
            assert badge is not None and int(badge[1]) == len(_open_keys(other.text))

            # Never twice: the second process refuses to take it again.
            csrf = _CSRF.search(other.text)
            assert csrf is not None
            again = browser.request(
                f"{second}/attention/",
                {"key": key, "change": "ack", "csrfmiddlewaretoken": csrf[1]},
            )
            assert again.status == 409 and "Already snoozed by ada" in again.text
    finally:
        server.shutdown()


@pytest.mark.database
def test_a_fresh_server_builds_the_list_as_it_starts(shared_database_url: str) -> None:
    """Nobody asks for the list or its count: the serving process builds it as it starts
    (DASHBOARD_ATTENTION_AT_START), so the first page's count is there at once."""
    with redis_server() as redis_url:
        env = environment(
            DEADLINE_BACKEND="demo",
            DATABASE_URL=shared_database_url,
            DASHBOARD_CACHE_URL=redis_url,
        )
        migrate(env, "grace")  # the module's database: ada exists
        with gunicorn_processes(1, env, threads=2) as (base,):
            store = redis.Redis.from_url(redis_url)
            # Before any request: its build (its lock, then the report) is in the shared cache.
            await_true(lambda: any(store.scan_iter("*:attention:*")), 60, "a build of the report")
            count = Browser({"HX-Request": "true"})
            await_true(
                lambda: "count-badge" in count.request(f"{base}/attention/count/").text,
                60,
                "the header's count",
            )
