"""Triage on the task page: API calls and server time with attempts and the log tail.

Run: .venv/bin/python -m bench.triage_bench   (prints figures; asserts nothing)

For a failed task (three attempts on three workers) and a running one, in-process through
Django's full middleware stack (test Client) against the demo emulator, each of:

- the default page (task panel and names; the triage sections are placeholders htmx fills),
- the first load of the attempts fragment and of the log fragment (what fills them),
- the page with ``?attempt=latest`` (triage inline: bookmarks, and the page without JS),

costs the API calls counted by operation at the emulator, and a median server time cold
(cache cleared before every request) and warm (everything cached); then the htmx polls that
keep the page current (attempts poll, log follow). Finally the same cold requests with
TRIAGE_BENCH_LATENCY_MS (default 50) added to every API call, as a ratio to one round trip:
how many round trips the reads chain, whatever the CPU.
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

from deadline_emulator import Emulator, get_default_emulator  # noqa: E402

COLD_REPEAT = 40
WARM_REPEAT = 400
LATENCY_REPEAT = 10
LATENCY_MS = float(os.environ.get("TRIAGE_BENCH_LATENCY_MS", "50"))
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


def calls_of(emulator: Emulator, client: Client, url: str, **headers: str) -> dict[str, int]:
    emulator.calls.reset()
    client.get(url, headers=headers)
    return emulator.calls.snapshot()


def show_calls(label: str, calls: dict[str, int]) -> None:
    total = sum(calls.values())
    detail = ", ".join(f"{op} {n}" for op, n in calls.items()) or "none"
    print(f"  {label:<36} {total:3d} calls: {detail}")


def requests_of(ids: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(label, URL, headers) of what one viewer's browser asks for, in the order it does."""
    url = task_url(ids)
    return [
        ("default page", url, {}),
        ("attempts fragment (1st load)", f"{url}attempts/", HTMX),
        ("log fragment (1st load)", f"{url}log/", HTMX),
        ("?attempt=latest page", f"{url}?attempt=latest", {}),
    ]


def bench_task(client: Client, emulator: Emulator, label: str, ids: dict[str, str]) -> None:
    url = task_url(ids)
    print(f"\n{label}: {ids['taskId']}")
    cache.clear()
    page = client.get(f"{url}?attempt=latest").content.decode()
    attempts = len(re.findall(r'class="attempt-number"', page))
    lines = page.count('class="log-line')
    print(f"  {attempts} attempts, {lines} log lines in the triage")

    for name, target, headers in requests_of(ids):
        cache.clear()
        show_calls(f"{name}, cold", calls_of(emulator, client, target, **headers))
        show_calls(f"{name}, warm", calls_of(emulator, client, target, **headers))
        cold = median_ms(client, target, COLD_REPEAT, before=cache.clear, **headers)
        warm = median_ms(client, target, WARM_REPEAT, **headers)
        print(f"  {name:<36} median cold {cold:8.3f} ms   warm {warm:8.3f} ms")

    version = re.search(r'id="attempts"[^>]*?data-version="(\w+)"', page, re.S)
    if version:
        poll = f"{url}attempts/?v={version.group(1)}"
        show_calls("attempts poll, warm (204)", calls_of(emulator, client, poll, **HTMX))
        poll_ms = median_ms(client, poll, WARM_REPEAT, **HTMX)
        print(f"  {'attempts poll':<36} median warm {poll_ms:8.3f} ms")
    follow = re.search(r'id="log-follow" class="log-follow" hx-get="([^"]+)"', page)
    if follow:
        follow_url = follow.group(1).replace("&amp;", "&")
        show_calls("log follow, first poll", calls_of(emulator, client, follow_url, **HTMX))
        follow_ms = median_ms(client, follow_url, WARM_REPEAT, **HTMX)
        print(f"  {'log follow':<36} median warm {follow_ms:8.3f} ms")


def bench_round_trips(client: Client, emulator: Emulator, tasks: dict[str, dict[str, str]]) -> None:
    print(
        f"\nCold, with {LATENCY_MS:g} ms added to every API call ({LATENCY_REPEAT} requests each)"
    )
    emulator.faults.set("*", latency_ms=LATENCY_MS)
    try:
        for label, ids in tasks.items():
            print(f"  {label}")
            for name, target, headers in requests_of(ids):
                cold = median_ms(client, target, LATENCY_REPEAT, before=cache.clear, **headers)
                print(
                    f"    {name:<36} median {cold:8.1f} ms = {cold / LATENCY_MS:4.2f} round trips"
                )
    finally:
        emulator.faults.clear()


def main() -> None:
    setup_test_environment()
    client = Client()
    emulator = get_default_emulator(0)
    emulator.clock.pin()  # the running task stays running, the figures stay comparable
    tasks = {
        "Failed task (retried on three workers)": emulator.backend.landmarks()[
            "failed_with_retries_task"
        ],
        "Running task (log followed)": emulator.backend.find_tasks(
            "RUNNING", limit=1, include_landmarks=False
        )[0],
    }
    print("Task page triage, in-process, demo emulator")
    print(f"DEADLINE_CACHE_SECONDS={os.environ['DEADLINE_CACHE_SECONDS']}")
    for label, ids in tasks.items():
        bench_task(client, emulator, label, ids)
    bench_round_trips(client, emulator, tasks)


if __name__ == "__main__":
    main()
