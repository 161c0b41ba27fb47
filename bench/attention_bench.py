"""What needs attention (``/attention/``): API calls and server time, cold, warm and refreshed.

Run: .venv/bin/python -m bench.attention_bench   (prints figures; asserts nothing)

The emulator runs over HTTP in a process of its own (its CPU is not the dashboard's), its
clock pinned three days after the demo world's epoch; the dashboard reads it as it reads AWS
(DEADLINE_BACKEND=aws), in this process, through Django's test Client (the whole middleware
and template stack). Its "now" is the emulator's pinned instant (``client.backend_now`` is
patched here, as demo mode does), or every running task would look days old. The emulator's
own CPU time is printed beside: it is not what AWS would cost.

Two farms, each alone on the dashboard (DASHBOARD_FARMS): the demo world, and a synthetic
farm of 20 queues x 50 active jobs (the emulator's scenario builder, ``POST
/_emulator/scenarios/farm``). Each with no added latency and with 80 ms added to every API
call (``POST /_emulator/faults``).

- cold: an empty cache, the report built from the API;
- warm: inside DASHBOARD_ATTENTION_SECONDS every viewer gets the shared report (JSON, the
  HTML page, the header's count);
- refresh: the report has expired (the cache's clock moved past its TTL) and is rebuilt,
  re-reading only what expired with it.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
LATENCY_MS = 80.0
WARM_REPEAT = 20
START_TIMEOUT = 60.0
JSON = {"Accept": "application/json"}
HX = {"HX-Request": "true"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def http_json(url: str, payload: Any = None, method: str | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, data=data, method=method or ("GET" if payload is None else "POST")
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
        return json.load(response)


def start_emulator(clock_iso: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [
        sys.executable, "-m", "deadline_emulator", "--host", HOST, "--port", str(port),
        "--seed", "0", "--clock", clock_iso,
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the emulator exited with code {process.returncode} (see {log})")
        try:
            if "calls" in http_json(f"{url}/_emulator/calls"):
                return process, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the emulator did not start within {START_TIMEOUT:.0f} s")
        time.sleep(0.1)  # polling its readiness, bounded by the deadline above


def configure(emulator_url: str) -> None:
    """The dashboard reads the emulator exactly as it reads AWS."""
    for name in [n for n in os.environ if n.startswith(("AWS_", "DASHBOARD_", "DEADLINE_"))]:
        del os.environ[name]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DASHBOARD_AUTH="none",
        DASHBOARD_LOG_LEVEL="WARNING",
        DASHBOARD_API_LOG_LEVEL="WARNING",
        DEADLINE_BACKEND="aws",
        AWS_ENDPOINT_URL_DEADLINE=emulator_url,
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=emulator_url,
        AWS_DISABLE_HOST_PREFIX_INJECTION="true",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",  # noqa: S106 - the emulator ignores credentials
        AWS_DEFAULT_REGION="us-west-2",
        AWS_EC2_METADATA_DISABLED="true",
    )


class BenchClock:
    """The cache's clock, moved by hand to expire the report without sleeping."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def time(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


class Bench:
    def __init__(self, emulator_url: str, clock: BenchClock, emulator_pid: int) -> None:
        from django.test import Client

        self.url = emulator_url
        self.clock = clock
        self.pid = emulator_pid
        self.client = Client()

    def emulator_cpu(self) -> float:
        """Seconds of CPU the emulator's process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def calls(self) -> dict[str, int]:
        return dict(http_json(f"{self.url}/_emulator/calls")["calls"])

    def reset_calls(self) -> None:
        http_json(f"{self.url}/_emulator/calls/reset", {})

    def latency(self, ms: float) -> None:
        if ms:
            http_json(f"{self.url}/_emulator/faults", {"operation": "*", "latency_ms": ms})
        else:
            http_json(f"{self.url}/_emulator/faults", method="DELETE")

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, float, Any]:
        """(API calls, ms, response) of one request; ``self.spent`` the emulator's CPU ms."""
        self.reset_calls()
        cpu = self.emulator_cpu()
        start = time.perf_counter()
        response = self.client.get(path, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        self.spent = (self.emulator_cpu() - cpu) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        return sum(self.calls().values()), elapsed, response

    def measure(self, label: str, queues: int) -> None:
        from django.conf import settings
        from django.core.cache import cache

        cache.clear()
        cold_calls, cold_ms, response = self.get("/attention/", JSON)
        cold_cpu = self.spent
        per_operation = self.calls()
        items = len(response.json()["items"])
        warm = [self.get("/attention/", JSON) for _ in range(WARM_REPEAT)]
        page_calls, page_ms, _ = self.get("/attention/", {})
        count_calls, count_ms, _ = self.get("/attention/count/", HX)
        self.clock.advance(float(settings.DASHBOARD_ATTENTION_SECONDS) + 1)
        refresh_calls, refresh_ms, _ = self.get("/attention/", JSON)
        refresh_cpu = self.spent
        warm_calls = max(calls for calls, _, _ in warm)
        warm_ms = statistics.median(ms for _, ms, _ in warm)
        print(f"\n{label}: {queues} queues, {items} items")
        print(f"  cold     {cold_calls:5d} API calls ({cold_calls / queues:4.1f} per queue) "
              f"{cold_ms:9.1f} ms  (emulator CPU {cold_cpu:.0f} ms)")  # fmt: skip
        print("           " + ", ".join(f"{op} {n}" for op, n in sorted(per_operation.items())))
        print(f"  warm     {warm_calls:5d} API calls                   {warm_ms:9.1f} ms "
              f"(JSON, median of {WARM_REPEAT}); HTML page {page_calls} calls {page_ms:.1f} ms; "
              f"header count {count_calls} calls {count_ms:.1f} ms")  # fmt: skip
        print(f"  refresh  {refresh_calls:5d} API calls ({refresh_calls / queues:4.1f} per queue) "
              f"{refresh_ms:9.1f} ms  (emulator CPU {refresh_cpu:.0f} ms; after "
              "DASHBOARD_ATTENTION_SECONDS)")  # fmt: skip


def run(label: str, bench: Bench, queues: int) -> None:
    for latency in (0.0, LATENCY_MS):
        bench.latency(latency)
        bench.measure(f"{label}, {latency:g} ms per call", queues)
    bench.latency(0)


def pinned_instant() -> datetime:
    """The emulator's pinned clock: three days after the demo world's epoch."""
    from deadline_emulator.seed import DEMO_EPOCH

    return datetime.fromtimestamp(DEMO_EPOCH + 3 * 86400, tz=UTC)


@contextmanager
def emulated_dashboard(prefix: str) -> Iterator[tuple[Bench, str]]:
    """What every bench of this kind sets up: the emulator in a process of its own (its clock
    pinned), this process's Django reading it as it reads AWS, at the emulator's instant, the
    cache's clock moved by hand; the Bench and the emulator's URL. The emulator is stopped after."""
    pinned = pinned_instant()
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        clock_iso = pinned.strftime("%Y-%m-%dT%H:%M:%SZ")
        process, url = start_emulator(clock_iso, Path(workdir) / "emulator.log")
        try:
            configure(url)
            import django

            django.setup()
            from django.test.utils import setup_test_environment

            from tasks_app.deadline import client, resilience

            setup_test_environment()
            client.backend_now = lambda: pinned  # the emulator's instant, as in demo mode
            clock = BenchClock()
            resilience.set_clock(clock)
            yield Bench(url, clock, process.pid), url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> None:
    with emulated_dashboard("dtd-attention-bench-") as (bench, url):
        from django.conf import settings

        measure_farms(bench, url, settings)


def measure_farms(bench: Bench, url: str, settings: Any) -> None:
    from tasks_app.deadline.calls import call

    farms = [f["farmId"] for f in call("ListFarms")["farms"]]
    queues = sum(len(call("ListQueues", farmId=f)["queues"]) for f in farms)
    settings.DASHBOARD_FARMS = farms
    warm_up(bench)
    run("Demo world", bench, queues)

    built = http_json(f"{url}/_emulator/scenarios/farm", {"queues": 20, "jobsPerQueue": 50})
    settings.DASHBOARD_FARMS = [built["farmId"]]
    warm_up(bench)
    run("Synthetic farm (20 queues x 50 active jobs)", bench, len(built["queues"]))


def warm_up(bench: Bench) -> None:
    """The emulator's own per-step caches fill once, as on a live server."""
    from django.core.cache import cache

    cache.clear()
    bench.get("/attention/", JSON)


if __name__ == "__main__":
    main()
