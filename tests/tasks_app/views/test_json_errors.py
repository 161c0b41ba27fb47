"""A script's request (``Accept: application/json``) gets every error as JSON, never an HTML
page: the farm allow-list's 404, unknown and malformed addresses, the API's errors (missing,
denied, unavailable), a bad query, a refused method or CSRF check, and a 500. Browsers and
htmx keep their HTML pages."""

from __future__ import annotations

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from tests.action_world import login_settings
from tests.conftest import Tiny
from tests.tasks_app.tiny_world import FARM_ID, JOB_ID, QUEUE_ID, hex_id

JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
OTHER_FARM = hex_id("farm", 0xF00)
MISSING_JOB = hex_id("job", 0xDEAD)
__all__ = ["login_settings"]  # a fixture


def _json_error(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/json"  # type: ignore[index]
    assert "Accept" in response["Vary"]  # type: ignore[index]
    assert response["X-Request-ID"]  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and isinstance(body["error"], str) and body["error"]
    return body  # type: ignore[no-any-return]


def test_a_farm_outside_the_allow_list_is_a_json_404_for_scripts(
    client: Client, tiny: Tiny, settings: LazySettings
) -> None:
    settings.DASHBOARD_FARMS = [OTHER_FARM]
    ids = tiny.world.add_task(0)
    urls = [
        reverse("farm_detail", kwargs={"farm_id": FARM_ID}),
        reverse("job_detail", kwargs={"farm_id": FARM_ID, "queue_id": QUEUE_ID, "job_id": JOB_ID}),
        reverse(
            "job_failures", kwargs={"farm_id": FARM_ID, "queue_id": QUEUE_ID, "job_id": JOB_ID}
        ),
        ids.url(),
    ]
    for url in urls:
        body = _json_error(client.get(url, headers=JSON), 404)
        assert body["error"] == f"Farm {FARM_ID} was not found."
        assert (body["resource_type"], body["resource_id"]) == ("farm", FARM_ID)
        # A browser and an htmx poll still get the page.
        page = client.get(url, headers=BROWSER)
        assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
        poll = client.get(url, headers={**JSON, "HX-Request": "true"})
        assert poll.status_code == 404 and poll["Content-Type"].startswith("text/html")
    assert _json_error(client.get(urls[0], {"format": "json"}), 404)["resource_id"] == FARM_ID
    assert sum(tiny.emulator.calls.values()) == 0  # refused before any API call


def test_unknown_and_malformed_addresses_are_json_404s(client: Client, tiny: Tiny) -> None:
    assert "No page" in str(_json_error(client.get("/no-such-page/", headers=JSON), 404)["error"])
    malformed = client.get("/farms/farm-not-hex/", headers=JSON)
    assert "malformed" in str(_json_error(malformed, 404)["error"])


def test_the_apis_errors_are_json_with_what_a_script_acts_on(
    client: Client, tiny: Tiny, settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1
    ids = tiny.world.add_task(0)
    missing = reverse(
        "job_detail", kwargs={"farm_id": FARM_ID, "queue_id": QUEUE_ID, "job_id": MISSING_JOB}
    )
    body = _json_error(client.get(missing, headers=JSON), 404)
    assert (body["resource_type"], body["resource_id"]) == ("job", MISSING_JOB)

    tiny.emulator.faults.set("GetTask", deny=True)
    body = _json_error(client.get(ids.url(), headers=JSON), 403)
    assert body["action"] == "deadline:GetTask"

    tiny.emulator.faults.clear()
    tiny.emulator.faults.set("*", down=True)
    response = client.get(ids.url(), headers=JSON)
    body = _json_error(response, 503)
    assert body["reason"] == "unreachable" and int(response["Retry-After"]) >= 1
    assert body["retry_after"] == int(response["Retry-After"])


def test_a_bad_failures_query_is_a_json_400(client: Client, tiny: Tiny) -> None:
    url = reverse(
        "job_failures", kwargs={"farm_id": FARM_ID, "queue_id": QUEUE_ID, "job_id": JOB_ID}
    )
    body = _json_error(client.get(url, {"wait": "soon"}, headers=JSON), 400)
    assert "?wait=" in str(body["error"])


def test_a_refused_method_and_a_failed_csrf_check_are_json(tiny: Tiny) -> None:
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/farms/", headers=JSON)
    assert "CSRF" not in refused.content.decode()  # no HTML page, no Django debug text
    _json_error(refused, 403)

    method = Client().post("/farms/", headers=JSON)
    _json_error(method, 405)
    assert method["Allow"] == "GET, HEAD"


@pytest.mark.urls("tests.dashboard.crash_urls")
def test_a_500_is_json_with_the_dashboards_own_request_id() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/crash/", headers={**JSON, "X-Request-ID": "client-chosen-1"})
    body = _json_error(response, 500)
    assert body["error"] == "Internal error."
    assert body["request_id"] == response["X-Request-ID"] != "client-chosen-1"


def test_a_script_not_signed_in_is_told_to_sign_in_not_redirected(
    client: Client, tiny: Tiny, login_settings: None, transactional_db: None
) -> None:
    body = _json_error(client.get("/farms/", headers=JSON), 401)
    assert str(body["login_url"]).startswith(reverse("login") + "?next=")
    browser = client.get("/farms/", headers=BROWSER)
    assert browser.status_code == 302 and browser["Location"] == body["login_url"]
