"""The blockers pages (job and step, HTML and JSON), the pieces other pages load (one line,
the dependency graph, a step's links), and the farm's limits page."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.selectors.blockers.graph import step_graph
from tests.htmx_headers import HTMX as HX
from tests.tasks_app.selectors.blockers import lab

JSON = {"Accept": "application/json"}


@pytest.fixture
def world(emulator: Emulator) -> dict[str, Any]:
    return lab.install(emulator)


def _job_kwargs(ids: dict[str, Any], role: str, queue: str) -> dict[str, str]:
    return {"farm_id": ids["farmId"], "queue_id": ids["queues"][queue], "job_id": ids["jobs"][role]}


def _steps(emulator: Emulator, kwargs: dict[str, str]) -> list[dict[str, Any]]:
    api = lab.api(emulator)
    return api.list_steps(
        farmId=kwargs["farm_id"], queueId=kwargs["queue_id"], jobId=kwargs["job_id"]
    )["steps"]


def test_job_blockers_page_and_json(client: Client, world: dict[str, Any]) -> None:
    kwargs = _job_kwargs(world, "licensed", "work")
    url = reverse("job_blockers", kwargs=kwargs)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Limit reached" in html and "Nuke licences" in html
    limits_url = reverse("farm_limits", kwargs={"farm_id": world["farmId"]})
    assert f'href="{limits_url}#{world["limitId"]}"' in html
    data = client.get(url, headers=JSON).json()
    assert data["waiting"] == 4 and data["running"] == 0
    assert [b["kind"] for b in data["blockers"]] == ["limit_reached"]
    assert data["blockers"][0]["limit_id"] == world["limitId"]
    assert client.get(f"{url}?format=json").json() == data


def test_step_blockers_json(client: Client, emulator: Emulator, world: dict[str, Any]) -> None:
    kwargs = _job_kwargs(world, "upstream", "work")
    simulate, render = sorted(_steps(emulator, kwargs), key=lambda s: s["name"] != "simulate")
    url = reverse("step_blockers", kwargs={**kwargs, "step_id": render["stepId"]})
    data = client.get(url, headers=JSON).json()
    assert data["blockers"] == [
        {
            "kind": "waiting_on_step",
            "reason": data["blockers"][0]["reason"],
            "step_id": render["stepId"],
            "depends_on_step_id": simulate["stepId"],
            "current": 0,
            "maximum": 1,
        }
    ]
    # The upstream step itself waits on nothing.
    upstream = reverse("step_blockers", kwargs={**kwargs, "step_id": simulate["stepId"]})
    assert client.get(upstream, headers=JSON).json()["waiting"] == 0


def test_one_line_on_the_job_page(client: Client, world: dict[str, Any]) -> None:
    kwargs = _job_kwargs(world, "budget", "budget")
    url = reverse("job_blockers", kwargs=kwargs)
    job_page = client.get(reverse("job_detail", kwargs=kwargs)).content.decode()
    assert f'hx-get="{url}?part=line"' in job_page and f'href="{url}"' in job_page
    line = client.get(f"{url}?part=line", headers=HX).content.decode()
    assert "6 waiting:" in line
    assert "<bdi>Queue blocked</bdi>; <bdi>Budget reached</bdi>" in line
    assert f'href="{url}"' in line
    # Work that is not waiting says nothing.
    running = reverse("job_blockers", kwargs=_job_kwargs(world, "holder", "work"))
    assert client.get(f"{running}?part=line", headers=HX).content.strip() == b""


def test_task_page_of_a_waiting_task_links_its_step_blockers(
    client: Client, emulator: Emulator, world: dict[str, Any]
) -> None:
    kwargs = _job_kwargs(world, "licensed", "work")
    step = _steps(emulator, kwargs)[0]
    task_id = f"task-{step['stepId'][5:]}-0"
    page = client.get(
        reverse("task_detail", kwargs={**kwargs, "step_id": step["stepId"], "task_id": task_id})
    )
    blockers_url = reverse("step_blockers", kwargs={**kwargs, "step_id": step["stepId"]})
    assert f'hx-get="{blockers_url}?part=line"' in page.content.decode()


def test_graph_nodes_and_edges_match_list_step_dependencies(
    client: Client, emulator: Emulator
) -> None:
    api = lab.api(emulator)
    landmark = emulator.backend.landmarks()["failed_deps_job"]
    kwargs = {
        "farm_id": landmark["farmId"],
        "queue_id": landmark["queueId"],
        "job_id": landmark["jobId"],
    }
    steps = _steps(emulator, kwargs)
    assert len(steps) > 1
    expected = set()
    for s in steps:
        deps = api.list_step_dependencies(
            farmId=kwargs["farm_id"],
            queueId=kwargs["queue_id"],
            jobId=kwargs["job_id"],
            stepId=s["stepId"],
        )["dependencies"]
        expected |= {(d["stepId"], s["stepId"], d["status"] == "RESOLVED") for d in deps}
    graph = step_graph(**kwargs)
    assert {n.step_id for n in graph.nodes} == {s["stepId"] for s in steps}
    assert {(e.upstream, e.downstream, e.resolved) for e in graph.edges} == expected
    assert expected
    html = client.get(
        reverse("job_blockers", kwargs=kwargs) + "?part=graph", headers=HX
    ).content.decode()
    assert html.count("step-graph__edge") - html.count("step-graph__edge--") == len(expected)
    assert html.count('class="step-graph__node') == len(steps)


def test_blocking_path_is_marked_and_step_links(
    client: Client, emulator: Emulator, world: dict[str, Any]
) -> None:
    kwargs = _job_kwargs(world, "upstream", "work")
    simulate, render = sorted(_steps(emulator, kwargs), key=lambda s: s["name"] != "simulate")
    html = client.get(reverse("job_blockers", kwargs=kwargs)).content.decode()
    assert "step-graph__edge--blocking" in html and "step-graph__node--blocking" in html
    links = client.get(
        reverse("step_blockers", kwargs={**kwargs, "step_id": render["stepId"]}) + "?part=links",
        headers=HX,
    ).content.decode()
    assert "Waits on" in links and "simulate" in links and "blocking" in links
    consumers = client.get(
        reverse("step_blockers", kwargs={**kwargs, "step_id": simulate["stepId"]}) + "?part=links",
        headers=HX,
    ).content.decode()
    assert "Waited on by" in consumers and ">render<" in consumers


def test_limits_page(client: Client, world: dict[str, Any]) -> None:
    url = reverse("farm_limits", kwargs={"farm_id": world["farmId"]})
    data = client.get(url, headers=JSON).json()
    (limit,) = data["limits"]
    assert limit["limit_id"] == world["limitId"]
    assert (limit["current_count"], limit["max_count"]) == (2, 2)
    assert limit["amount_requirement_name"] == "amount.limit.nuke"
    assert [q["queue_id"] for q in limit["queues"]] == [world["queues"]["work"]]
    assert limit["holders"] == [
        {"queue_id": world["queues"]["work"], "job_id": world["jobs"]["holder"], "tasks": 2}
    ]
    html = client.get(url).content.decode()
    assert "Nuke licences" in html and "lab_licence_holder_comp_v012" in html
    assert 'value="2"' in html and "At maximum" in html


def test_unknown_job_is_a_json_404(client: Client, world: dict[str, Any]) -> None:
    kwargs = {**_job_kwargs(world, "budget", "budget"), "job_id": "job-" + "0" * 32}
    response = client.get(reverse("job_blockers", kwargs=kwargs), headers=JSON)
    assert response.status_code == 404


def test_queue_settings(client: Client, world: dict[str, Any]) -> None:
    farm, queue = world["farmId"], world["queues"]["stopping"]
    url = reverse("queue_settings", kwargs={"farm_id": farm, "queue_id": queue})
    page = client.get(reverse("queue_detail", kwargs={"farm_id": farm, "queue_id": queue}))
    assert f'hx-get="{url}"' in page.content.decode()
    data = client.get(url, headers=JSON).json()
    assert data["scheduling_configuration"] == {"priorityFifo": {}}
    fleets = {f["fleet_id"]: f for f in data["fleets"]}
    assert fleets[world["fleets"]["spare"]]["association_status"] == (
        "STOP_SCHEDULING_AND_COMPLETE_TASKS"
    )
    assert fleets[world["fleets"]["suspended"]]["fleet_status"] == "SUSPENDED"
    fragment = client.get(url, headers=HX).content.decode()
    assert "Lab suspended fleet" in fragment and "licences are being renewed" in fragment
    work = world["queues"]["work"]
    limits = client.get(
        reverse("queue_settings", kwargs={"farm_id": farm, "queue_id": work}), headers=JSON
    ).json()["limits"]
    assert [(x["limit_id"], x["current_count"], x["max_count"]) for x in limits] == [
        (world["limitId"], 2, 2)
    ]
    budget_queue = world["queues"]["budget"]
    budgets = client.get(
        reverse("queue_settings", kwargs={"farm_id": farm, "queue_id": budget_queue}),
        headers=JSON,
    ).json()["budgets"]
    assert budgets[0]["budget_id"] == world["budgetId"]
    assert budgets[0]["actions"] == [
        {"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "threshold_percentage": 100.0}
    ]


class _Anchors(HTMLParser):
    """The text of every link to one address."""

    def __init__(self, href: str) -> None:
        super().__init__()
        self.href, self.texts, self._open = href, [], False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and dict(attrs).get("href") == self.href:
            self._open = True
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = self._open and tag != "a"

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[-1] += data


def _links(html: str, href: str) -> list[str]:
    parser = _Anchors(href)
    parser.feed(html)
    return [text.strip() for text in parser.texts]


def test_queue_job_list_says_why_jobs_wait(client: Client, world: dict[str, Any]) -> None:
    farm = world["farmId"]
    budget_queue = reverse(
        "queue_detail", kwargs={"farm_id": farm, "queue_id": world["queues"]["budget"]}
    )
    html = client.get(budget_queue).content.decode()
    # Under each waiting job's status (no column of its own: the table fits 1,280 px).
    assert '<span class="visually-hidden">Waiting because: </span>' in html
    blockers_url = reverse("job_blockers", kwargs=_job_kwargs(world, "budget", "budget"))
    assert _links(html, blockers_url) == ["Queue blocked"]
    work = reverse("queue_detail", kwargs={"farm_id": farm, "queue_id": world["queues"]["work"]})
    html = client.get(work).content.decode()
    suspended = reverse("job_blockers", kwargs=_job_kwargs(world, "suspended", "work"))
    assert _links(html, suspended) == ["Suspended"]
    upstream = reverse("job_blockers", kwargs=_job_kwargs(world, "upstream", "work"))
    assert _links(html, upstream) == ["Waiting on a step"]
    capped = reverse("job_blockers", kwargs=_job_kwargs(world, "capped", "work"))
    assert _links(html, capped) == ["Job at its worker maximum"]
    stopping = reverse(
        "queue_detail", kwargs={"farm_id": farm, "queue_id": world["queues"]["stopping"]}
    )
    why = reverse("job_blockers", kwargs=_job_kwargs(world, "stopping", "stopping"))
    assert _links(client.get(stopping).content.decode(), why) == ["see why"]
    # A job with nothing waiting has no reason.
    holder = reverse("job_blockers", kwargs=_job_kwargs(world, "holder", "work"))
    assert f'href="{holder}"' not in html


def test_demo_mode_adds_the_lab_when_asked(client: Client, emulator: Emulator, settings) -> None:
    from tasks_app.deadline import client as deadline_client

    settings.DEADLINE_DEMO_LAB = True
    deadline_client.clear_client_cache()
    html = client.get(reverse("farm_list")).content.decode()
    assert "Scheduling lab" in html
    assert emulator.backend.scheduling_lab_ids["farmId"] in html
