"""Usage and a job's timeline: API calls and time, cold and warm, with 80 ms per call.

Run: .venv/bin/python -m bench.usage_bench   (prints figures; asserts nothing)

As ``attention_bench``: the emulator runs over HTTP in a process of its own, its clock pinned
three days after the demo world's epoch, every call delayed 80 ms (``POST /_emulator/faults``);
the dashboard reads it as it reads AWS, in this process, through Django's test Client. The
emulator's own CPU time is printed beside: it is not what AWS would cost.

- usage: ``/farms/<farm>/usage/?days=30&group=queue`` of a synthetic farm of 20 queues x 50
  active jobs (``POST /_emulator/scenarios/farm``): three aggregations in two chunks of 10
  queues, each started and polled;
- timeline: ``/farms/…/jobs/<job>/timeline/`` of the demo world's 10,000-task job zoomed out
  (SearchTasks pages and BatchGetSession at once, ListSessionActions of 32 sampled sessions,
  GetWorker per worker), then zoomed into a two-hundredth of it (every ListSessions page, once,
  and each session's actions in the window).

cold: an empty cache; warm: the next viewer (the shared cached answer). Before the cold
figures the emulator is asked, with no latency and outside the figures, for each job's sessions
and the big job's tasks: the emulator simulates its world on first reading (seconds of its CPU
for 1,000 jobs or a 10,000-task step), where AWS has it stored; the dashboard's own cache stays
empty.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from bench.attention_bench import (
    LATENCY_MS,
    Bench,
    emulated_dashboard,
    http_json,
    pinned_instant,
)

JSON = {"Accept": "application/json"}
WARM_REPEAT = 5


def measure(bench: Bench, label: str, path: str, *, clear: bool = True) -> Any:
    """Print one view's figures; answer its cold JSON."""
    from django.core.cache import cache

    if clear:
        cache.clear()
    dashboard_cpu = time.process_time()
    cold_calls, cold_ms, cold = bench.get(path, JSON)
    dashboard_cpu = (time.process_time() - dashboard_cpu) * 1000
    cold_cpu = bench.spent
    per_operation = bench.calls()
    background = _drain(bench)
    warm = [bench.get(path, JSON) for _ in range(WARM_REPEAT)]
    page_calls, page_ms, _ = bench.get(path, {})
    print(f"\n{label}\n  {path}")
    print(
        f"  cold  {cold_calls:5d} API calls {cold_ms:10.1f} ms  (emulator CPU {cold_cpu:.0f} ms, "
        f"dashboard CPU {dashboard_cpu:.0f} ms; load average {os.getloadavg()[0]:.1f})"
    )
    print("        " + ", ".join(f"{op} {n}" for op, n in sorted(per_operation.items())))
    if background:
        print("        then in the background: " + ", ".join(f"{op} {n}" for op, n in background))
    print(
        f"  warm  {max(c for c, _, _ in warm):5d} API calls "
        f"{statistics.median(ms for _, ms, _ in warm):10.1f} ms  (JSON, median of {WARM_REPEAT});"
        f" HTML page {page_calls} calls {page_ms:.1f} ms"
    )
    return cold.json()


def main() -> None:
    from deadline_emulator import Emulator
    from deadline_emulator.clock import Clock

    pinned = pinned_instant().timestamp()
    big = Emulator(seed=0, clock=Clock(pinned_at=pinned)).backend.landmarks()["big_job"]
    with emulated_dashboard("dtd-usage-bench-") as (bench, url):
        run(bench, url, big)


def _emulator_client(url: str) -> Any:
    import boto3

    return boto3.client(
        "deadline",
        endpoint_url=url,
        region_name="us-west-2",
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator takes any
    )


def warm_farm(url: str, farm_id: str) -> float:
    """Have the emulator simulate every job of the farm (one ListSessions each), straight
    from boto3 with no latency; seconds taken."""
    deadline = _emulator_client(url)
    start = time.perf_counter()
    for queue in deadline.list_queues(farmId=farm_id, maxResults=100)["queues"]:
        pages = deadline.get_paginator("list_jobs").paginate(
            farmId=farm_id, queueId=queue["queueId"]
        )
        for job in (job for page in pages for job in page["jobs"]):
            deadline.list_sessions(
                farmId=farm_id, queueId=queue["queueId"], jobId=job["jobId"], maxResults=1
            )
    return time.perf_counter() - start


def warm_job(url: str, job: dict[str, Any]) -> float:
    """The same for one job: its tasks (SearchTasks) and its sessions."""
    deadline = _emulator_client(url)
    start = time.perf_counter()
    ids = {"farmId": job["farmId"], "jobId": job["jobId"]}
    deadline.search_tasks(**ids, queueIds=[job["queueId"]], itemOffset=0)
    deadline.list_sessions(**ids, queueId=job["queueId"], maxResults=1)
    return time.perf_counter() - start


def run(bench: Bench, url: str, big: dict[str, Any]) -> None:
    built = http_json(f"{url}/_emulator/scenarios/farm", {"queues": 20, "jobsPerQueue": 50})
    bench.get("/farms/", {})  # the first request imports the views and builds the clients
    warmed = warm_farm(url, built["farmId"])
    print(f"The emulator simulated the farm's jobs in {warmed:.1f} s (outside the figures)")
    bench.latency(LATENCY_MS)
    measure(
        bench,
        f"Usage, 30 days, a farm of {len(built['queues'])} queues x 50 jobs, "
        f"{LATENCY_MS:g} ms per call",
        f"/farms/{built['farmId']}/usage/?days=30&group=queue",
    )
    timeline = f"/farms/{big['farmId']}/queues/{big['queueId']}/jobs/{big['jobId']}/timeline/"
    warmed = warm_job(url, big)
    print(f"\nThe emulator simulated the big job in {warmed:.1f} s (outside the figures)")
    overview = measure(
        bench,
        f"Timeline of the demo world's 10,000-task job, zoomed out, {LATENCY_MS:g} ms per call",
        timeline,
    )
    start, end = (_epoch(overview["view"][edge]) for edge in ("start", "end"))
    middle, width = (start + end) / 2, (end - start) / 200
    window = {"start": _iso(middle), "end": _iso(middle + width)}
    measure(
        bench,
        "The same job zoomed into a two-hundredth of it (exact), the first zoom after the overview",
        f"{timeline}?{urlencode(window)}",
        clear=False,
    )
    measure(bench, "The same zoom with nothing cached", f"{timeline}?{urlencode(window)}")
    bench.latency(0)


def _drain(bench: Bench) -> list[tuple[str, int]]:
    """Wait for reads the page left running in the background; what they called."""
    from tasks_app.deadline import resilience

    bench.reset_calls()
    resilience.drain_reads()
    return sorted(bench.calls().items())


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


if __name__ == "__main__":
    main()
