"""DASHBOARD_FARMS: other farms are invisible on every page, list, select and form, and no
API call ever names them."""

from __future__ import annotations

import pytest
from django.conf import LazySettings
from django.core.cache import cache
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline import allow_list
from tasks_app.deadline import client as deadline_client
from tasks_app.deadline.errors import NotFound
from tasks_app.selectors import browse, resources, triage
from tests.htmx_headers import HTMX as HX
from tests.security.conftest import ApiCalls, Hostile
from tests.security.routes import page_urls

pytestmark = pytest.mark.read_only_world

AUTH_PAGES = frozenset({"login", "logout"})  # 404 in the default auth mode (none)


@pytest.fixture
def farms(emulator: Emulator) -> dict[str, str]:
    landmarks = emulator.backend.landmarks()
    return {"main": landmarks["farm_main"], "previs": landmarks["farm_previs"]}


@pytest.fixture
def previs_ids(emulator: Emulator) -> dict[str, str]:
    """IDs of every level of a job in the previs farm, down to a task."""
    step = emulator.backend.landmarks()["incompatible_step"]
    ids = {key.removesuffix("Id") + "_id": value for key, value in step.items()}
    task = emulator.backend.list_tasks(**ids, max_results=1)["tasks"][0]
    return {**ids, "task_id": task["taskId"]}


@pytest.fixture
def main_only(settings: LazySettings, farms: dict[str, str]) -> None:
    settings.DASHBOARD_FARMS = [farms["main"]]


def test_every_url_of_another_farm_is_not_found_without_an_api_call(
    client: Client, main_only: None, previs_ids: dict[str, str], api_calls: ApiCalls
) -> None:
    urls = page_urls(previs_ids)
    with_farm = {name: url for name, url in urls.items() if previs_ids["farm_id"] in url}
    assert {"farm_detail", "queue_detail", "step_detail", "task_detail", "task_log"} <= set(
        with_farm
    )
    for name, url in with_farm.items():
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, (name, headers)
            assert f"Farm <code>{previs_ids['farm_id']}</code> was not found" in (
                response.content.decode()
            )
    assert api_calls.calls == []


def test_the_same_urls_open_without_an_allow_list(
    client: Client, previs_ids: dict[str, str]
) -> None:
    for name, url in page_urls(previs_ids, skip=AUTH_PAGES).items():
        assert client.get(url, follow=True).status_code == 200, name


def test_no_page_of_the_allowed_farm_shows_another_farm(
    client: Client,
    main_only: None,
    hostile: Hostile,
    farms: dict[str, str],
    api_calls: ApiCalls,
) -> None:
    ids = hostile.kwargs()
    urls = page_urls(ids, skip=AUTH_PAGES)
    # The navigation form with every level chosen, and the farm list.
    urls["browse-selected"] = "/browse/?" + "&".join(
        f"{k}={v}" for k, v in ids.items() if k != "task_id"
    )
    for name, url in urls.items():
        response = client.get(url, follow=True)
        assert response.status_code == 200, name
        assert farms["previs"] not in response.content.decode(), name
    farm_list = client.get("/farms/").content.decode()
    assert farms["main"] in farm_list
    assert "Previs" not in farm_list
    assert api_calls.farms() == {farms["main"]}


def test_farm_list_and_navigation_select_offer_only_allowed_farms(
    client: Client, settings: LazySettings, farms: dict[str, str]
) -> None:
    for allowed, hidden in ((farms["main"], farms["previs"]), (farms["previs"], farms["main"])):
        settings.DASHBOARD_FARMS = [allowed]
        cache.clear()
        for url in ("/farms/", "/browse/"):
            html = client.get(url).content.decode()
            assert allowed in html, url
            assert hidden not in html, url
        assert [f.farm_id for f in browse.list_farms().farms] == [allowed]
    settings.DASHBOARD_FARMS = []
    cache.clear()
    html = client.get("/farms/").content.decode()
    assert farms["main"] in html and farms["previs"] in html


def test_navigation_form_rejects_another_farm(
    client: Client, main_only: None, previs_ids: dict[str, str], api_calls: ApiCalls
) -> None:
    query = {k: previs_ids[k] for k in ("farm_id", "queue_id", "job_id", "step_id", "task_id")}
    response = client.get("/browse/", query)
    assert response.status_code == 200  # no redirect to the task: the form says why
    assert f"Farm {previs_ids['farm_id']} was not found." in response.content.decode()
    # The select changed (htmx): the levels below it stay empty.
    response = client.get("/browse/", query, headers={**HX, "HX-Trigger-Name": "farm_id"})
    assert response.status_code == 200
    assert previs_ids["queue_id"] not in response.content.decode()
    assert previs_ids["farm_id"] not in api_calls.farms()


@pytest.mark.parametrize(
    "text",
    [
        "{farm_id}",
        "{farm_id} {queue_id} {job_id} {step_id} {task_id}",
        "/farms/{farm_id}/queues/{queue_id}/",
        "aws deadline get-task --farm-id {farm_id} --queue-id {queue_id} --job-id {job_id} "
        "--step-id {step_id} --task-id {task_id}",
    ],
)
def test_go_to_box_rejects_another_farm(
    client: Client,
    main_only: None,
    previs_ids: dict[str, str],
    api_calls: ApiCalls,
    text: str,
) -> None:
    q = text.format(**previs_ids)
    response = client.get("/go/", {"q": q})
    assert response.status_code == 400
    assert f"Farm {previs_ids['farm_id']} was not found." in response.content.decode()
    response = client.get("/go/", {"q": q}, headers=HX)
    assert response.status_code == 400
    assert "HX-Redirect" not in response
    assert api_calls.calls == []


def test_go_to_box_still_opens_the_allowed_farm(
    client: Client, main_only: None, hostile: Hostile
) -> None:
    response = client.get("/go/", {"q": f"{hostile.farm_id} {hostile.job_id} {hostile.queue_id}"})
    assert response.status_code == 302
    assert hostile.job_id in response["Location"]


def test_service_layer_refuses_another_farm_before_calling(
    main_only: None, previs_ids: dict[str, str], api_calls: ApiCalls
) -> None:
    with pytest.raises(NotFound) as raised:
        resources.get_task(**previs_ids)
    assert raised.value.resource_type == "farm"
    with pytest.raises(NotFound):
        browse.list_queues(farm_id=previs_ids["farm_id"])
    with pytest.raises(NotFound):
        triage.get_log_tail(
            farm_id=previs_ids["farm_id"],
            queue_id=previs_ids["queue_id"],
            session_id="session-" + "0" * 32,
            start=None,
            end=None,
        )
    # BatchGet* name farms inside their identifiers: refused all the same.
    with pytest.raises(NotFound):
        deadline_client.get_client().batch_get_task(
            identifiers=[{k.removesuffix("_id") + "Id": v for k, v in previs_ids.items()}]
        )
    assert api_calls.calls == []


def test_home_examples_only_from_allowed_farms(
    client: Client, settings: LazySettings, farms: dict[str, str]
) -> None:
    assert {e.path.farm_id for e in browse.example_tasks()} == {farms["main"]}
    settings.DASHBOARD_FARMS = [farms["previs"]]
    assert browse.example_tasks() == []
    assert farms["main"] not in client.get("/").content.decode()


def test_log_group_farm() -> None:
    farm = "farm-" + "a" * 32
    assert allow_list.log_group_farm(f"/aws/deadline/{farm}/queue-{'b' * 32}") == farm
    assert allow_list.log_group_farm("/aws/lambda/x") is None
    assert allow_list.log_group_farm("/aws/deadline/") is None
