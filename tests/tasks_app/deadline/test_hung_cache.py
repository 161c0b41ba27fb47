"""A Redis that accepts connections and never answers (hung, or its packets dropped) costs a
request its socket timeout once, then the process leaves it alone for a while: pages answer
from the API, nothing waits forever. And the same with Redis simply gone."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis.connection
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline import resilience
from tests.browser.pages import page_urls
from tests.conftest import Tiny, UseCache
from tests.manual_clock import ManualClock


@dataclass
class Silent:
    """A TCP listener that takes every connection and never writes a byte."""

    url: str
    connections: list[socket.socket] = field(default_factory=list)


@pytest.fixture
def silent_redis() -> Iterator[Silent]:
    server = socket.create_server(("127.0.0.1", 0), backlog=64)
    silent = Silent(url=f"redis://127.0.0.1:{server.getsockname()[1]}/0")

    def take() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            silent.connections.append(connection)

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    try:
        yield silent
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (close alone does not)
        server.close()
        thread.join(timeout=10)
        for connection in silent.connections:
            connection.close()


def _short_timeouts(cache_on: UseCache) -> Callable[[str], None]:
    return lambda url: cache_on(url, socket_timeout=0.2, socket_connect_timeout=0.2)


def _load(client: Client, url: str, headers: dict[str, str] | None = None) -> int:
    """The page's status, from a thread the test can stop waiting for (a hang fails, not
    blocks, the suite); an exception the page raised fails the test with its name."""
    answers: list[int | BaseException] = []

    def load() -> None:
        try:
            answers.append(client.get(url, headers=headers or {}).status_code)
        except Exception as exc:  # the test client re-raises what the view raised
            answers.append(exc)

    thread = threading.Thread(target=load)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), f"{url} still waiting for the cache after 60 s"
    answer = answers[0]
    assert isinstance(answer, int), f"{url} raised {answer!r}"
    return answer


def test_a_hung_redis_costs_one_timeout_then_is_left_alone(
    client: Client,
    tiny: Tiny,
    cache_on: UseCache,
    silent_redis: Silent,
    held_clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What redis-py sends, counted where it sends it (the listener's accepts lag, and a
    # connection that timed out may be used again without a new connect).
    attempts: list[int] = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(self: redis.connection.AbstractConnection, *args: Any, **kwargs: Any) -> None:
        attempts.append(1)
        send(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    ids = tiny.world.add_task()
    _short_timeouts(cache_on)(silent_redis.url)

    assert _load(client, ids.url()) == 200  # from the API
    tried = len(attempts)
    assert tried >= 1
    assert tiny.emulator.calls["GetTask"] == 1

    resilience.near_cache().forget()  # the next load would otherwise ask nothing of Redis
    assert _load(client, ids.url()) == 200
    assert len(attempts) == tried  # paused: nothing sent to it

    held_clock.advance(resilience.CACHE_PAUSE_SECONDS + 1)
    resilience.near_cache().forget()
    assert _load(client, ids.url()) == 200
    assert len(attempts) > tried  # tried again once the pause is over


def test_with_redis_gone_every_page_answers_as_with_a_cache(
    client: Client, emulator: Emulator, cache_on: UseCache, db: None
) -> None:
    """Including the step page, whose Search names' verdicts live in the cache too. (Full
    pages: their htmx fragments make the same reads. Some pages read the database too, such
    as the attention list's acknowledgements: it is there, only Redis is gone.)"""
    pages = [
        (name, url, {})
        for name, url in page_urls(emulator).items()
        if name != "audit"  # a database page: no cache, no API
    ]
    expected = {(name, bool(headers)): _load(client, url, headers) for name, url, headers in pages}
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed below: nothing listens there any more
    _short_timeouts(cache_on)(f"redis://127.0.0.1:{port}/0")

    for name, url, headers in pages:
        resilience.reset()  # no pause: each page meets the refused connection itself
        status = _load(client, url, headers)
        assert status == expected[name, bool(headers)], (name, headers, status)
