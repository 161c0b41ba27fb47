"""The one fan-out for concurrent reads: every read runs at once, answers and failures come back
by key, and a failure never hides the other answers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tasks_app.deadline.errors import NotFound, Unavailable
from tasks_app.deadline.fanout import gather, gather_each


def test_reads_run_at_once_and_answer_by_key_in_the_order_given() -> None:
    # Each read waits for all three: run one after another, the first would time out.
    together = threading.Barrier(3, timeout=10)

    def read(value: int) -> int:
        together.wait()
        return value * 10

    answers, failures = gather({key: (lambda k=key: read(k)) for key in (3, 1, 2)})

    assert list(answers.items()) == [(3, 30), (1, 10), (2, 20)]
    assert failures == {}


def test_a_failed_read_is_reported_beside_the_others_answers() -> None:
    missing = NotFound("job", "job-1")

    def fail() -> str:
        raise missing

    answers, failures = gather({"farm": lambda: "Main", "job": fail, "queue": lambda: "Q"})

    assert answers == {"farm": "Main", "queue": "Q"}
    assert failures == {"job": missing}


def test_a_bug_in_a_read_raises_rather_than_passing_for_a_failed_read() -> None:
    def broken() -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        gather({"ok": lambda: 1, "broken": broken})


def test_gather_each_answers_every_key_failed_ones_with_their_reason() -> None:
    def down() -> str:
        raise Unavailable("the API is down", reason="outage")

    shown = gather_each({"a": lambda: "read", "b": down}, lambda key, exc: f"{key}: {exc.message}")

    assert shown == {"a": "read", "b": "b: the API is down"}


def test_a_caller_may_run_the_reads_on_its_own_pool() -> None:
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="own") as pool:
        answers, _ = gather(
            {"a": lambda: threading.current_thread().name, "b": lambda: 2}, pool=pool
        )
    assert answers["a"].startswith("own")
