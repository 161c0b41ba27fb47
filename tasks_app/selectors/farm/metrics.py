"""Resource series from a worker log's system-metrics events (pure functions).

The worker agent (``deadline_worker_agent.metrics.HostMetricsLogger``) logs, every
``host_metrics_logging_interval_seconds`` (60 by default), one structured event
``{"level": "INFO", "ti": "📊", "type": "Metrics", "subtype": "System", <label>: "<value>", ...}``
whose values are strings. The agent reports no GPU metric: a GPU series appears only if a
host's events carry ``gpu-*`` labels (none of the agent's releases write them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

#: Series the page charts: name -> (title, unit, how a value is read from one event).
SERIES = {
    "cpu_percent": ("CPU", "%"),
    "memory_percent": ("Memory", "%"),
    "swap_gib": ("Swap used", " GiB"),
    "disk_percent": ("Disk used", "%"),
    "network_recv_mbps": ("Network in", " MB/s"),
    "network_sent_mbps": ("Network out", " MB/s"),
    "disk_read_mbps": ("Disk read", " MB/s"),
    "disk_write_mbps": ("Disk write", " MB/s"),
    "gpu_percent": ("GPU", "%"),
}
GIB = 1024**3


def parse_metrics_event(message: str) -> dict[str, float] | None:
    """The numbers of one ``Metrics.System`` event, or None for any other line."""
    if '"Metrics"' not in message:
        return None
    try:
        event = json.loads(message)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("type") != "Metrics":
        return None

    def number(label: str) -> float | None:
        try:
            return float(event[label])
        except (KeyError, TypeError, ValueError):  # absent, NOT_AVAILABLE, NOT_SUPPORTED
            return None

    values = {
        "cpu_percent": number("cpu-usage-percent"),
        "memory_percent": number("memory-used-percent"),
        "gpu_percent": number("gpu-usage-percent"),
    }
    swap = number("swap-used-bytes")
    values["swap_gib"] = None if swap is None else swap / GIB
    used, total = number("total-disk-used-bytes"), number("total-disk-bytes")
    # The agent's own total-disk-used-percent is a fraction rounded to 0.1: computed here.
    values["disk_percent"] = used / total * 100 if used is not None and total else None
    for name, label in (
        ("network_recv_mbps", "network-recv-bytes-per-second"),
        ("network_sent_mbps", "network-sent-bytes-per-second"),
        ("disk_read_mbps", "disk-read-bytes-per-second"),
        ("disk_write_mbps", "disk-write-bytes-per-second"),
    ):
        value = number(label)
        values[name] = None if value is None else value / 1_000_000
    return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class Series:
    name: str
    title: str
    unit: str
    points: tuple[tuple[datetime, float], ...]

    @property
    def latest(self) -> float | None:
        return self.points[-1][1] if self.points else None

    @property
    def peak(self) -> float | None:
        return max((v for _, v in self.points), default=None)


def series_from_events(events: Iterable[tuple[int, str]]) -> tuple[Series, ...]:
    """Every series present in the events, in ``SERIES`` order (absent ones left out)."""
    found: dict[str, list[tuple[datetime, float]]] = {name: [] for name in SERIES}
    for stamp, message in events:
        values = parse_metrics_event(message)
        if not values:
            continue
        at = datetime.fromtimestamp(stamp / 1000, tz=UTC)
        for name, value in values.items():
            found[name].append((at, value))
    return tuple(
        Series(name, SERIES[name][0], SERIES[name][1], tuple(points))
        for name, points in found.items()
        if points
    )
