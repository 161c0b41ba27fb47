"""Usage: rows add up to the total and match the sessions' own runtime (ListSessions, read back
with real boto3) per queue and per job; the answer is shared by later viewers without a call;
CSV download; the job page's own usage; bad windows are 400."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client
from tests.htmx_headers import HTMX as HX

pytestmark = [pytest.mark.usefixtures("held_clock"), pytest.mark.read_only_world]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _sessions_seconds(
    emulator: Emulator, farm_id: str, low: datetime, high: datetime, queue_id: str = ""
) -> dict:
    """Seconds of every session of the farm (or one queue) inside [low, high), per queue and
    per job."""
    deadline = in_process_client(emulator)
    now = datetime.fromtimestamp(emulator.backend.clock.now(), tz=low.tzinfo)
    per_queue: dict[str, float] = defaultdict(float)
    per_job: dict[str, float] = defaultdict(float)
    for queue in deadline.list_queues(farmId=farm_id)["queues"]:
        if queue_id and queue["queueId"] != queue_id:
            continue
        ids = {"farmId": farm_id, "queueId": queue["queueId"]}
        for jobs in deadline.get_paginator("list_jobs").paginate(**ids):
            for job in jobs["jobs"]:
                pages = deadline.get_paginator("list_sessions").paginate(**ids, jobId=job["jobId"])
                for page in pages:
                    for s in page["sessions"]:
                        end = min(s.get("endedAt") or now, high)
                        seconds = max((end - max(s["startedAt"], low)).total_seconds(), 0.0)
                        per_queue[queue["queueId"]] += seconds
                        per_job[job["jobId"]] += seconds
    return {"queue": per_queue, "job": per_job}


@pytest.fixture
def farm_id(emulator: Emulator) -> str:
    return emulator.backend.landmarks()["farm_previs"]


def _url(farm_id: str) -> str:
    return reverse("farm_usage", kwargs={"farm_id": farm_id})


def test_rows_add_up_and_match_the_sessions_per_queue_and_job(
    client: Client, emulator: Emulator, farm_id: str
) -> None:
    by_queue = client.get(_url(farm_id), {"days": 7, "group": "queue", "format": "json"}).json()
    by_job = client.get(_url(farm_id), {"days": 7, "group": "job"}, HTTP_ACCEPT="application/json")
    by_job = by_job.json()
    expected = _sessions_seconds(
        emulator, farm_id, _when(by_queue["start"]), _when(by_queue["end"])
    )

    for data, group in ((by_queue, "queue"), (by_job, "job")):
        assert set(data) == {"start", "end", "group", "rows", "total"}
        assert data["group"] == group
        rows = data["rows"]
        assert rows and all(
            set(r) == {"key", "name", "worker_hours", "cost_usd", "runs"} for r in rows
        )
        assert sum(r["worker_hours"] for r in rows) == pytest.approx(
            data["total"]["worker_hours"], rel=1e-3
        )
        assert sum(r["cost_usd"] for r in rows) == pytest.approx(
            data["total"]["cost_usd"], rel=1e-3
        )
        want = {k: v / 3600 for k, v in expected[group].items() if v > 0}
        assert {r["key"] for r in rows} == set(want)
        for row in rows:
            assert row["worker_hours"] == pytest.approx(want[row["key"]], rel=0.01)
    names = {
        q["queueId"]: q["displayName"]
        for q in in_process_client(emulator).list_queues(farmId=farm_id)["queues"]
    }
    assert all(r["name"] == names[r["key"]] for r in by_queue["rows"])


def test_viewers_share_one_answer_per_window(
    client: Client, emulator: Emulator, farm_id: str
) -> None:
    first = client.get(_url(farm_id), {"days": 30})
    assert first.status_code == 200
    assert emulator.calls["StartSessionsStatisticsAggregation"] == 3  # rows, per day, top jobs
    emulator.calls.reset()

    again = client.get(_url(farm_id), {"days": 30})

    assert again.status_code == 200
    assert "StartSessionsStatisticsAggregation" not in emulator.calls
    assert "GetSessionsStatisticsAggregation" not in emulator.calls
    html = again.content.decode()
    assert 'data-chart="usage"' in html and "chart-s0" in html
    assert "Top jobs" in html


def test_csv_download(client: Client, farm_id: str) -> None:
    data = client.get(_url(farm_id), {"group": "fleet", "format": "json"}).json()

    response = client.get(_url(farm_id), {"group": "fleet", "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["fleet", "name", "worker_hours", "cost_usd", "runs"]
    assert [(r[0], float(r[2])) for r in rows[1:]] == [
        (r["key"], pytest.approx(r["worker_hours"], abs=1e-3)) for r in data["rows"]
    ]


def test_queue_and_job_summaries(client: Client, emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    fragment = client.get(_url(job["farmId"]), {"queue": job["queueId"], "days": 7}, headers=HX)
    assert fragment.status_code == 200
    assert "data-usage-summary" in fragment.content.decode()
    queue_only = client.get(_url(job["farmId"]), {"queue": job["queueId"], "format": "json"})
    assert [r["key"] for r in queue_only.json()["rows"]] == [job["queueId"]]

    url = reverse(
        "job_usage",
        kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]},
    )
    own: dict[str, Any] = client.get(url, HTTP_ACCEPT="application/json").json()
    expected = _sessions_seconds(
        emulator, job["farmId"], _when(own["start"]), _when(own["end"]), job["queueId"]
    )
    assert own["worker_hours"] == pytest.approx(expected["job"][job["jobId"]] / 3600, rel=0.01)
    assert "data-job-usage" in client.get(url, headers=HX).content.decode()


@pytest.mark.parametrize(
    "query",
    [{"days": 0}, {"days": 91}, {"days": "x"}, {"group": "colour"}, {"start": "2026-13-01"}],
)
def test_bad_windows_are_400(client: Client, farm_id: str, query: dict[str, Any]) -> None:
    response = client.get(_url(farm_id), {**query, "format": "json"})
    assert response.status_code == 400


def test_the_chart_has_a_column_for_every_day_even_idle_ones(
    client: Client, emulator: Emulator
) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]  # a queue idle on most days
    html = client.get(_url(job["farmId"]), {"queue": job["queueId"], "days": 30}).content.decode()

    table = html.split("The numbers", 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") - 1 in (30, 31)  # the header row; a partial first day


def test_a_closed_window_and_an_hourly_chart(client: Client, farm_id: str) -> None:
    window = {"start": "2026-11-22T00:00:00Z", "end": "2026-11-23T00:00:00Z"}
    closed = client.get(_url(farm_id), {**window, "format": "json"}).json()
    assert (closed["start"], closed["end"]) == (window["start"], window["end"])
    assert closed["rows"]

    html = client.get(_url(farm_id), window).content.decode()

    assert "Worker-hours per hour" in html
    table = html.split("The numbers", 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") - 1 == 24


def test_an_aggregation_still_in_progress_is_polled_until_complete(
    client: Client, emulator: Emulator, farm_id: str
) -> None:
    emulator.backend.aggregation_polls = 2  # each aggregation answers IN_PROGRESS twice first
    emulator.calls.reset()

    data = client.get(_url(farm_id), {"days": 7, "format": "json"}).json()

    assert data["rows"]
    starts = emulator.calls["StartSessionsStatisticsAggregation"]
    assert emulator.calls["GetSessionsStatisticsAggregation"] >= 3 * starts
