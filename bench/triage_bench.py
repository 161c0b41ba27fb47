"""Triage on the task page (issue 5): API calls and server time with attempts and the log tail.

Run: .venv/bin/python -m bench.triage_bench   (prints figures; asserts nothing)

For a failed task (three attempts on three workers) and a running one, in-process through
Django's full middleware stack (test Client) against the demo emulator: the API calls one
full page costs, counted by operation at the emulator, and the median server time of the
page cold (cache cleared before every request) and warm (everything cached); then the
htmx fragments that keep the page current (attempts poll, log follow).
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("DEADLINE_CACHE_SECONDS", "3600")  # "warm" means inside one TTL
os.environ.setdefault("DASHBOARD_LOG_LEVEL", "WARNING")  # one log line per API call otherwise

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from deadline_emulator import get_default_emulator  # noqa: E402

COLD_REPEAT = 40
WARM_REPEAT = 400
HTMX = {"HX-Request": "true"}


def task_url(ids: dict[str, str]) -> str:
    return (
        f"/farms/{ids['farmId']}/queues/{ids['queueId']}/jobs/{ids['jobId']}"
        f"/steps/{ids['stepId']}/tasks/{ids['taskId']}/"
    )


def median_ms(
    client: Client, url: str, repeat: int, before: Callable[[], None] | None = None, **headers: str
) -> float:
    samples = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append(time.perf_counter() - start)
        if response.status_code not in (200, 204):
            raise SystemExit(f"{url} answered {response.status_code}")
    return statistics.median(samples) * 1000


def calls_of(emulator: object, fetch: Callable[[], object]) -> dict[str, int]:
    emulator.calls.reset()  # type: ignore[attr-defined]
    fetch()
    return emulator.calls.snapshot()  # type: ignore[attr-defined]


def show_calls(label: str, calls: dict[str, int]) -> None:
    total = sum(calls.values())
    detail = ", ".join(f"{op} {n}" for op, n in calls.items()) or "none"
    print(f"  {label:<34} {total:3d} calls: {detail}")


def bench_page(client: Client, emulator: object, label: str, ids: dict[str, str]) -> None:
    url = task_url(ids)
    print(f"\n{label}: {ids['taskId']}")
    cache.clear()
    page = client.get(url).content.decode()
    attempts = len(re.findall(r'class="attempt-number"', page))
    lines = page.count('class="log-line')
    print(f"  {attempts} attempts, {lines} log lines on the page")

    cache.clear()
    show_calls("full page, cold", calls_of(emulator, lambda: client.get(url)))
    show_calls("full page, warm", calls_of(emulator, lambda: client.get(url)))
    cold = median_ms(client, url, COLD_REPEAT, before=cache.clear)
    warm = median_ms(client, url, WARM_REPEAT)
    print(f"  full page, cold     median {cold:8.3f} ms   ({COLD_REPEAT} requests)")
    print(f"  full page, warm     median {warm:8.3f} ms   ({WARM_REPEAT} requests)")

    version = re.search(r'id="attempts"[^>]*?data-version="(\w+)"', page, re.S)
    if version:
        poll = f"{url}attempts/?v={version.group(1)}"
        show_calls(
            "attempts poll, warm (204)", calls_of(emulator, lambda: client.get(poll, headers=HTMX))
        )
        print(
            f"  attempts poll, warm median {median_ms(client, poll, WARM_REPEAT, **HTMX):8.3f} ms"
        )
    follow = re.search(r'id="log-follow" class="log-follow" hx-get="([^"]+)"', page)
    if follow:
        follow_url = follow.group(1).replace("&amp;", "&")
        show_calls(
            "log follow, warm", calls_of(emulator, lambda: client.get(follow_url, headers=HTMX))
        )
        follow_ms = median_ms(client, follow_url, WARM_REPEAT, **HTMX)
        print(f"  log follow, warm    median {follow_ms:8.3f} ms")


def main() -> None:
    setup_test_environment()
    client = Client()
    emulator = get_default_emulator(0)
    emulator.clock.pin()  # the running task stays running, the figures stay comparable
    failed = emulator.backend.landmarks()["failed_with_retries_task"]
    running = emulator.backend.find_tasks("RUNNING", limit=1, include_landmarks=False)[0]
    print("Task page with attempts and the log tail, in-process, demo emulator")
    print(f"DEADLINE_CACHE_SECONDS={os.environ['DEADLINE_CACHE_SECONDS']}")
    bench_page(client, emulator, "Failed task (retried on three workers)", failed)
    bench_page(client, emulator, "Running task (log followed)", running)


if __name__ == "__main__":
    main()
