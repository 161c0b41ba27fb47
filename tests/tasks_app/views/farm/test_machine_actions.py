"""Acting on machines through the emulator: remove a STOPPED worker (DeleteWorker) and set a
fleet's minimum and maximum (UpdateFleet), each previewed, confirmed with the preview's token,
refused to a viewer (403), and kept as an audit row and an audit log line."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client
from tasks_app.models import MachineAction

_CONFIRM = re.compile(r'name="confirm" value="([^"]+)"')


@pytest.fixture
def acting_on_machines(settings: LazySettings, emulator: Emulator) -> Emulator:
    settings.DASHBOARD_ACTIONS = True
    return emulator


def _worker(emulator: Emulator, status: str) -> Any:
    return next(w for w in emulator.backend.world.workers if w.status == status)


def _confirm_token(response: Any) -> str:
    found = _CONFIRM.search(response.content.decode())
    assert found, response.content.decode()[-1500:]
    return found[1]


def test_removing_a_stopped_worker_is_previewed_confirmed_and_audited(
    acting_on_machines: Emulator, operator_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = acting_on_machines
    worker = _worker(emulator, "STOPPED")
    ids = [worker.farm_id, worker.fleet_id, worker.worker_id]
    page = operator_client.get(reverse("worker_detail", args=ids)).content.decode()
    url = reverse("worker_actions", args=ids)
    assert f'action="{url}"' in page and "data-remove-worker" in page

    preview = operator_client.post(url)
    assert preview.status_code == 200 and "DeleteWorker" in preview.content.decode()
    assert worker.worker_id in {w["workerId"] for w in _listed(emulator, worker)}  # not yet
    with caplog.at_level("INFO", logger="tasks_app.audit"):
        done = operator_client.post(
            url, {"confirm": _confirm_token(preview), "reason": "host retired", "intent": "confirm"}
        )

    assert done.status_code == 303
    row = MachineAction.objects.get()
    assert done["Location"] == reverse("machine_action_result", args=[row.pk])
    assert (row.kind, row.state, row.method) == ("remove-worker", "done", "DeleteWorker")
    assert (row.username, row.worker_id, row.reason) == ("ada", worker.worker_id, "host retired")
    assert row.before["status"] == "STOPPED"
    assert worker.worker_id not in {w["workerId"] for w in _listed(emulator, worker)}
    line = next(r.getMessage() for r in caplog.records if r.name == "tasks_app.audit")
    assert f"machine={row.pk}" in line and "action=remove-worker" in line and "state=done" in line
    result = operator_client.get(done["Location"]).content.decode()
    assert 'data-state="done"' in result and "host retired" in result
    # The same confirmation again finds the row: nothing is sent twice.
    again = operator_client.post(url, {"confirm": _confirm_token(preview), "intent": "confirm"})
    assert again["Location"] == done["Location"] and MachineAction.objects.count() == 1


def _listed(emulator: Emulator, worker: Any) -> list[dict[str, Any]]:
    return in_process_client(emulator).list_workers(
        farmId=worker.farm_id, fleetId=worker.fleet_id, maxResults=100
    )["workers"]


def test_a_running_worker_cannot_be_removed(
    acting_on_machines: Emulator, operator_client: Client
) -> None:
    worker = _worker(acting_on_machines, "RUNNING")
    ids = [worker.farm_id, worker.fleet_id, worker.worker_id]

    preview = operator_client.post(reverse("worker_actions", args=ids)).content.decode()

    assert "data-problem" in preview and 'name="confirm"' not in preview
    assert (
        "data-remove-worker"
        not in operator_client.get(reverse("worker_detail", args=ids)).content.decode()
    )


def test_setting_a_fleets_size_is_previewed_confirmed_and_audited(
    acting_on_machines: Emulator, operator_client: Client
) -> None:
    fleet = acting_on_machines.backend.world.fleets[1]
    url = reverse("fleet_actions", args=[fleet.farm_id, fleet.fleet_id])
    deadline = in_process_client(acting_on_machines)
    before = deadline.get_fleet(farmId=fleet.farm_id, fleetId=fleet.fleet_id)

    preview = operator_client.post(url, {"min_count": "2", "max_count": "9"})
    assert "UpdateFleet" in preview.content.decode()
    done = operator_client.post(
        url,
        {
            "min_count": "2",
            "max_count": "9",
            "confirm": _confirm_token(preview),
            "intent": "confirm",
        },
    )

    assert done.status_code == 303
    after = deadline.get_fleet(farmId=fleet.farm_id, fleetId=fleet.fleet_id)
    assert (after["minWorkerCount"], after["maxWorkerCount"]) == (2, 9)
    row = MachineAction.objects.get()
    assert (row.kind, row.state, row.requested) == ("fleet-size", "done", {"min": 2, "max": 9})
    assert row.before["max"] == before["maxWorkerCount"]
    # The fleet page shows the new bounds at once (its cached read was forgotten).
    data = operator_client.get(
        reverse("fleet_detail", args=[fleet.farm_id, fleet.fleet_id]), {"format": "json"}
    ).json()
    assert (data["fleet"]["min_worker_count"], data["fleet"]["max_worker_count"]) == (2, 9)
    # A token for other numbers than those posted is refused with a new preview.
    stale = operator_client.post(
        url,
        {
            "min_count": "3",
            "max_count": "9",
            "confirm": _confirm_token(preview),
            "intent": "confirm",
        },
    )
    assert stale.status_code == 200 and MachineAction.objects.count() == 1


def test_a_viewer_may_not_act_on_machines(
    acting_on_machines: Emulator, viewer_client: Client
) -> None:
    worker = _worker(acting_on_machines, "STOPPED")
    ids = [worker.farm_id, worker.fleet_id, worker.worker_id]

    removing = viewer_client.post(reverse("worker_actions", args=ids))
    sizing = viewer_client.post(
        reverse("fleet_actions", args=ids[:2]), {"min_count": "1", "max_count": "5"}
    )

    assert removing.status_code == 403 and sizing.status_code == 403
    assert MachineAction.objects.count() == 0
    assert worker.worker_id in {w["workerId"] for w in _listed(acting_on_machines, worker)}
    page = viewer_client.get(reverse("worker_detail", args=ids)).content.decode()
    assert "data-remove-worker" not in page


def test_the_readme_documents_the_machine_statement() -> None:
    from pathlib import Path

    from tasks_app.deadline.allow_list import MACHINE_IAM_ACTIONS

    text = (Path(__file__).resolve().parents[4] / "docs" / "operating.md").read_text()
    statement = text[text.index('"Sid": "ActOnMachines"') :].split("}", 1)[0]
    assert all(f'"{action}"' in statement for action in MACHINE_IAM_ACTIONS)
    assert MACHINE_IAM_ACTIONS == ("deadline:DeleteWorker", "deadline:UpdateFleet")
