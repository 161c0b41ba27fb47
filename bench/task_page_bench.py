"""Task page speed: cached fragment vs a bare Django view, and GetTask per 100 polls.

Run: .venv/bin/python -m bench.task_page_bench   (prints figures and ratios; asserts nothing)
Targets: the cached fragment at most 3x a constant-string view; 100 polls in one TTL -> 1 GetTask.
Both run in-process through Django's full middleware stack (test Client), demo emulator.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("DEADLINE_CACHE_SECONDS", "3600")  # one TTL spans the whole run

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from deadline_emulator import get_default_emulator  # noqa: E402
from tasks_app.deadline.types import Task  # noqa: E402

REPEAT = 2000


def median_ms(client: Client, url: str, repeat: int = REPEAT, **headers: str) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append(time.perf_counter() - start)
        assert response.status_code in (200, 204), (url, response.status_code)
    return statistics.median(samples) * 1000


def main() -> None:
    setup_test_environment()
    client = Client()
    emulator = get_default_emulator(0)
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    url = (
        f"/farms/{ids['farmId']}/queues/{ids['queueId']}/jobs/{ids['jobId']}"
        f"/steps/{ids['stepId']}/tasks/{ids['taskId']}/"
    )
    cache.clear()
    emulator.calls.reset()
    assert client.get(url).status_code == 200  # warm: task and names cached
    version = Task.from_api(
        emulator.backend.get_task(
            farm_id=ids["farmId"],
            queue_id=ids["queueId"],
            job_id=ids["jobId"],
            step_id=ids["stepId"],
            task_id=ids["taskId"],
        )
    ).version

    bare = median_ms(client, "/_bench/constant/")
    unchanged = median_ms(client, f"{url}?v={version}", HX_Request="true")
    changed = median_ms(client, f"{url}?v=stale", HX_Request="true")
    print(f"bare constant-string view            median {bare:7.3f} ms")
    print(
        f"task fragment, cache hit, unchanged  median {unchanged:7.3f} ms"
        f"   ratio {unchanged / bare:5.2f}x (target <= 3x)"
    )
    print(
        f"task fragment, cache hit, re-render  median {changed:7.3f} ms"
        f"   ratio {changed / bare:5.2f}x"
    )

    cache.clear()
    emulator.calls.reset()
    for _ in range(100):
        client.get(f"{url}?v={version}", headers={"HX-Request": "true"})
    print(f"GetTask calls for 100 polls within one TTL: {emulator.calls['GetTask']} (target 1)")


if __name__ == "__main__":
    main()
