"""Failures views: API calls and time to the first group and to completion, cold and
warm, for a job with 500 failed tasks over 3 steps, with 80 ms added to every API call.

Run: .venv/bin/python -m bench.failures_bench   (prints figures; asserts nothing)

The emulator serves over HTTP from its own process (its log generation must not share this
process's CPU, as AWS would not) with 80 ms added to every call, Deadline Cloud and
CloudWatch Logs alike; its world is grown with the scenario builder (POST
/_emulator/scenarios/failed-job: 500 failed tasks over 3 steps, five distinct causes, three
failed attempts each). The dashboard runs in this process (``DEADLINE_BACKEND=aws`` pointed
at the emulator) through Django's full middleware stack. A browser is played by the view's
JSON: the first request starts the analysis, then a poll every POLL_SECONDS (the page's htmx
polls do the same, every second) until ``complete``. For the job view and one step's view:

- cold: caches empty; API calls by operation, time to the first group, time to completion;
- warm: a second viewer right after (the shared cache holds everything);
- refresh after the list of failed tasks expired (30 s for a finished job): only that list
  is read again, never a log;
- the page itself, cold: the first HTML answer with the default first-paint wait (1.5 s).

Targets: first group under 2 s, complete under 10 s cold, 0 API calls warm.
FAILURES_BENCH_LATENCY_MS and FAILURES_BENCH_TASKS change the latency and the failed tasks.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.scale_bench import api_round_trip_ms, emulator_server, http_json
from tests.conftest import PINNED_AT

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("DASHBOARD_LOG_LEVEL", "WARNING")  # one log line per API call otherwise
os.environ.setdefault("DASHBOARD_FAILURES_FIRST_PAINT_SECONDS", "0")
os.environ["DASHBOARD_AUTH"] = "none"

LATENCY_MS = float(os.environ.get("FAILURES_BENCH_LATENCY_MS", "80"))
FAILED_TASKS = int(os.environ.get("FAILURES_BENCH_TASKS", "500"))
POLL_SECONDS = 0.2
TIMEOUT_SECONDS = 120.0
CAUSES = ("texture", "oom", "segfault", "license", "nfs")


def show_calls(label: str, calls: dict[str, int]) -> None:
    total = sum(calls.values())
    detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items())) or "none"
    print(f"  {label:<38} {total:4d} API calls: {detail}")


class Bench:
    """The dashboard in this process, the emulator at ``emulator_url``."""

    def __init__(self, emulator_url: str, round_trip_ms: float) -> None:
        from django.test import Client

        self.client = Client()
        self.emulator_url = emulator_url
        self.trip = round_trip_ms / 1000

    def calls(self) -> dict[str, int]:
        return {
            k: v for k, v in http_json(f"{self.emulator_url}/_emulator/calls")["calls"].items() if v
        }

    def reset_calls(self) -> None:
        http_json(f"{self.emulator_url}/_emulator/calls/reset", {})

    def until_complete(self, url: str) -> tuple[float | None, float, dict]:
        """(seconds to the first group, seconds to ``complete``, the last answer)."""
        started = time.perf_counter()
        first: float | None = None
        while True:
            data = self.client.get(url, {"format": "json"}).json()
            elapsed = time.perf_counter() - started
            if first is None and data["groups"]:
                first = elapsed
            if data["complete"]:
                return first, elapsed, data
            if elapsed > TIMEOUT_SECONDS:
                raise SystemExit(f"{url}: not complete after {TIMEOUT_SECONDS:g} s")
            time.sleep(POLL_SECONDS)

    def view(self, label: str, url: str, scope: object) -> None:
        from django.core.cache import cache
        from django.test.utils import override_settings

        from tasks_app.selectors import failures
        from tasks_app.services.failure_analysis import runner as failure_analysis

        print(f"\n{label}")
        cache.clear()
        failure_analysis.drain()
        self.reset_calls()
        first, done, data = self.until_complete(url)
        failure_analysis.drain()  # reads still under way when it completed are counted too
        cold = self.calls()
        groups = data["groups"]
        print(
            f"  {data['failed_tasks']} failed tasks in {len(groups)} groups "
            f"({', '.join(str(g['tasks']) for g in groups)}); "
            f"{len(data['worker_clusters'])} worker cluster(s)"
        )
        show_calls("cold", cold)
        first_text = "never" if first is None else f"{first:.2f} s ({first / self.trip:.0f} trips)"
        print(
            f"  {'cold':<38} first group {first_text}, "
            f"complete {done:.2f} s ({done / self.trip:.0f} trips)"
        )

        self.reset_calls()
        _, done, _ = self.until_complete(url)
        show_calls("warm (a second viewer)", self.calls())
        print(f"  {'warm':<38} complete {done * 1000:.0f} ms")

        failures.forget_listing(scope)  # type: ignore[arg-type]
        self.reset_calls()
        _, done, _ = self.until_complete(url)
        failure_analysis.drain()
        show_calls("refresh after the list expired", self.calls())
        print(f"  {'refresh after the list expired':<38} complete {done:.2f} s")

        cache.clear()
        with override_settings(DASHBOARD_FAILURES_FIRST_PAINT_SECONDS=1.5):
            started = time.perf_counter()
            response = self.client.get(url)
            first_page = time.perf_counter() - started
        failure_analysis.drain()
        shown = response.content.decode().count('class="failure-group panel"')
        print(f"  {'the page, cold (first paint <= 1.5 s)':<38} {first_page:.2f} s, {shown} groups")


def main() -> None:
    clock = datetime.fromtimestamp(PINNED_AT, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with (
        tempfile.TemporaryDirectory(prefix="dtd-failures-bench-") as workdir,
        emulator_server(clock, Path(workdir)) as emulator_url,
    ):
        built = http_json(
            f"{emulator_url}/_emulator/scenarios/failed-job",
            {"failedTasks": FAILED_TASKS, "steps": 3, "causes": list(CAUSES)},
        )
        http_json(f"{emulator_url}/_emulator/faults", {"operation": "*", "latency_ms": LATENCY_MS})
        os.environ.update(
            DEADLINE_BACKEND="aws",
            AWS_ENDPOINT_URL_DEADLINE=emulator_url,
            AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=emulator_url,
            AWS_DISABLE_HOST_PREFIX_INJECTION="true",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - the emulator ignores credentials
            AWS_DEFAULT_REGION="us-west-2",
        )
        import django

        django.setup()
        from django.test.utils import setup_test_environment

        from tasks_app.selectors.failures import FailureScope

        setup_test_environment()
        task = built["failedTasks"][0]
        trip = api_round_trip_ms(
            emulator_url,
            {
                "farmId": built["farmId"],
                "queueId": built["queueId"],
                "jobId": built["jobId"],
                "stepId": task["stepId"],
                "taskId": task["taskId"],
            },
        )
        bench = Bench(emulator_url, trip)
        ids = {"farm_id": built["farmId"], "queue_id": built["queueId"], "job_id": built["jobId"]}
        job_url = (
            f"/farms/{built['farmId']}/queues/{built['queueId']}/jobs/{built['jobId']}/failures/"
        )
        step = built["steps"][0]
        print("Failures views: the dashboard in-process, the emulator over HTTP in its own process")
        print(
            f"{FAILED_TASKS} failed tasks over {len(built['steps'])} steps, causes "
            f"{', '.join(CAUSES)}; {LATENCY_MS:g} ms added to every API call (Deadline Cloud and "
            f"CloudWatch Logs); DASHBOARD_FAILURES_CONCURRENCY="
            f"{os.environ.get('DASHBOARD_FAILURES_CONCURRENCY', '12')}, "
            f"DASHBOARD_FAILURES_MAX_LOGS={os.environ.get('DASHBOARD_FAILURES_MAX_LOGS', '300')}"
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"one API round trip (GetTask, median of 20): {trip:.0f} ms; load average {load}")
        bench.view(f"Job view: {job_url}", job_url, FailureScope(**ids))
        step_url = job_url.replace("/failures/", f"/steps/{step['stepId']}/failures/")
        bench.view(
            f"Step view ({step['name']}): {step_url}",
            step_url,
            FailureScope(**ids, step_id=step["stepId"]),
        )


if __name__ == "__main__":
    main()
