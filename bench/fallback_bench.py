"""The step page's fallback path: API calls and time when the account's SearchTasks refuses
our names (emulator in strict mode, 80 ms added to every call), for the first and the last
page of the 10,000-task step.

Run: .venv/bin/python -m bench.fallback_bench   (prints figures; asserts nothing)
"cold": nothing cached and nothing learnt (the first visit pays one refused SearchTasks and
the step's ListTasks listing, 100 pages); "cold, refusal known": the listing expired but the
dashboard remembers the refusal (DEADLINE_SEARCH_VERDICT_SECONDS), so it asks no SearchTasks;
"warm": the same page again inside the TTLs; "other page": the listing serves it. The lenient
row is the ordinary path for comparison (one SearchTasks call).
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
from tasks_app.deadline import search  # noqa: E402

LATENCY_MS = 80.0
COLD_REPEAT = 2
WARM_REPEAT = 5
HX = {"HX-Request": "true"}  # the live part: what each poll and page change asks for


def timed(client: Client, emulator: Emulator, url: str) -> tuple[dict[str, int], float]:
    emulator.calls.reset()
    start = time.perf_counter()
    response = client.get(url, headers=HX)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return emulator.calls.snapshot(), elapsed


def forget_listing_keep_verdicts(step_ids: dict[str, str]) -> None:
    """Drop every cached page and listing, keep what the dashboard learnt about names."""
    use = search.NameUse("SearchTasks", "stringFilter", "STEP_ID", "")
    learnt = search.verdict(use)
    cache.clear()
    if learnt is not None:
        search.remember(use, learnt)


def row(label: str, samples: list[tuple[dict[str, int], float]]) -> None:
    calls = samples[-1][0]
    total = sum(calls.values())
    detail = ", ".join(f"{op} {n}" for op, n in calls.items()) or "none"
    median = statistics.median(ms for _, ms in samples)
    print(f"  {label:<34} {total:>4} calls ({detail}); median {median:,.0f} ms")


def main() -> None:
    setup_test_environment()
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
    set_default_emulator(emulator, seed=0)
    client = Client()
    big = emulator.backend.landmarks()["big_step"]
    url = reverse(
        "step_detail",
        kwargs={
            "farm_id": big["farmId"],
            "queue_id": big["queueId"],
            "job_id": big["jobId"],
            "step_id": big["stepId"],
        },
    )
    pages = {"first page": url, "last page (200 of 200)": f"{url}?page=200"}
    client.get(url, headers=HX)  # the emulator builds its per-step caches once, as a server would
    emulator.faults.set("*", latency_ms=LATENCY_MS)
    print(
        f"Step page of the 10,000-task step, htmx fragment, in-process emulator with "
        f"{LATENCY_MS:.0f} ms per call"
    )
    for mode in ("strict", "lenient"):
        emulator.search.set(mode)
        print(f"\nsearch mode: {mode}")
        for name, page in pages.items():
            other = (
                pages["first page"]
                if page != pages["first page"]
                else pages["last page (200 of 200)"]
            )
            cold = []
            for _ in range(COLD_REPEAT):
                cache.clear()
                cold.append(timed(client, emulator, page))
            row(f"{name}, cold", cold)
            if mode == "strict":
                known = []
                for _ in range(COLD_REPEAT):
                    forget_listing_keep_verdicts(big)
                    known.append(timed(client, emulator, page))
                row(f"{name}, cold, refusal known", known)
            warm = [timed(client, emulator, page) for _ in range(WARM_REPEAT)]
            row(f"{name}, warm", warm)
            row(f"{name}, then the other page", [timed(client, emulator, other)])


if __name__ == "__main__":
    main()
