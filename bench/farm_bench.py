"""The farm side's pages: API calls and time, cold and warm, with 80 ms added to every call.

Run: .venv/bin/python -m bench.farm_bench   (prints figures; asserts nothing)

The demo world plus a fleet of 5,000 workers (the emulator's big-fleet scenario builder) in
its first farm; every API call slowed by 80 ms (the emulator's latency fault). In-process
through Django's full middleware stack (test Client), each page's HTML:

- the farm's fleets page (ListFleets, the queue associations, every fleet's workers listed
  for their counts by status: the 5,000-worker fleet's 50 SearchWorkers pages, 8 at a time);
- the 5,000-worker fleet, first page (one SearchWorkers call, no filter, no sort);
- the same fleet filtered by status and host name (its whole listing);
- one busy worker's page (GetWorker, every ListSessionsForWorker page, the newest sessions'
  task runs, 6 hours of its worker log, the fleet's recent record).

cold: an empty cache, everything read from the API; warm: the same request again inside
the reads' TTLs.
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
from django.urls import reverse  # noqa: E402

from deadline_emulator import get_default_emulator  # noqa: E402
from tasks_app.deadline import resilience  # noqa: E402

LATENCY_MS = float(os.environ.get("FARM_BENCH_LATENCY_MS", "80"))
WORKERS = 5_000
COLD_REPEAT = 3
WARM_REPEAT = 5


def forget() -> None:
    cache.clear()
    resilience.near_cache().forget()


def pages(emulator: object) -> list[tuple[str, str]]:
    backend = emulator.backend  # type: ignore[attr-defined]
    big = emulator.add_big_fleet(workers=WORKERS)  # type: ignore[attr-defined]
    farm_id, fleet_id = big["farmId"], big["fleetId"]
    main = next(f for f in backend.world.fleets if f.farm_id == farm_id)
    busy = next(
        w for w in backend.world.workers if w.fleet_id == main.fleet_id and w.status == "RUNNING"
    )
    fleet_url = reverse("fleet_detail", args=[farm_id, fleet_id])
    return [
        ("fleets page (3 fleets, one of 5,000 workers)", reverse("fleet_list", args=[farm_id])),
        ("5,000-worker fleet, first page", fleet_url),
        ("5,000-worker fleet, STOPPED on hosts bf1-01*", f"{fleet_url}?status=STOPPED&host=bf1-01"),
        (
            "worker page (busy worker, 6 h of charts)",
            reverse("worker_detail", args=[farm_id, main.fleet_id, busy.worker_id]),
        ),
    ]


def measure(client: Client, emulator: object, url: str, *, cold: bool) -> tuple[int, float]:
    """(API calls of one request, median ms)."""
    samples, calls = [], 0
    if not cold:
        client.get(url)
    for _ in range(COLD_REPEAT if cold else WARM_REPEAT):
        if cold:
            forget()
        emulator.calls.reset()  # type: ignore[attr-defined]
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        calls = emulator.calls.total()  # type: ignore[attr-defined]
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return calls, statistics.median(samples) * 1000


def main() -> None:
    setup_test_environment()
    emulator = get_default_emulator(0)
    client = Client()
    targets = pages(emulator)
    for _, url in targets:  # the emulator's own per-step caches warm up once, as when live
        client.get(url)
    emulator.faults.set("*", latency_ms=LATENCY_MS)
    print(f"Farm side pages, {LATENCY_MS:.0f} ms per API call (HTML, in-process)")
    print(f"  {'page':<48} {'cold calls':>10} {'cold ms':>9} {'warm calls':>10} {'warm ms':>9}")
    for label, url in targets:
        cold_calls, cold_ms = measure(client, emulator, url, cold=True)
        warm_calls, warm_ms = measure(client, emulator, url, cold=False)
        print(
            f"  {label:<48} {cold_calls:>10,} {cold_ms:>9,.0f} {warm_calls:>10,} {warm_ms:>9,.1f}"
        )
    emulator.faults.clear()


if __name__ == "__main__":
    main()
