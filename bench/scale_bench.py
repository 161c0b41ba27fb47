"""Scale-out bench: many viewers, two gunicorn workers, one Redis, one API budget.

Run: .venv/bin/python -m bench.scale_bench [--seconds 60]   (prints figures; asserts nothing)

Starts, on 127.0.0.1 only: a throw-away redis-server, the emulator over HTTP with 80 ms added
to every API call (clock pinned, so the watched task stays RUNNING), and the dashboard under
gunicorn (2 workers x 8 threads, hashed + compressed static files) sharing that Redis. Then:

1. 200 viewers open one RUNNING task and poll its fragment every 5 s, as htmx does (holding
   the version they were last given): GetTask calls counted at the emulator, latencies, errors;
2. requests/s of the cached task fragment vs a bare constant-string view, same server;
3. cold task page (Redis flushed) as a ratio to one GetTask round trip from here;
4. bytes on the wire of an unchanged poll (its 204, read from a raw socket);
5. 1. again with the per-process cache (gunicorn restarted without DASHBOARD_CACHE_URL).

The load generator is raw sockets and threads (~30 µs of CPU per request), so on a small
machine it takes as little of the CPU as a Python client can.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from tests.redis_server import free_port, redis_server

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
API_LATENCY_MS = 80.0
TTL_SECONDS = 5.0
NEAR_CACHE_SECONDS = 1.0  # the dashboard's default DEADLINE_NEAR_CACHE_SECONDS
POLL_SECONDS = 5.0
WORKERS = 2
THREADS = 8
RECONNECT_EVERY = 200  # throughput clients' requests per connection
THROUGHPUT_ROUNDS = 5
# Headroom targets: an unchanged poll and a re-rendered panel against a bare view
# on the same server, and a cold task page against one API round trip.
UNCHANGED_TARGET = 0.8
RENDERED_TARGET = 0.6
COLD_TARGET = 1.1
START_TIMEOUT = 60.0  # world build, collectstatic, gunicorn boot: each well under this
PANEL_VERSION = re.compile(rb'id="task-panel"[^>]*?data-version="([^"]+)"')
ASSET_URL = re.compile(rb'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"')
ANY_URL = re.compile(rb'\b(?:src|href|action)="([^"]*)"')


# --- A lean HTTP/1.1 client ---------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    head: bytes  # status line + headers, as received
    body: bytes
    wire_bytes: int  # everything the server sent for this answer

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode()
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == wanted:
                return value.strip().decode("latin-1")
        return None


class Connection:
    """One keep-alive HTTP/1.1 connection on a raw socket (reconnects when the server hangs up)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buffer = b""

    def connect(self) -> None:
        self.close()
        self.sock = socket.create_connection((HOST, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, raw: bytes) -> Answer:
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        self.sock.sendall(raw)
        return self._read_answer()

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection mid-answer")
        return chunk

    def _read_answer(self) -> Answer:
        buf = self.buffer
        while (end := buf.find(b"\r\n\r\n")) < 0:
            buf += self._recv()
        head, rest = buf[:end], buf[end + 4 :]
        status = int(head.split(b" ", 2)[1])
        answer = Answer(status, head, b"", end + 4)
        length = answer.header("Content-Length")
        if status in (204, 304) or status < 200:
            size = 0
        elif length is not None:
            size = int(length)
        elif (answer.header("Transfer-Encoding") or "").lower() == "chunked":
            body, rest, size = self._read_chunked(rest)
            answer.body, answer.wire_bytes = body, answer.wire_bytes + size
            self._finish(answer, rest)
            return answer
        else:  # no framing: the body runs until the server closes
            try:
                while chunk := self.sock.recv(262144) if self.sock else b"":
                    rest += chunk
            finally:
                self.close()
            answer.body, answer.wire_bytes = rest, answer.wire_bytes + len(rest)
            return answer
        while len(rest) < size:
            rest += self._recv()
        answer.body, answer.wire_bytes = rest[:size], answer.wire_bytes + size
        self._finish(answer, rest[size:])
        return answer

    def _read_chunked(self, data: bytes) -> tuple[bytes, bytes, int]:
        body, consumed = bytearray(), 0
        while True:
            while (eol := data.find(b"\r\n")) < 0:
                data += self._recv()
            size = int(data[:eol].split(b";")[0], 16)
            while len(data) < eol + 2 + size + 2:
                data += self._recv()
            body += data[eol + 2 : eol + 2 + size]
            consumed += eol + 2 + size + 2
            data = data[eol + 2 + size + 2 :]
            if size == 0:
                return bytes(body), data, consumed

    def _finish(self, answer: Answer, rest: bytes) -> None:
        if (answer.header("Connection") or "").lower() == "close":
            self.close()
        else:
            self.buffer = rest


def get_request(port: int, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: scale-bench"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def htmx_headers(port: int, page: str) -> dict[str, str]:
    """What htmx 2 sends with a poll of the task panel."""
    return {
        "Accept": "*/*",
        "HX-Request": "true",
        "HX-Current-URL": f"http://{HOST}:{port}{page}",
        "HX-Target": "task-panel",
        "HX-Trigger": "task-panel",
    }


def fetch_once(port: int, path: str, headers: dict[str, str] | None = None) -> Answer:
    return fetch_once_raw(port, get_request(port, path, headers))


def fetch_once_raw(port: int, raw: bytes) -> Answer:
    """One request on a new connection, closed afterwards."""
    connection = Connection(port)
    try:
        return connection.request(raw)
    finally:
        connection.close()


# --- Processes ------------------------------------------------------------------------------


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it is still there after a grace period."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    """Poll ``ready`` until true; fail if ``process`` exits or START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            if ready():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {START_TIMEOUT:.0f} s")
        time.sleep(0.1)  # polling a readiness condition, bounded by the deadline above


def http_json(url: str, payload: Any = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    method = "GET" if payload is None else "POST"
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


@contextmanager
def emulator_server(clock_iso: str, log_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable, "-m", "deadline_emulator", "--host", HOST, "--port", str(port),
        "--seed", "0", "--latency-ms", str(API_LATENCY_MS), "--clock", clock_iso,
    ]  # fmt: skip
    with open(log_dir / "emulator.log", "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://{HOST}:{port}"
    try:
        wait_until(lambda: "calls" in http_json(f"{url}/_emulator/calls"), process, "emulator")
        yield url
    finally:
        stop(process)


def dashboard_env(emulator_url: str, cache_url: str | None, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DASHBOARD_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_DB_PATH=str(workdir / "bench.sqlite3"),
        BENCH_STATIC_ROOT=str(workdir / "static"),
        DASHBOARD_STATIC_MANIFEST="1",
        DASHBOARD_AUTH="none",
        DASHBOARD_POLL_SECONDS=str(POLL_SECONDS),
        DEADLINE_CACHE_SECONDS=str(TTL_SECONDS),
        DEADLINE_NEAR_CACHE_SECONDS=str(NEAR_CACHE_SECONDS),
        DEADLINE_BACKEND="aws",
        AWS_ENDPOINT_URL_DEADLINE=emulator_url,
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=emulator_url,
        AWS_DISABLE_HOST_PREFIX_INJECTION="true",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",  # noqa: S106 - the emulator ignores credentials
        AWS_DEFAULT_REGION="us-west-2",
        AWS_EC2_METADATA_DISABLED="true",
    )
    if cache_url:
        env["DASHBOARD_CACHE_URL"] = cache_url
    return env


def prepare_dashboard(env: dict[str, str], log_dir: Path) -> None:
    """collectstatic (hashed, compressed) into the temp STATIC_ROOT, migrate the temp DB."""
    manage = [sys.executable, "manage.py"]
    with open(log_dir / "prepare.log", "wb") as log:
        for args in (["collectstatic", "--noinput"], ["migrate", "--noinput"]):
            subprocess.run(
                manage + args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True
            )


@contextmanager
def dashboard_server(env: dict[str, str], log_dir: Path, label: str) -> Iterator[DashboardProcess]:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "dashboard.wsgi", "--bind", f"{HOST}:{port}",
        "--workers", str(WORKERS), "--threads", str(THREADS),
    ]  # fmt: skip
    log_path = log_dir / f"gunicorn-{label}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until(
            lambda: (
                fetch_once(port, "/_bench/constant/").status == 200
                and len(children(process.pid)) == WORKERS
            ),
            process,
            "gunicorn",
        )
        yield DashboardProcess(port, process, log_path)
    finally:
        stop(process)


@dataclass
class DashboardProcess:
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- The demo world, seen from the bench --------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    watched: dict[str, str]  # the RUNNING task the viewers watch
    cold: list[dict[str, str]]  # other RUNNING tasks, one per job, for cold page loads


def pick_tasks(clock_at: float, cold_count: int) -> Targets:
    """RUNNING tasks at the pinned instant, computed here from the same seed and clock."""
    from deadline_emulator import Emulator
    from deadline_emulator.clock import Clock

    backend = Emulator(seed=0, clock=Clock(pinned_at=clock_at)).backend
    running = backend.find_tasks("RUNNING", include_landmarks=False)
    if len(running) < cold_count + 1:
        raise RuntimeError(f"only {len(running)} RUNNING tasks in the demo world")
    # Distinct jobs first (no name read shared by accident), then any other running task.
    others = running[1:]
    seen_jobs = {running[0]["jobId"]}
    cold = []
    for ids in others:
        if ids["jobId"] not in seen_jobs:
            seen_jobs.add(ids["jobId"])
            cold.append(ids)
    cold += [ids for ids in others if ids not in cold]
    return Targets(watched=running[0], cold=cold[:cold_count])


def task_url(ids: dict[str, str]) -> str:
    return (
        f"/farms/{ids['farmId']}/queues/{ids['queueId']}/jobs/{ids['jobId']}"
        f"/steps/{ids['stepId']}/tasks/{ids['taskId']}/"
    )


def emulator_calls(emulator_url: str) -> Counter[str]:
    return Counter(http_json(f"{emulator_url}/_emulator/calls")["calls"])


def reset_calls(emulator_url: str) -> None:
    http_json(f"{emulator_url}/_emulator/calls/reset", {})


# --- 1 and 5: many viewers ----------------------------------------------------------------------


@dataclass
class ViewerRun:
    seconds: float
    viewers: int
    get_task_calls: int
    calls: Counter[str]
    page_ms: list[float] = field(default_factory=list)
    poll_ms: list[float] = field(default_factory=list)
    page_bytes: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    stale_warnings: int = 0
    errors: list[str] = field(default_factory=list)
    worst_lag_ms: float = 0.0
    log: Path | None = None  # the server's log, shown when there were errors

    @property
    def windows(self) -> int:
        return math.ceil(self.seconds / TTL_SECONDS)


def run_viewers(
    dashboard: DashboardProcess,
    emulator_url: str,
    ids: dict[str, str],
    *,
    viewers: int,
    seconds: float,
) -> ViewerRun:
    """Each viewer opens the page (staggered over one poll period), then polls every 5 s with
    the version it holds, taking the new one from any 200 panel, until ``seconds`` are up.
    Every request uses a new connection: gunicorn drops idle keep-alive after 2 s."""
    port = dashboard.port
    page = task_url(ids)
    page_request = get_request(port, page, {"Accept": "text/html"})
    headers = htmx_headers(port, page)
    lock = threading.Lock()
    stop_event = threading.Event()
    run = ViewerRun(seconds, viewers, 0, Counter(), log=dashboard.log)

    def record(kind: str, started: float, answer: Answer | None, error: str | None) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            if error is not None:
                run.errors.append(error)
                return
            assert answer is not None
            run.statuses[answer.status] += 1
            (run.page_ms if kind == "page" else run.poll_ms).append(elapsed)
            if kind == "page":
                run.page_bytes.append(answer.wire_bytes)
            if answer.status not in (200, 204):
                run.errors.append(f"{kind} HTTP {answer.status}")
            elif answer.header("HX-Reswap") == "none":
                run.stale_warnings += 1  # the API failed; the panel kept its last data

    def fetch(kind: str, raw: bytes) -> Answer | None:
        started = time.perf_counter()
        try:
            answer = fetch_once_raw(port, raw)
        except OSError as exc:
            record(kind, started, None, f"{kind} {type(exc).__name__}: {exc}")
            return None
        record(kind, started, answer, None)
        return answer

    def viewer(index: int, t0: float) -> None:
        opened = t0 + index * POLL_SECONDS / viewers
        end = t0 + seconds
        if stop_event.wait(max(0.0, opened - time.perf_counter())):
            return
        answer = fetch("page", page_request)
        match = PANEL_VERSION.search(answer.body) if answer and answer.status == 200 else None
        version = match.group(1).decode() if match else ""
        tick = 1
        while (due := opened + tick * POLL_SECONDS) < end:
            if stop_event.wait(max(0.0, due - time.perf_counter())):
                return
            lag = (time.perf_counter() - due) * 1000
            with lock:
                run.worst_lag_ms = max(run.worst_lag_ms, lag)
            answer = fetch("poll", get_request(port, f"{page}?v={version}", headers))
            if answer is not None and answer.status == 200:
                match = PANEL_VERSION.search(answer.body)
                version = match.group(1).decode() if match else version
            tick += 1

    reset_calls(emulator_url)
    t0 = time.perf_counter() + 0.2
    threads = [
        threading.Thread(target=viewer, args=(i, t0), daemon=True, name=f"viewer-{i}")
        for i in range(viewers)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop_event.set()
    run.calls = emulator_calls(emulator_url)
    run.get_task_calls = run.calls.get("GetTask", 0)
    return run


def print_log_tail(log: Path, marker: str, lines: int) -> None:
    """The last ``lines`` lines of ``log`` from the last line holding ``marker`` (or its end)."""
    text = log.read_text(errors="replace").splitlines()
    starts = [i for i, line in enumerate(text) if marker in line]
    shown = text[starts[-1] : starts[-1] + lines] if starts else text[-lines:]
    print(f"    --- {log.name} ---", *(f"    {line}" for line in shown), sep="\n")


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def print_viewers(label: str, run: ViewerRun) -> None:
    print(
        f"\n[{label}] {run.viewers} viewers polling every {POLL_SECONDS:g} s for {run.seconds:g} s"
    )
    print(
        f"  GetTask calls: {run.get_task_calls}   target <= ~{run.windows} "
        f"(one per {TTL_SECONDS:g} s TTL window)"
    )
    others = ", ".join(f"{op} {n}" for op, n in sorted(run.calls.items()) if op != "GetTask")
    print(f"  other API calls: {others or 'none'}")
    p = run.poll_ms
    print(
        f"  poll latency: p50 {percentile(p, 50):6.1f} ms   p95 {percentile(p, 95):6.1f} ms   "
        f"p99 {percentile(p, 99):6.1f} ms   max {max(p, default=float('nan')):6.1f} ms   "
        f"({len(p)} polls)"
    )
    q = run.page_ms
    print(
        f"  page load:    p50 {percentile(q, 50):6.1f} ms   p95 {percentile(q, 95):6.1f} ms   "
        f"max {max(q, default=float('nan')):6.1f} ms   ({len(q)} loads, "
        f"{statistics.median(run.page_bytes or [0]) / 1024:.1f} KB each)"
    )
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(run.statuses.items()))
    print(
        f"  answers {statuses}; stale-data warnings {run.stale_warnings}; "
        f"errors {len(run.errors)} (target 0); worst schedule lag {run.worst_lag_ms:.0f} ms"
    )
    for error, count in Counter(run.errors).most_common(5):
        print(f"    {count} x {error}")
    if run.errors and run.log is not None:
        print_log_tail(run.log, "Traceback", 25)


# --- 2: throughput --------------------------------------------------------------------------


@dataclass
class Throughput:
    per_second: float
    requests: int
    errors: int
    client_cpu: float  # cores the bench process used
    worker_cpu: list[float]  # cores each gunicorn worker used


def throughput(
    dashboard: DashboardProcess, raw: bytes, expect: int, *, clients: int, seconds: float
) -> Throughput:
    """``clients`` threads, one keep-alive connection each, as fast as answers come back.

    Each client reconnects every RECONNECT_EVERY answers: a worker accepts connections only
    while it has the CPU to, so the load spreads over the workers as a balancer's would (with
    16 connections held for the whole run, one worker can end up with most of them).
    """
    counts = [0] * clients
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1, timeout=30)
    deadline = [0.0]

    def client(index: int) -> None:
        connection = Connection(dashboard.port)
        connection.request(raw)  # connect and warm before the clock starts
        barrier.wait()
        end = deadline[0]
        done = failed = 0
        try:
            while time.perf_counter() < end:
                try:
                    if connection.request(raw).status != expect:
                        failed += 1
                except OSError:
                    failed += 1
                    connection.close()
                done += 1
                if done % RECONNECT_EVERY == 0:
                    connection.close()
        finally:
            connection.close()
            counts[index], errors[index] = done, failed

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + 0.05 + seconds
    workers = children(dashboard.process.pid)
    workers_before, client_before = [process_cpu(pid) for pid in workers], time.process_time()
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return Throughput(
        per_second=sum(counts) / wall,
        requests=sum(counts),
        errors=sum(errors),
        client_cpu=(time.process_time() - client_before) / wall,
        worker_cpu=[
            (process_cpu(pid) - before) / wall
            for pid, before in zip(workers, workers_before, strict=True)
        ],
    )


# --- 3: cold page -----------------------------------------------------------------------------


def api_round_trip_ms(emulator_url: str, ids: dict[str, str], repeat: int = 20) -> float:
    """Median GetTask round trip with boto3 from this process (80 ms latency included)."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "deadline",
        endpoint_url=emulator_url,
        region_name="us-west-2",
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator ignores credentials
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )
    client.get_task(**ids)  # connect, load the model
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get_task(**ids)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


@dataclass
class ColdPage:
    ms: float
    warm_ms: float  # the same page again, straight after (everything cached)
    status: int
    calls: Counter[str]


def cold_page(port: int, emulator_url: str, cache_url: str, ids: dict[str, str]) -> ColdPage:
    """Flush Redis, load the page once (cold), count its API calls, load it again (warm)."""
    redis.Redis.from_url(cache_url).flushdb()
    # The workers' near copies of what Redis held lapse too: nothing is cached anywhere.
    time.sleep(NEAR_CACHE_SECONDS)
    reset_calls(emulator_url)
    raw = get_request(port, task_url(ids), {"Accept": "text/html"})
    connection = Connection(port)
    try:
        connection.connect()  # the TCP handshake is not what is measured
        started = time.perf_counter()
        answer = connection.request(raw)
        cold = (time.perf_counter() - started) * 1000
        calls = emulator_calls(emulator_url)
        started = time.perf_counter()
        connection.request(raw)
        warm = (time.perf_counter() - started) * 1000
    finally:
        connection.close()
    return ColdPage(cold, warm, answer.status, calls)


# --- 4 and page weight --------------------------------------------------------------------------


def unchanged_poll(port: int, ids: dict[str, str]) -> Answer:
    page = task_url(ids)
    answer = fetch_once(port, page, {"Accept": "text/html"})
    match = PANEL_VERSION.search(answer.body)
    if answer.status != 200 or match is None:
        raise RuntimeError(f"task page answered {answer.status} without a panel version")
    return fetch_once(port, f"{page}?v={match.group(1).decode()}", htmx_headers(port, page))


@dataclass
class PageWeight:
    html_bytes: int
    assets: list[tuple[str, int, str]]  # url, wire bytes, content-encoding
    foreign: list[str]

    @property
    def total(self) -> int:
        return self.html_bytes + sum(size for _, size, _ in self.assets)


def page_weight(port: int, ids: dict[str, str]) -> PageWeight:
    """The task page and every asset it references, as a browser that accepts gzip/br gets them."""
    accept = {"Accept-Encoding": "gzip, deflate, br"}
    page = fetch_once(port, task_url(ids), {"Accept": "text/html", **accept})
    foreign = sorted(
        {
            url.decode()
            for url in ANY_URL.findall(page.body)
            if re.match(rb"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)
        }
    )
    assets = []
    for url in sorted({u.decode() for u in ASSET_URL.findall(page.body)}):
        if url.startswith("/"):
            answer = fetch_once(port, url, accept)
            assets.append((url, answer.wire_bytes, answer.header("Content-Encoding") or "identity"))
    return PageWeight(page.wire_bytes, assets, foreign)


# --- Run --------------------------------------------------------------------------------------


Row = tuple[str, str, str, str]  # figure, measured, target, verdict


@dataclass(frozen=True)
class Setup:
    emulator_url: str
    cache_url: str
    targets: Targets
    args: argparse.Namespace


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def viewer_figure(run: ViewerRun) -> str:
    p = run.poll_ms
    return (
        f"{run.get_task_calls} GetTask; p50/p95/p99 {percentile(p, 50):.0f}/"
        f"{percentile(p, 95):.0f}/{percentile(p, 99):.0f} ms; {len(run.errors)} errors"
    )


def figure_viewers(dashboard: DashboardProcess, setup: Setup, label: str) -> ViewerRun:
    args = setup.args
    run = run_viewers(
        dashboard,
        setup.emulator_url,
        setup.targets.watched,
        viewers=args.viewers,
        seconds=args.seconds,
    )
    print_viewers(label, run)
    return run


def figure_throughput(dashboard: DashboardProcess, setup: Setup) -> Row:
    """2. The cached fragment (unchanged and re-rendered) against the bare view."""
    port, args = dashboard.port, setup.args
    page = task_url(setup.targets.watched)
    version = PANEL_VERSION.search(fetch_once(port, page, {"Accept": "text/html"}).body)
    if version is None:
        raise RuntimeError("the task page has no panel version")
    hx = htmx_headers(port, page)
    cases = {
        "bare constant view": (get_request(port, "/_bench/constant/"), 200),
        "fragment, unchanged (204)": (
            get_request(port, f"{page}?v={version.group(1).decode()}", hx),
            204,
        ),
        "fragment, rendered (200)": (get_request(port, f"{page}?v=0", hx), 200),
    }
    rounds = THROUGHPUT_ROUNDS
    print(
        f"\n[2. throughput] {args.clients} keep-alive clients; {rounds} rounds alternating the"
        f" cases, {args.throughput_seconds / rounds:g} s each, so load from elsewhere on the"
        " machine hits every case alike; ratios are medians of same-round ratios"
    )
    results: dict[str, list[Throughput]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (raw, expect) in cases.items():
            results[name].append(
                throughput(
                    dashboard,
                    raw,
                    expect,
                    clients=args.clients,
                    seconds=args.throughput_seconds / rounds,
                )
            )
    for name, runs in results.items():
        workers = [
            statistics.mean(cores) for cores in zip(*(r.worker_cpu for r in runs), strict=True)
        ]
        print(
            f"  {name:<27} {statistics.median(r.per_second for r in runs):7.0f} req/s (median)"
            f"   errors {sum(r.errors for r in runs)}   CPU (cores): workers "
            f"{' + '.join(f'{c:.2f}' for c in workers)}, "
            f"bench {statistics.mean(r.client_cpu for r in runs):.2f}"
        )

    def ratio(name: str) -> float:
        pairs = zip(results[name], results["bare constant view"], strict=True)
        return statistics.median(case.per_second / bare.per_second for case, bare in pairs)

    bare = statistics.median(r.per_second for r in results["bare constant view"])
    unchanged = ratio("fragment, unchanged (204)")
    rendered = ratio("fragment, rendered (200)")
    print(
        f"  ratio to bare: unchanged (204) {unchanged:.2f} (target >= {UNCHANGED_TARGET}),"
        f" rendered (200) {rendered:.2f} (target >= {RENDERED_TARGET})"
    )
    return (
        "2. fragment req/s / bare view",
        f"{unchanged:.2f} unchanged (204), {rendered:.2f} rendered ({bare:.0f} req/s bare)",
        f">= {UNCHANGED_TARGET}, >= {RENDERED_TARGET}",
        verdict(unchanged >= UNCHANGED_TARGET and rendered >= RENDERED_TARGET),
    )


def figure_cold_page(dashboard: DashboardProcess, setup: Setup) -> Row:
    """3. Cold task pages (Redis flushed) against one GetTask round trip from here."""
    trip = api_round_trip_ms(setup.emulator_url, setup.targets.watched)
    print(f"\n[3. cold task page] one GetTask round trip from the bench (boto3): {trip:.1f} ms")
    samples = []
    for ids in setup.targets.cold:
        cold = cold_page(dashboard.port, setup.emulator_url, setup.cache_url, ids)
        samples.append(cold.ms)
        ops = ", ".join(f"{op} {n}" for op, n in sorted(cold.calls.items()))
        print(
            f"  HTTP {cold.status} {cold.ms:6.1f} ms = {cold.ms / trip:4.2f} trips (warm again:"
            f" {cold.warm_ms:5.1f} ms); {sum(cold.calls.values())} API calls: {ops}"
        )
    median = statistics.median(samples)
    print(f"  median {median:.1f} ms = {median / trip:.2f} round trips   target <= {COLD_TARGET}")
    return (
        "3. cold page / API round trip",
        f"{median / trip:.2f} ({median:.0f} ms / {trip:.0f} ms)",
        f"<= {COLD_TARGET}",
        verdict(median / trip <= COLD_TARGET),
    )


def figure_unchanged_poll(dashboard: DashboardProcess, setup: Setup) -> Row:
    """4. The whole 204 of an unchanged poll, as the socket received it."""
    answer = unchanged_poll(dashboard.port, setup.targets.watched)
    print(
        f"\n[4. unchanged poll] HTTP {answer.status}, {answer.wire_bytes} bytes on the wire"
        " (target < 500):"
    )
    for line in answer.head.decode("latin-1").split("\r\n"):
        print(f"    {line}")
    return (
        "4. bytes per unchanged poll",
        f"{answer.wire_bytes} B (HTTP {answer.status})",
        "< 500",
        verdict(answer.wire_bytes < 500 and answer.status == 204),
    )


def figure_page_weight(dashboard: DashboardProcess, setup: Setup) -> Row:
    weight = page_weight(dashboard.port, setup.targets.watched)
    print(f"\n[page weight] task page HTML {weight.html_bytes} bytes on the wire, plus:")
    for url, size, encoding in weight.assets:
        print(f"    {size:7d} B  {encoding:<8} {url}")
    foreign = ", ".join(weight.foreign) or "none"
    print(f"  total {weight.total / 1024:.1f} KB (target < 100 KB); third-party URLs: {foreign}")
    return (
        "   task page weight, compressed",
        f"{weight.total / 1024:.1f} KB, {len(weight.foreign)} third-party URLs",
        "< 100 KB, none",
        verdict(weight.total < 100 * 1024 and not weight.foreign),
    )


def print_summary(rows: list[Row]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print("\nSummary")
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def interrupted(signum: int, frame: Any) -> None:
    """A SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so every child process is stopped."""
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("BENCH_VIEWER_SECONDS", "60")),
        help="length of each viewer run (default: $BENCH_VIEWER_SECONDS or 60)",
    )
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16, help="threads for the throughput")
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--cold-pages", type=int, default=5, help="cold loads (distinct tasks)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started in background
    python = (
        os.path.relpath(sys.executable, ROOT)
        if sys.executable.startswith(str(ROOT))
        else (sys.executable)
    )
    print("$ " + shlex.join([python, "-m", "bench.scale_bench", *argv]))
    from deadline_emulator.seed import DEMO_EPOCH

    clock_at = DEMO_EPOCH + 3 * 86400
    clock_iso = datetime.fromtimestamp(clock_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(
        f"emulator: seed 0, clock pinned at {clock_iso}, +{API_LATENCY_MS:g} ms per API call; "
        f"gunicorn {WORKERS} workers x {THREADS} threads; task TTL {TTL_SECONDS:g} s; "
        f"{os.cpu_count()} CPUs shared by everything"
    )
    load_at_start = os.getloadavg()[0]
    targets = pick_tasks(clock_at, args.cold_pages)
    print(f"watched RUNNING task: {task_url(targets.watched)}")

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dtd-bench-")))
        cache_url = stack.enter_context(redis_server())
        emulator_url = stack.enter_context(emulator_server(clock_iso, workdir))
        setup = Setup(emulator_url, cache_url, targets, args)
        shared_env = dashboard_env(emulator_url, cache_url, workdir)
        local_env = {k: v for k, v in shared_env.items() if k != "DASHBOARD_CACHE_URL"}
        prepare_dashboard(shared_env, workdir)
        try:
            with dashboard_server(shared_env, workdir, "redis") as dashboard:
                redis.Redis.from_url(cache_url).flushdb()  # the crowd arrives at a cold cache
                shared = figure_viewers(dashboard, setup, "1. shared Redis cache")
                rows = [
                    (
                        f"1. {args.viewers} viewers x {args.seconds:g} s, Redis",
                        viewer_figure(shared),
                        f"<= ~{shared.windows} GetTask, 0 errors",
                        verdict(shared.get_task_calls <= shared.windows + 1 and not shared.errors),
                    ),
                    figure_throughput(dashboard, setup),
                    figure_cold_page(dashboard, setup),
                    figure_unchanged_poll(dashboard, setup),
                ]
                weight_row = figure_page_weight(dashboard, setup)
            with dashboard_server(local_env, workdir, "local") as dashboard:
                local = figure_viewers(dashboard, setup, "5. per-process cache, no Redis")
        except Exception:
            for log in sorted(workdir.glob("*.log")):
                print_log_tail(log, "Traceback", 30)
            raise
    factor = local.get_task_calls / max(1, shared.get_task_calls)
    rows.append(
        (
            "5. = 1. with per-process cache",
            viewer_figure(local),
            "(what sharing buys)",
            f"{factor:.1f}x the GetTask calls of 1.",
        )
    )
    print_summary([("figure", "measured", "target", ""), *rows, weight_row])
    print(
        f"  1-min load average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the"
        f" end, on {os.cpu_count()} CPUs: timings (2., 3., latencies) assume an idle machine"
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: every server this bench started has been stopped", file=sys.stderr)
        sys.exit(130)
