"""Emulator speed: world build time, GetTask and ListTasks (100 items) in-process; the
big-job scenario (10,000 / 50,000 / 100,000 tasks) built and first read, BatchUpdateTask of
100 items, and a step read right after a write.

Run: .venv/bin/python -m bench.emulator_bench   (prints figures; asserts nothing)
Targets: GetTask median under 2 ms in-process; full demo world built under 2 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.transport import in_process_client

COLD_BUILD = """
import time
start = time.perf_counter()
from deadline_emulator import Emulator
backend = Emulator(seed=0).backend
for farm in backend.list_farms()["farms"]:
    for queue in backend.list_queues(farm_id=farm["farmId"])["queues"]:
        backend.list_jobs(farm_id=farm["farmId"], queue_id=queue["queueId"])
print(time.perf_counter() - start)
"""


def cold_build_seconds() -> float:
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", COLD_BUILD], cwd=root, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def report(label: str, samples: list[float]) -> None:
    median = statistics.median(samples)
    print(f"{label:<42} median {median * 1000:7.3f} ms   {1 / median:9.0f} calls/s")


def main() -> None:
    clock = Clock(pinned_at=DEMO_EPOCH + 5 * 86400)
    # A fresh interpreter per build, so nothing cached by an earlier build helps.
    builds = [cold_build_seconds() for _ in range(3)]
    print(
        f"{'demo world build, fresh process (median 3)':<42} "
        f"{statistics.median(builds) * 1000:7.1f} ms   target < 2000 ms"
    )
    emulator = Emulator(seed=0, clock=clock)

    client = in_process_client(emulator)
    marks = emulator.backend.landmarks()
    task = marks["failed_with_retries_task"]
    step = marks["big_step"]

    def get_task() -> None:
        client.get_task(**task)

    def list_tasks() -> None:
        client.list_tasks(**step, maxResults=100)

    get_task()
    report("GetTask, in-process transport", timed(get_task, 2000))
    print(f"{'':<42} target < 2 ms median")
    list_tasks()
    report("ListTasks (100 items), in-process", timed(list_tasks, 200))
    big_jobs(clock)


def big_jobs(clock: Clock) -> None:
    """The big-job scenario: first read (all task states at once), then writes and reads."""
    for tasks in (10_000, 50_000, 100_000):
        emulator = Emulator(seed=0, clock=clock)
        client = in_process_client(emulator)
        assert emulator.backend is not None  # the demo world is not what is timed
        start = time.perf_counter()
        made = emulator.add_big_job(tasks=tasks, failed_tasks=300)
        step = {k: made[k] for k in ("farmId", "queueId", "jobId", "stepId")}
        client.get_step(**step)
        label = f"big job of {tasks:,} tasks: built + first read"
        print(f"{label:<42} {(time.perf_counter() - start) * 1000:7.0f} ms")
    chunks = [made["failedTaskIds"][n : n + 100] for n in range(0, 300, 100)]
    samples = []
    for chunk in chunks:
        items = [{**step, "taskId": task, "targetRunStatus": "READY"} for task in chunk]
        begin = time.perf_counter()
        client.batch_update_task(tasks=items)
        samples.append(time.perf_counter() - begin)
    report("BatchUpdateTask (100 items), 100,000 tasks", samples)
    report(
        "GetStep right after a write, 100,000 tasks",
        timed(lambda: write_then_read(client, step, made), 5),
    )


def write_then_read(client, step: dict[str, str], made: dict) -> None:
    client.update_task(**step, taskId=made["failedTaskIds"][0], targetRunStatus="FAILED")
    client.update_task(**step, taskId=made["failedTaskIds"][0], targetRunStatus="READY")
    client.get_step(**step)


if __name__ == "__main__":
    main()
