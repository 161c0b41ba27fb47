"""Why isn't it running? API calls and time for the blockers of one job, cold and warm.

Run: .venv/bin/python -m bench.blockers_bench   (prints figures; asserts nothing)

A farm of one queue of 200 running jobs (the emulator's scenario builder) whose queue is
associated with 3 fleets, every API call slowed by 80 ms (the emulator's latency fault).
In-process through Django's full middleware stack (test Client), the JSON of
``/farms/<farm>/queues/<queue>/jobs/<job>/blockers/`` for one of its jobs:

- cold: an empty cache, everything read from the API (three rounds of concurrent reads:
  the job and queue; its fleets, budgets and waiting steps; the queues sharing its fleets);
- warm: the same request again inside the reads' TTLs (DASHBOARD_ATTENTION_SECONDS).

Targets: under 2 s cold, 0 calls warm.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("DASHBOARD_LOG_LEVEL", "WARNING")  # one log line per API call otherwise

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from deadline_emulator import get_default_emulator  # noqa: E402
from deadline_emulator.scenarios import add_farm  # noqa: E402
from deadline_emulator.scheduling_lab import lab_fleet  # noqa: E402
from tasks_app.deadline import resilience  # noqa: E402

LATENCY_MS = 80.0
COLD_REPEAT = 5
WARM_REPEAT = 20
JOBS = 200
FLEETS = 3


def build() -> tuple[object, str]:
    """The farm, its queue on three fleets, and the URL of one job's blockers."""
    emulator = get_default_emulator(0)
    backend = emulator.backend
    built = add_farm(backend, queues=1, jobs_per_queue=JOBS, workers=40, name="Blockers bench")
    farm_id = built["farmId"]
    queue_id = built["queues"][0]["queueId"]
    for n in range(1, FLEETS):
        fleet, workers = lab_fleet(
            0, farm_id, f"bench:{n}", f"Bench fleet {n}", 10, status="ACTIVE", os_family="LINUX"
        )
        backend.add_fleet(fleet, workers)
        backend.create_queue_fleet_association(
            farm_id=farm_id, queue_id=queue_id, fleet_id=fleet.fleet_id
        )
    job_id = built["queues"][0]["jobIds"][JOBS // 2]
    return emulator, f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/blockers/"


def forget() -> None:
    cache.clear()
    resilience.near_cache().forget()


def main() -> None:
    setup_test_environment()
    emulator, url = build()
    client = Client()
    emulator.faults.set("*", latency_ms=LATENCY_MS)
    print(f"Blockers of one job: {JOBS} jobs, {FLEETS} fleets, {LATENCY_MS:.0f} ms per call")
    cold, calls = [], {}
    for _ in range(COLD_REPEAT):
        forget()
        emulator.calls.reset()
        start = time.perf_counter()
        response = client.get(url, headers={"Accept": "application/json"})
        cold.append(time.perf_counter() - start)
        calls = emulator.calls.snapshot()
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    kinds = [b["kind"] for b in response.json()["blockers"]]
    warm = []
    emulator.calls.reset()
    for _ in range(WARM_REPEAT):
        start = time.perf_counter()
        client.get(url, headers={"Accept": "application/json"})
        warm.append(time.perf_counter() - start)
    warm_calls = sum(emulator.calls.snapshot().values())
    emulator.faults.clear()
    detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
    print(f"  cold: {sum(calls.values())} calls, median {statistics.median(cold) * 1000:,.0f} ms")
    print(f"        {detail}")
    warm_ms = statistics.median(warm) * 1000
    print(f"  warm: {warm_calls / WARM_REPEAT:.0f} calls, median {warm_ms:,.1f} ms")
    print(f"  blockers found: {', '.join(kinds) or 'none'}")


if __name__ == "__main__":
    main()
