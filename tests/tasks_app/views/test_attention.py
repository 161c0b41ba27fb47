"""What needs attention, on the demo world: the wedged job is stalled on its task page, step
table, job page and in /attention/; the blocked queue and the unreliable worker are listed; a
normal running task is not flagged; the JSON shape; the shared, bounded API budget."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import resolve, reverse

from deadline_emulator import Emulator
from tasks_app.deadline import search as search_module
from tasks_app.deadline.ids import ID_PATTERNS
from tasks_app.selectors import attention
from tasks_app.services import attention_refresh
from tests.attention_builds import no_build_outlives_its_test  # noqa: F401
from tests.demo import add_heavy_frame_job, task_url
from tests.htmx_headers import HTMX as HX
from tests.manual_clock import ManualClock
from tests.security.routes import all_routes

# The list and its count read acknowledgements from the database.
pytestmark = [pytest.mark.django_db, pytest.mark.read_only_world]

JSON = {"Accept": "application/json"}
ITEM_KEYS = {"kind", "reason", "impact", "url", "farm_id"}
ID_KEYS = {"queue_id", "job_id", "step_id", "task_id", "worker_id"}
COUNT_SPAN = '<span id="attention-count" hx-get="/attention/count/"'


def html_of(response: Any) -> str:
    return response.content.decode()


def incidents_of(client: Client) -> list[dict[str, Any]]:
    """The JSON's incidents: one per story, a sick worker's stalled tasks inside it."""
    response = client.get("/attention/", headers=JSON)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["items"]


def items_of(client: Client) -> list[dict[str, Any]]:
    """Every item, the tasks inside incidents included, in the item shape."""
    flat = []
    for incident in incidents_of(client):
        inner = incident.pop("tasks", [])
        incident.pop("key"), incident.pop("acknowledged")
        flat += [incident, *inner]
    return flat


def job_url(ids: dict[str, str]) -> str:
    return reverse(
        "job_detail",
        kwargs={"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]},
    )


def step_url(ids: dict[str, str]) -> str:
    return job_url(ids) + f"steps/{ids['stepId']}/"


def queue_url(ids: dict[str, str]) -> str:
    return reverse("queue_detail", kwargs={"farm_id": ids["farmId"], "queue_id": ids["queueId"]})


def wedged_live_tasks(emulator: Emulator) -> list[dict[str, str]]:
    """The wedged job's tasks a worker still holds (the dead worker's)."""
    step = emulator.backend.landmarks()["wedged_step"]
    kwargs = {key.removesuffix("Id") + "_id": value for key, value in step.items()}
    tasks = emulator.backend.list_tasks(**kwargs)["tasks"]
    live = {"RUNNING", "ASSIGNED", "STARTING", "SCHEDULED", "INTERRUPTING"}
    return [{**step, "taskId": t["taskId"]} for t in tasks if t["runStatus"] in live]


def test_the_wedged_job_is_stalled_on_every_page(client: Client, emulator: Emulator) -> None:
    landmarks = emulator.backend.landmarks()
    wedged = landmarks["wedged_running_task"]
    worker = landmarks["wedged_worker"]["workerId"]

    stalled = [i for i in items_of(client) if i["kind"] == "stalled_task"]
    mine = next(i for i in stalled if i.get("task_id") == wedged["taskId"])
    assert mine["url"] == task_url(wedged)
    assert mine["worker_id"] == worker
    assert mine["reason"] == "worker render-c-004 is not responding"
    assert (mine["job_id"], mine["step_id"]) == (wedged["jobId"], wedged["stepId"])
    # The list page itself, with the job's name as its title.
    page = html_of(client.get("/attention/"))
    assert f'<a href="{task_url(wedged)}" data-row-link>' in page
    assert "sq090_sh0410_comp_v003" in page

    # Job page: the block of tasks that need attention, and the step's count.
    job = html_of(client.get(job_url(wedged)))
    block = re.search(
        r'<section class="notice notice--error attention-job".*?</section>', job, re.S
    )
    assert block is not None and task_url(wedged) in block.group(0)
    assert "worker render-c-004 is not responding" in block.group(0)
    assert re.search(r'badge--stalledtask"[^>]*>\d+ stalled<', job)

    # Step table: the task's row carries the badge and its reason.
    step = html_of(client.get(step_url(wedged)))
    row = re.search(rf'<tr class="task-row" data-task-id="{wedged["taskId"]}">.*?</tr>', step, re.S)
    assert row is not None
    assert 'class="badge badge--stalledtask"' in row.group(0)
    assert "worker render-c-004 is not responding" in row.group(0)

    # The queue's job list (a list): the job's row counts its stalled tasks.
    queue = html_of(client.get(queue_url(wedged)))
    job_row = re.search(rf'<tr data-href="{job_url(wedged)}">.*?</tr>', queue, re.S)
    assert job_row is not None and re.search(r"\d+ stalled", job_row.group(0))

    # Task page: the verdict with its reason, inline and from the attempts section (htmx).
    inline = html_of(client.get(task_url(wedged), {"attempt": "latest"}))
    assert 'data-attention="stalled"' in inline
    assert "Worker render-c-004 is not responding" in inline
    fragment = html_of(client.get(task_url(wedged) + "attempts/", headers=HX))
    oob = re.search(
        r'<div id="task-attention" class="task-attention" hx-swap-oob="true">.*?</div>',
        fragment,
        re.S,
    )
    assert oob is not None and 'data-attention="stalled"' in oob.group(0)
    # Its worker label says what the worker does for this task, and that it is trouble.
    assert "Not responding while running this task" in fragment


def test_every_task_the_dead_worker_holds_is_stalled(client: Client, emulator: Emulator) -> None:
    held = {t["taskId"] for t in wedged_live_tasks(emulator)}
    flagged = {i.get("task_id") for i in items_of(client) if i["kind"] == "stalled_task"}
    # Each status a dead worker can hold a task in: running, interrupting, and before it ran.
    assert len(held) == 5
    assert held <= flagged


def test_a_task_held_but_never_started_ranks_by_how_long_it_has_been_held(
    client: Client, emulator: Emulator
) -> None:
    held = {t["taskId"] for t in wedged_live_tasks(emulator)}
    items = [i for i in items_of(client) if i.get("task_id") in held]
    # Before it ran it has no start time: its impact counts from when it was last updated
    # (assigned to the dead worker), not zero, so it does not sink below lesser trouble.
    assert len(items) == 5 and all(i["impact"] > 0 for i in items), items


def test_the_blocked_queue_and_the_unreliable_worker_are_listed(
    client: Client, emulator: Emulator
) -> None:
    landmarks = emulator.backend.landmarks()
    items = items_of(client)

    blocked = [i for i in items if i["kind"] == "blocked_queue"]
    assert [(i["queue_id"], i["farm_id"]) for i in blocked] == [
        (landmarks["blocked_queue"]["queueId"], landmarks["blocked_queue"]["farmId"])
    ]
    assert blocked[0]["reason"].startswith("scheduling blocked: no budget configured")
    assert blocked[0]["url"] == queue_url(landmarks["blocked_queue"])

    sick = {i["worker_id"]: i for i in items if i["kind"] == "sick_worker"}
    unreliable = sick[landmarks["unreliable_worker"]["workerId"]]
    assert re.fullmatch(
        r"failed \d+ of its \d+ recent attempts \(\d+%; \d+% on the other workers\)",
        unreliable["reason"],
    )
    # Its row leads to one of its failed attempts, where one sees the evidence.
    assert "?attempt=sessionaction-" in unreliable["url"]
    assert resolve(unreliable["url"].split("?")[0]).url_name == "task_detail"
    dead = sick[landmarks["wedged_worker"]["workerId"]]
    assert dead["reason"].startswith("not responding with ")
    # Only those two: the other workers fail about as often as each other.
    assert set(sick) == {
        landmarks["unreliable_worker"]["workerId"],
        landmarks["wedged_worker"]["workerId"],
    }


def test_a_normal_running_task_is_not_flagged(client: Client, emulator: Emulator) -> None:
    running = emulator.backend.find_tasks("RUNNING", limit=20)
    assert len(running) >= 5
    flagged = {i.get("task_id") for i in items_of(client) if i["kind"] in attention.TASK_KINDS}
    assert not flagged & {t["taskId"] for t in running}

    for ids in running[:3]:
        html = html_of(client.get(task_url(ids), {"attempt": "latest"}))
        assert "data-attention=" not in html
        labels = re.findall(r"data-worker-activity>([^<]*)<", html)
        # What the worker does for this task: never "Idle" while it runs it.
        assert labels[0] == "Running this task"
        assert not any(label.lower() == "idle" for label in labels)


def test_the_json_answers_in_the_issues_shape(client: Client, emulator: Emulator) -> None:
    items = items_of(client)

    # waiting_job needs the scheduling lab (tests/tasks_app/selectors/test_attention_waiting.py);
    # budget a budget near its threshold (tests/tasks_app/views/test_budgets.py).
    assert {i["kind"] for i in items} == set(attention.KINDS) - {
        "slow_task",
        "waiting_job",
        "budget",
    }
    for item in items:
        assert ITEM_KEYS <= set(item) <= ITEM_KEYS | ID_KEYS, item
        assert isinstance(item["impact"], int | float) and item["impact"] >= 0
        assert item["reason"] and item["url"].startswith("/farms/")
        for key in ID_KEYS | {"farm_id"}:
            if key in item:
                assert ID_PATTERNS[key].fullmatch(item[key]), (key, item[key])
    for kind, needs in {
        "stalled_task": {"queue_id", "job_id", "step_id", "task_id"},
        "failed_job": {"queue_id", "job_id"},
        "blocked_queue": {"queue_id"},
        "sick_worker": {"worker_id"},
    }.items():
        assert all(needs <= set(i) for i in items if i["kind"] == kind), kind
    # Each row leads where one acts: a job's failures grouped by cause, a task, a queue.
    where = {"failed_job": "job_failures", "stalled_task": "task_detail"}
    where["blocked_queue"] = "queue_detail"
    for item in items:
        if item["kind"] in where:
            assert resolve(item["url"].split("?")[0]).url_name == where[item["kind"]], item
    # Incidents ranked by impact.
    impacts = [i["impact"] for i in incidents_of(client)]
    assert impacts == sorted(impacts, reverse=True)


def test_the_page_refreshes_in_place_and_answers_204_while_unchanged(
    client: Client, emulator: Emulator
) -> None:
    page = html_of(client.get("/attention/"))
    assert 'id="live"' in page and "data-poll" in page
    version = re.search(r'<section id="live"[^>]*data-version="(\w+)"', page).group(1)

    fragment = client.get("/attention/", headers=HX)
    html = html_of(fragment)
    assert fragment.status_code == 200 and "<html" not in html
    assert html.startswith('<section id="live"')
    # The header's count comes along out of band.
    assert 'id="attention-count"' in html and 'hx-swap-oob="true"' in html

    again = client.get("/attention/", {"v": version}, headers=HX)
    assert again.status_code == 204
    assert {"Accept", "HX-Request"} <= {v.strip() for v in again["Vary"].split(",")}


def test_the_header_count_loads_after_the_page_and_costs_no_call_once_built(
    client: Client, emulator: Emulator, held_clock: ManualClock
) -> None:
    home = html_of(client.get("/farms/"))
    # A plain link, and a count htmx loads once the page is there.
    assert (
        '<a href="/attention/">Attention <span id="attention-count" hx-get="/attention/count/"'
        in home
    )
    assert 'hx-trigger="load, every 60s"' in home
    assert "count-badge" not in home

    count = len(incidents_of(client))
    emulator.calls.reset()
    badge = html_of(client.get("/attention/count/", headers=HX))
    assert re.search(rf'class="count-badge[^"]*">.*?{count}<', badge)
    assert emulator.calls.total() == 0
    # Without htmx the count's URL is the list.
    response = client.get("/attention/count/")
    assert response.status_code == 302 and response["Location"] == "/attention/"


def test_one_refresh_per_ttl_bounded_by_the_queues(
    client: Client, emulator: Emulator, held_clock: ManualClock
) -> None:
    queues = sum(len(emulator.backend.list_queues(farm_id=f["farmId"])["queues"])
                 for f in emulator.backend.list_farms()["farms"])  # fmt: skip
    emulator.calls.reset()

    items_of(client)
    cold = emulator.calls.snapshot()
    assert cold.get("GetTask", 0) == 0  # never a call per task of the farm
    assert cold["SearchJobs"] == queues
    assert (
        cold["SearchTasks"] <= queues * (attention.ACTIVE_TASK_PAGES + attention.SAMPLE_PAGES) + 1
    )
    per_queue = attention.HEALTH_JOBS * (attention.HEALTH_PAGES + 1)
    assert cold.get("ListSessionActions", 0) + cold.get("ListSessions", 0) <= queues * per_queue

    # Warm: every viewer, every page of the list, and its JSON, for no call at all.
    emulator.calls.reset()
    client.get("/attention/")
    client.get("/attention/", headers=HX)
    items_of(client)
    client.get("/attention/count/", headers=HX)
    assert emulator.calls.total() == 0


def test_other_pages_never_build_the_list_themselves(client: Client, emulator: Emulator) -> None:
    wedged = emulator.backend.landmarks()["wedged_running_task"]

    job = html_of(client.get(job_url(wedged)))
    assert "The farm-wide check for stalled and slow tasks has not run yet" in job
    assert emulator.calls["SearchJobs"] == 0 and emulator.calls["ListWorkers"] == 0

    items_of(client)  # what the header's count does after every page
    assert "attention-job" in html_of(client.get(job_url(wedged)))


@pytest.mark.parametrize("mode", ["strict", "ignore"])
def test_without_the_run_status_filter_the_busiest_jobs_are_checked(
    client: Client,
    emulator: Emulator,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
    held_clock: ManualClock,
    mode: str,
) -> None:
    """An account that refuses (strict) or ignores the assumed RUN_STATUS name still finds
    the wedged tasks, from SearchTasks(jobId) listings that use no assumed name; what it did
    is remembered, so the next refresh does not send the name again."""
    emulator.search.set(mode)
    wedged = emulator.backend.landmarks()["wedged_running_task"]

    response = client.get("/attention/")
    items = items_of(client)

    assert any(i.get("task_id") == wedged["taskId"] and i["kind"] == "stalled_task" for i in items)
    verdict = {"strict": "refused", "ignore": "ignored"}[mode]
    # The note names what the account did with the assumed name (ignoring ENDED_AT with it).
    assert re.search(f"SearchTasks {verdict} [A-Z_, ]*RUN_STATUS", html_of(response))

    sent: list[str] = []
    real = search_module.call

    def recording(operation: str, **params: Any) -> dict[str, Any]:
        sent.append(f"{operation} {json.dumps(params, default=str)}")
        return real(operation, **params)

    monkeypatch.setattr(search_module, "call", recording)
    held_clock.advance(settings.DASHBOARD_ATTENTION_SECONDS + attention.SAMPLE_SECONDS + 1)
    again = items_of(client)

    assert sent and not any('"name": "RUN_STATUS"' in request for request in sent)
    assert any('"jobId": "job-' in request for request in sent)  # the busiest jobs' listings
    assert any(i.get("task_id") == wedged["taskId"] for i in again)


def test_only_allowed_farms_are_checked(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    main = emulator.backend.landmarks()["farm_main"]
    settings.DASHBOARD_FARMS = [main]

    items = items_of(client)

    assert items and {i["farm_id"] for i in items} == {main}
    assert "Previs" not in html_of(client.get("/attention/"))


@pytest.mark.fresh_world
def test_a_frame_far_slower_than_its_siblings_is_slow(client: Client, emulator: Emulator) -> None:
    heavy = add_heavy_frame_job(emulator, minutes_ago=20)

    slow = [i for i in items_of(client) if i["kind"] == "slow_task"]

    assert [i["task_id"] for i in slow] == [heavy["taskId"]]
    assert re.fullmatch(
        r"running 1\d min, [23]\.\d times the step's p95 of 6 min \(23 finished tasks\)",
        slow[0]["reason"],
    )
    assert slow[0]["url"] == task_url(heavy)
    # The task page and the step table say so too.
    page = html_of(client.get(task_url(heavy), {"attempt": "latest"}))
    assert 'data-attention="slow"' in page
    step = html_of(client.get(step_url(heavy)))
    row = re.search(rf'<tr class="task-row" data-task-id="{heavy["taskId"]}">.*?</tr>', step, re.S)
    assert row is not None and 'class="badge badge--slowtask"' in row.group(0)
    # Its siblings, finished or not, are not.
    assert step.count("badge--slowtask") == 1


@pytest.mark.fresh_world
def test_a_young_heavy_frame_is_not_slow_yet(client: Client, emulator: Emulator) -> None:
    heavy = add_heavy_frame_job(emulator, minutes_ago=9)

    flagged = [i for i in items_of(client) if i.get("job_id") == heavy["jobId"]]

    assert flagged == []
    page = html_of(client.get(task_url(heavy), {"attempt": "latest"}))
    assert "This step&#x27;s tasks take median" in page and "data-attention" not in page


def test_when_the_list_cannot_be_built_pages_say_why_and_the_count_waits(
    client: Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.faults.set("ListFarms", deny=True)
    # The denied build fails in a moment: hold it until the first count has answered.
    answered = threading.Event()
    build = attention.get_report
    monkeypatch.setattr(attention, "get_report", lambda: answered.wait(60) and build())

    count = html_of(client.get("/attention/count/", headers=HX))
    answered.set()
    # The build starts in the background: the count asks again shortly.
    assert 'hx-trigger="load delay:500ms"' in count and "count-badge" not in count
    assert attention_refresh.wait(60)
    count = html_of(client.get("/attention/count/", headers=HX))
    # It failed: no badge, and no quick reload either (it would retry in a loop).
    assert 'hx-trigger="every 60s"' in count and "count-badge" not in count
    page = client.get("/attention/")
    assert page.status_code == 403 and "deadline:ListFarms" in html_of(page)
    answer = client.get("/attention/", headers=JSON)
    assert answer.status_code == 403 and "deadline:ListFarms" in answer.json()["error"]


@pytest.mark.django_db
def test_the_sign_in_page_loads_no_count(client: Client, settings: LazySettings) -> None:
    """Someone not signed in gets the plain link only: loading the count would send them to
    sign in again, away from the page they were sent back to."""
    settings.DASHBOARD_AUTH = "login"

    page = html_of(client.get("/login/"))

    assert '<a href="/attention/">Attention</a>' in page
    assert "/attention/count/" not in page
    # And the count itself asks for a sign-in, like every page.
    assert client.get("/attention/count/").status_code == 302


def test_every_page_carries_the_count_in_its_header(
    client: Client, emulator: Emulator, db: None
) -> None:
    """Every full page the project serves (enumerated from its URL patterns) has the header's
    count, which htmx loads after it (the audit pages read the database)."""
    task = emulator.backend.landmarks()["failed_with_retries_task"]
    ids = {f"{key.removesuffix('Id')}_id": value for key, value in task.items()}
    ids["run_id"] = "1"  # an action's result page: no action yet, so a 404 page
    ids["rule_id"] = "1"  # a notification rule's forms: POST only
    ids["action_id"] = "1"  # a machine action's audit row: none yet, so a 404 page
    worker = next(w for w in emulator.backend.world.workers if w.farm_id == ids["farm_id"])
    ids.update(fleet_id=worker.fleet_id, worker_id=worker.worker_id)  # the farm side's pages
    pages = []
    for route in all_routes():
        response = client.get(route.build(ids) + ("?q=farm-" if str(route) == "go" else ""))
        html = html_of(response) if response.status_code == 200 else ""
        if html.lstrip().lower().startswith("<!doctype html>"):
            pages.append(str(route))
            assert COUNT_SPAN in html, route
    # Farms to tasks, their logs and attempts, failures views, the attention list itself.
    assert {"farm_list", "job_detail", "task_detail", "job_failures", "attention", "audit"} <= set(
        pages
    )


def test_the_readme_states_every_call_a_refresh_makes(client: Client, emulator: Emulator) -> None:
    """README "What needs attention" lists, per queue (or per farm, worker, task), every API
    operation a cold build of the list makes: a new call fails here until it is documented."""
    readme = (Path(__file__).resolve().parents[3] / "docs" / "attention.md").read_text()
    section = readme.split("\n## What needs attention\n", 1)[1].split("\n## ", 1)[0]
    budget = section.split("**API budget.**", 1)[1]
    emulator.calls.reset()

    items_of(client)

    made = {op for op, n in emulator.calls.snapshot().items() if n}
    assert {"SearchJobs", "SearchTasks", "ListWorkers"} <= made
    assert "| queue | " in budget
    undocumented = sorted(op for op in made if not re.search(rf"\b{op}\b", budget))
    assert not undocumented, f"README's attention API budget does not name {undocumented}"


@pytest.mark.fresh_world
def test_a_farm_of_20_queues_of_50_active_jobs_costs_calls_per_queue_and_none_warm(
    client: Client, emulator: Emulator, settings: LazySettings, held_clock: ManualClock
) -> None:
    """The bench's synthetic farm: a cold build costs a bounded number of calls per queue
    (never one per task or job), every viewer after it none, until DASHBOARD_ATTENTION_SECONDS
    pass; then only what expired is read again."""
    built = emulator.add_farm(queues=20, jobs_per_queue=50)
    settings.DASHBOARD_FARMS = [built["farmId"]]
    queues = len(built["queues"])
    emulator.calls.reset()

    items = items_of(client)

    cold = emulator.calls.snapshot()
    assert items and {i["farm_id"] for i in items} == {built["farmId"]}
    assert cold["SearchJobs"] == queues
    assert cold.get("GetTask", 0) == cold.get("GetJob", 0) == 0
    assert sum(cold.values()) <= 12 * queues, cold

    emulator.calls.reset()
    items_of(client)
    client.get("/attention/")
    client.get("/attention/count/", headers=HX)
    assert emulator.calls.total() == 0

    held_clock.advance(settings.DASHBOARD_ATTENTION_SECONDS + 1)
    items_of(client)
    refresh = emulator.calls.snapshot()
    assert refresh["SearchJobs"] == queues
    assert 0 < sum(refresh.values()) < sum(cold.values()) / 2, refresh
