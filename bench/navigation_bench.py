"""Navigation pages: API calls and median server time, in-process against the demo world.

Run: .venv/bin/python bench/navigation_bench.py   (prints figures; asserts nothing)
Each page is requested through Django's test Client (the whole middleware and template
stack) with the emulator answering in-process. "cold" clears the Django cache before every
run (every read goes to the API); "warm" repeats the request inside the cache TTL.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ.setdefault("DEADLINE_BACKEND", "demo")
os.environ.setdefault("DASHBOARD_LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from deadline_emulator import Emulator, set_default_emulator  # noqa: E402
from deadline_emulator.clock import Clock  # noqa: E402
from deadline_emulator.seed import DEMO_EPOCH  # noqa: E402

REPEAT = 7


def measure(client: Client, emulator: Emulator, url: str, *, cold: bool) -> tuple[int, float, int]:
    """(API calls per request, median ms, status) over REPEAT requests."""
    samples, calls, status = [], [], 0
    client.get(url)  # the emulator's own per-step caches warm up once, as on a live server
    for _ in range(REPEAT):
        if cold:
            cache.clear()
        else:
            client.get(url)
        emulator.calls.reset()
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        calls.append(emulator.calls.total())
        status = response.status_code
    return max(calls), statistics.median(samples) * 1000, status


def main() -> None:
    setup_test_environment()
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
    set_default_emulator(emulator, seed=0)
    client = Client()
    big = emulator.backend.landmarks()["big_step"]
    kwargs = {
        "farm_id": big["farmId"],
        "queue_id": big["queueId"],
        "job_id": big["jobId"],
        "step_id": big["stepId"],
    }
    step = reverse("step_detail", kwargs=kwargs)
    pages = [
        ("farms page", reverse("farm_list")),
        (
            "queue's jobs page (newest 50)",
            reverse("queue_detail", kwargs=dict(list(kwargs.items())[:2])),
        ),
        ("10,000-task step, page 1 of 200", f"{step}"),
        ("10,000-task step, page 100 of 200", f"{step}?page=100"),
        ("10,000-task step, page 200 of 200 (last)", f"{step}?page=200"),
        ("  FAILED only, page 1 of 3", f"{step}?status=FAILED"),
        ("  FAILED only, page 2 of 3", f"{step}?status=FAILED&page=2"),
        ("  FAILED only, page 3 of 3 (last)", f"{step}?status=FAILED&page=3"),
        ("step poll fragment, last page (htmx)", f"{step}?page=200"),
    ]
    print(f"{'page':<44} {'cold: calls':>11} {'median':>10}   {'warm: calls':>11} {'median':>10}")
    for label, url in pages:
        if label.startswith("step poll"):
            client.defaults["HTTP_HX_REQUEST"] = "true"
        cold = measure(client, emulator, url, cold=True)
        warm = measure(client, emulator, url, cold=False)
        client.defaults.pop("HTTP_HX_REQUEST", None)
        flag = "" if cold[2] == 200 else f"  (HTTP {cold[2]})"
        print(
            f"{label:<44} {cold[0]:>11} {cold[1]:>8.1f} ms   {warm[0]:>11} {warm[1]:>8.1f} ms{flag}"
        )


if __name__ == "__main__":
    main()
