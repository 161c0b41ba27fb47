"""The home page: open a task by its IDs; demo examples."""

from __future__ import annotations

from django.test import Client

from tests.conftest import Tiny
from tests.tasks_app.tiny_world import Ids


def test_home_renders_the_form(client: Client, tiny: Tiny) -> None:
    response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    for name in ("farm_id", "queue_id", "job_id", "step_id", "task_id"):
        assert f'name="{name}"' in html
    # The navigation form lists farms; nothing else is read before a farm is chosen.
    assert set(tiny.emulator.calls) <= {"ListFarms"}


def test_complete_ids_redirect_to_the_task_url(client: Client, tiny: Tiny) -> None:
    ids = Ids()

    response = client.get("/", {**ids.kwargs(), "task_id": f"  {ids.task_id} "})

    assert response.status_code == 302
    assert response["Location"] == ids.url()
    assert tiny.emulator.calls.total() == 0


def test_malformed_ids_get_a_message_next_to_the_field(client: Client, tiny: Tiny) -> None:
    ids = Ids()

    response = client.get("/", {**ids.kwargs(), "task_id": "task-<script>", "job_id": ""})
    html = response.content.decode()

    assert response.status_code == 200
    assert "Expected task-&lt;32 hex digits&gt;-&lt;index&gt;" in html
    assert "This field is required." in html
    assert "task-<script>" not in html
    assert set(tiny.emulator.calls) <= {"ListFarms"}  # never a call with the malformed ID


def test_parent_link_prefills_the_form_without_errors(client: Client, tiny: Tiny) -> None:
    ids = Ids()
    parent = {k: v for k, v in ids.kwargs().items() if k != "task_id"}

    html = client.get("/", parent).content.decode()

    assert f'value="{ids.step_id}"' in html
    assert "This field is required." not in html
