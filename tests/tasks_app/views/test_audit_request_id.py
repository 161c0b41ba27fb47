"""The audit keeps the dashboard's own request ID for the confirming request, and the ID the
client sent (if any) beside it, marked as the client's: a client cannot choose the reference
an action is filed under."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tasks_app.models import ActionRun
from tasks_app.services import actions
from tests.action_world import ActionWorld

in_process = pytest.mark.parametrize("acting", ["in-process"], indirect=True)
_CONFIRM = re.compile(r'name="confirm" value="([^"]+)"')
OURS = re.compile(r"[0-9a-f]{32}")


def _confirm(client: Client, url: str, headers: dict[str, str], **fields: Any) -> Any:
    preview = client.post(f"{url}actions/", fields)
    token = _CONFIRM.search(preview.content.decode())
    assert token, preview.content.decode()[-2000:]
    return client.post(
        f"{url}actions/", {**fields, "confirm": token[1].replace("&amp;", "&")}, headers=headers
    )


@in_process
def test_the_audit_stores_our_request_id_and_the_clients_beside_it(
    acting: ActionWorld, operator_client: Client
) -> None:
    done = _confirm(
        operator_client,
        acting.job_url(),
        {"X-Request-ID": "lb-4f3c2a9e-6d1b"},
        action="requeue",
        reason="NFS fixed",
    )
    assert done.status_code == 303
    run = ActionRun.objects.get(pk=int(done["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert actions.wait_for(run.pk, timeout=60)

    assert run.request_id == done["X-Request-ID"] and OURS.fullmatch(run.request_id)
    assert run.client_request_id == "lb-4f3c2a9e-6d1b"
    page = operator_client.get(done["Location"]).content.decode()
    ours = re.search(r"<code[^>]*data-request-id>([^<]*)</code>", page)
    theirs = re.search(
        r"sent by the client[^<]*</span> <code[^>]*data-client-request-id>([^<]*)<", page
    )
    assert ours is not None and ours[1] == run.request_id
    assert theirs is not None and theirs[1] == "lb-4f3c2a9e-6d1b"


@in_process
def test_without_a_client_id_only_ours_is_kept_and_shown(
    acting: ActionWorld, operator_client: Client
) -> None:
    done = _confirm(operator_client, acting.job_url(), {}, action="requeue")
    run = ActionRun.objects.get(pk=int(done["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert actions.wait_for(run.pk, timeout=60)

    assert OURS.fullmatch(run.request_id) and run.client_request_id == ""
    page = operator_client.get(done["Location"]).content.decode()
    assert "data-request-id" in page and "data-client-request-id" not in page
