"""A job's sessions and session actions are built once per instant and paged by bisection:
every page read from the kept rows equals the page a fresh build answers, and a write to the
job rebuilds them (real boto3 against the emulator, clock pinned)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from tests.deadline_emulator.fakes import local_client


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Emulator, Any, dict[str, Any]]]:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
    made = emulator.add_big_job(tasks=500, failed_tasks=20, canceled_tasks=5)
    yield emulator, local_client(emulator), made


def ids(made: dict[str, Any]) -> dict[str, str]:
    return {key: made[key] for key in ("farmId", "queueId", "jobId")}


def every_page(
    call: Callable[..., dict[str, Any]], key: str, before: Callable[[], None], **kw: Any
) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        before()
        answer = call(**kw, **({"nextToken": token} if token else {}))
        pages.append(answer[key])
        token = answer.get("nextToken")
        if not token:
            return pages


@pytest.mark.parametrize(
    ("operation", "key"),
    [("list_session_actions", "sessionActions"), ("list_sessions", "sessions")],
)
def test_kept_pages_equal_fresh_builds(world: tuple, operation: str, key: str) -> None:
    emulator, client, made = world
    call = getattr(client, operation)
    fresh = every_page(call, key, emulator.backend._job_rows.clear, maxResults=40, **ids(made))
    kept = every_page(call, key, lambda: None, maxResults=40, **ids(made))
    assert kept == fresh
    assert len(fresh) > 10  # enough pages for the bisection to matter
    items = [item for page in kept for item in page]
    listed_ids = [i.get("sessionActionId") or i["sessionId"] for i in items]
    assert len(set(listed_ids)) == len(listed_ids)  # no item twice, none skipped between pages
    if key == "sessions":
        assert len(items) >= 500


def test_a_write_rebuilds_the_kept_rows(world: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator, client, made = world
    backend = emulator.backend
    builds = []
    original = backend._job_attempts

    def counted(*args: Any) -> Iterator[Any]:  # counts the listings walked, not made
        builds.append(args)
        yield from original(*args)

    monkeypatch.setattr(backend, "_job_attempts", counted)
    before = every_page(client.list_session_actions, "sessionActions", lambda: None, **ids(made))
    assert len(before) > 10 and len(builds) <= 1  # every page after the first from kept rows
    task_id = next(
        a["definition"]["taskRun"]["taskId"]
        for a in before[0]
        if "taskRun" in a["definition"] and a["status"] == "SUCCEEDED"
    )
    client.update_task(
        **ids(made), stepId=made["stepId"], taskId=task_id, targetRunStatus="PENDING"
    )
    builds.clear()
    kept = every_page(client.list_session_actions, "sessionActions", lambda: None, **ids(made))
    assert len(builds) == 1  # the write made the kept rows stale: built again, once
    fresh = every_page(
        client.list_session_actions, "sessionActions", backend._job_rows.clear, **ids(made)
    )
    assert kept == fresh


def test_running_clock_pages_skip_to_the_cursor_and_match(world: tuple) -> None:
    """With the clock running nothing is kept: sessions before the cursor are skipped unbuilt,
    and the pages of a finished job are the ones read at a pinned instant."""
    emulator, client, made = world
    pinned = every_page(
        client.list_session_actions, "sessionActions", lambda: None, maxResults=40, **ids(made)
    )
    emulator.clock.unpin()
    try:
        emulator.backend._job_rows.clear()
        running = every_page(
            client.list_session_actions, "sessionActions", lambda: None, maxResults=40, **ids(made)
        )
        assert not emulator.backend._job_rows._rows  # nothing kept while the clock runs
    finally:
        emulator.clock.pin()
    assert running == pinned
