"""Worker logs: the CloudWatch stream ``/aws/deadline/<farm>/<fleet>`` / ``<worker>``.

The worker agent writes structured events to it, one JSON object per event with ``level``
first (``log_messages.LogRecordStringTranslationFilter``). Every 60 seconds (its default
``host_metrics_logging_interval_seconds``) ``metrics.HostMetricsLogger`` logs a
``Metrics.System`` event whose values are all strings:
``{"level": "INFO", "ti": "📊", "type": "Metrics", "subtype": "System",
"cpu-usage-percent": "12.5", "memory-total-bytes": ..., ...}``. Session actions are logged
as ``Action.Start`` / ``Action.End`` events, process exits as ``Session.Runtime`` events.

The values are a pure function of (seed, worker, minute) and of the attempts the worker ran:
an idle worker sits near zero, a busy one works hard while a task runs, and a task that ends
with exit code 137 (killed for memory) shows memory climbing, then swap, until the kill.
The emulator keeps the last ``farm_side.WORKER_LOG_SPAN`` of each stream.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache

from deadline_emulator.seed import digest

METRICS_INTERVAL_MS = 60_000
INGEST_BATCH_MS = 1000
GIB = 1024**3
_MEMORY_GIB = {"r6i.4xlarge": 128, "c6i.8xlarge": 64, "g5.2xlarge": 32, "m6i.4xlarge": 64}
_DISK_TOTAL = 500 * 1000**3
OOM_EXIT_CODE = 137

# Built streams kept per process: a busy worker's day is some 5,000 events and ~60 ms to build,
# and every GetLogEvents of it (a task's peak memory, a worker's charts, a window of its log)
# rebuilt it. A stream is a pure function of its timeline (the clock's instant included) and
# the seed, so one built stream serves any emulator of the process; its lists are read-only.
_built_lock = threading.Lock()
_built: LRUCache[tuple[str, bytes], tuple[list[int], list[str]]] = LRUCache(maxsize=64)


def _fingerprint(timeline: dict[str, Any]) -> bytes:
    text = json.dumps(timeline, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class _Plan:
    assigned: int  # ms of the stream's first event (DescribeLogStreams' creationTime)


def _unit(*parts: object) -> float:
    return int.from_bytes(digest(0, "worker-log", *parts, size=4), "big") / 2**32


def _event(level: str, **members: Any) -> str:
    return json.dumps({"level": level, **members}, ensure_ascii=False)


class WorkerLog:
    """One worker's stream as of ``now_ms``; lines addressed by number like ``SessionLog``."""

    def __init__(self, timeline: dict[str, Any], seed: int = 0, now_ms: int | None = None) -> None:
        self.timeline = timeline
        self.key = f"{seed}:{timeline['workerId']}"
        self.ingest_lag_ms = 200 + int(_unit(self.key, "lag") * 800)
        start_ms = int(timeline["startsAt"] * 1000)
        self.plan = _Plan(start_ms)
        cache_key = (self.key, _fingerprint(timeline))
        with _built_lock:
            built = _built.get(cache_key)
        if built is None:
            events = self._action_events() + self._metric_events(start_ms)
            events.sort(key=lambda e: e[0])
            built = ([e[0] for e in events], [e[1] for e in events])
            with _built_lock:
                _built[cache_key] = built
        self._times, self._messages = built
        self.total = len(self._times)
        visible = self.total
        if now_ms is not None:
            visible = self.index_at(now_ms - self.ingest_lag_ms)
        self.count = visible

    # -- addressing (the SessionLog interface the logs backend reads) ---------------------------

    def ingestion_time(self, timestamp: int) -> int:
        return (timestamp // INGEST_BATCH_MS + 1) * INGEST_BATCH_MS + self.ingest_lag_ms

    def timestamp(self, i: int) -> int:
        return self._times[i]

    def message(self, i: int) -> str:
        return self._messages[i]

    def event(self, i: int) -> dict[str, Any]:
        t = self._times[i]
        return {
            "timestamp": t,
            "message": self._messages[i],
            "ingestionTime": self.ingestion_time(t),
        }

    def index_at(self, ms: int) -> int:
        return bisect.bisect_left(self._times, ms)

    def messages(self) -> list[str]:
        return self._messages[: self.count]

    # -- building ------------------------------------------------------------------------------

    def _last_alive_ms(self) -> int:
        """A stopped or silent worker stopped writing some hours ago; others write on."""
        now_ms = int(self.timeline["now"] * 1000)
        if self.timeline["status"] in ("STOPPED", "NOT_RESPONDING"):
            return now_ms - int((1 + 4 * _unit(self.key, "stopped")) * 3600_000)
        return now_ms

    def _metric_events(self, start_ms: int) -> list[tuple[int, str]]:
        end_ms = self._last_alive_ms()
        first = -(-start_ms // METRICS_INTERVAL_MS) * METRICS_INTERVAL_MS
        offset = int(_unit(self.key, "phase") * 59_000)  # agents start at any second
        runs = [
            (int(a["runningAt"] * 1000), int(a["endsAt"] * 1000), a)
            for a in self.timeline["attempts"]
        ]
        starts = [r[0] for r in runs]
        memory_total = _MEMORY_GIB.get(self.timeline.get("instanceType") or "", 64) * GIB
        events = []
        for t in range(first + offset, end_ms, METRICS_INTERVAL_MS):
            k = bisect.bisect_right(starts, t) - 1
            running = next((r for r in runs[max(0, k - 3) : k + 1][::-1] if r[0] <= t < r[1]), None)
            events.append((t, _event("INFO", **self._sample(t, running, memory_total, start_ms))))
        if self.timeline["status"] == "STOPPED" and end_ms > start_ms:
            events.append((end_ms, self._worker_event("Status", "Worker stopped.")))
        return events

    def _sample(
        self, t: int, running: tuple[int, int, dict] | None, memory_total: int, start_ms: int
    ) -> dict[str, str]:
        u = [_unit(self.key, t // METRICS_INTERVAL_MS, n) for n in range(6)]
        swap = 0
        if running is None:
            cpu, memory_percent = 1.0 + 4.0 * u[0], 5.0 + 3.0 * u[1]
            recv, sent, read, write = 2_000 + 30_000 * u[2], 1_000 + 9_000 * u[3], 0, 4096
        else:
            begin, end, attempt = running
            progress = (t - begin) / max(end - begin, 1)
            cpu = 78.0 + 20.0 * u[0]
            if attempt["exitCode"] == OOM_EXIT_CODE:
                memory_percent = min(99.6, 40.0 + 59.0 * progress**0.5 + u[1])
                swap = int(max(0.0, memory_percent - 90.0) / 10.0 * 8 * GIB)
            else:
                memory_percent = 35.0 + 20.0 * min(progress * 4, 1.0) + 4.0 * u[1]
            loading = t - begin < 3 * METRICS_INTERVAL_MS
            recv = (80e6 if loading else 3e6) * (0.7 + 0.6 * u[2])
            sent = 2e6 * u[3] + (30e6 if progress > 0.95 else 0)
            read, write = 40e6 * u[4], 20e6 * u[5]
        memory_used = int(memory_total * memory_percent / 100)
        disk_used = int(_DISK_TOTAL * (0.22 + 0.1 * _unit(self.key, "disk")) + (t - start_ms) * 2)
        return {
            "ti": "📊",
            "type": "Metrics",
            "subtype": "System",
            "cpu-usage-percent": str(round(cpu, 1)),
            "memory-total-bytes": str(memory_total),
            "memory-used-bytes": str(memory_used),
            "memory-used-percent": str(round(memory_percent, 1)),
            "swap-used-bytes": str(swap),
            "total-disk-bytes": str(_DISK_TOTAL),
            "total-disk-used-bytes": str(disk_used),
            # The agent divides without * 100: a fraction, rounded to one decimal.
            "total-disk-used-percent": str(round(disk_used / _DISK_TOTAL, ndigits=1)),
            "user-disk-available-bytes": str(_DISK_TOTAL - disk_used),
            "network-sent-bytes-per-second": str(round(sent)),
            "network-recv-bytes-per-second": str(round(recv)),
            "disk-read-bytes-per-second": str(round(read)),
            "disk-write-bytes-per-second": str(round(write)),
        }

    def _worker_event(self, op: str, message: str) -> str:
        tl = self.timeline
        return _event(
            "INFO",
            ti="💻",
            type="Worker",
            subtype=op,
            message=message,
            farm_id=tl["farmId"],
            fleet_id=tl["fleetId"],
            worker_id=tl["workerId"],
        )

    def _action_events(self) -> list[tuple[int, str]]:
        now_ms = int(self.timeline["now"] * 1000)
        events = []
        for a in self.timeline["attempts"]:
            action_id = "sessionaction-" + a["sessionId"][len("session-") :] + "-1"
            ids = {
                "session_id": a["sessionId"],
                "action_id": action_id,
                "kind": "TaskRun",
            }
            where = {
                "queue_id": a["queueId"],
                "job_id": a["jobId"],
                "step_id": a["stepId"],
                "task_id": a["taskId"],
            }
            begin, end = int(a["runningAt"] * 1000), int(a["endsAt"] * 1000)
            if begin <= now_ms:
                start = dict(ti="🟢", type="Action", subtype="Start", **ids)
                events.append((begin, _event("INFO", **start, message="Action started.", **where)))
            if a["outcome"] and end <= now_ms:
                if a["exitCode"] is not None:
                    code = a["exitCode"]
                    runtime = {
                        "ti": "🔷",
                        "type": "Session",
                        "subtype": "Runtime",
                        "queue_id": a["queueId"],
                        "job_id": a["jobId"],
                        "session_id": a["sessionId"],
                        "message": (
                            f"Process pid {4000 + int(_unit(action_id) * 60000)} exited with "
                            f"code: {code} (unsigned) / {hex(code)} (hex)"
                        ),
                    }
                    events.append((end - 1, _event("INFO", **runtime)))
                end_event = dict(ti="🟣", type="Action", subtype="End", **ids)
                end_event.update(message="Action complete.", status=a["outcome"], **where)
                events.append((end, _event("INFO", **end_event)))
        return events


def worker_log(timeline: dict[str, Any], seed: int = 0, now: float | None = None) -> WorkerLog:
    """The stream of one worker, as of ``now`` (seconds)."""
    return WorkerLog(timeline, seed=seed, now_ms=None if now is None else int(now * 1000))
