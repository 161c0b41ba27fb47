"""BatchGetSession and BatchGetSessionAction: the batch versions of GetSession and
GetSessionAction, answered item by item (errors included) and shaped as botocore's model says."""

from __future__ import annotations

import json
from typing import Any

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.transport import in_process_client
from deadline_emulator.validation import validate_output


def _client_checking_answers(emulator: Emulator) -> tuple[Any, list[Any]]:
    client = in_process_client(emulator)
    problems: list[Any] = []

    def check(http_response: Any, model: Any, **_: Any) -> None:
        assert http_response.status_code == 200
        problems.extend(validate_output(model.name, json.loads(http_response.content)))

    client.meta.events.register("after-call.deadline", check)
    return client, problems


def test_batch_gets_answer_like_the_single_gets_with_per_item_errors() -> None:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
    client, problems = _client_checking_answers(emulator)
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    job = {key: ids[key] for key in ("farmId", "queueId", "jobId")}
    actions = client.list_session_actions(**job, taskId=ids["taskId"])["sessionActions"]
    action_ids = [a["sessionActionId"] for a in actions]
    missing_action = "sessionaction-" + "0" * 32 + "-1"

    answer = client.batch_get_session_action(
        identifiers=[{**job, "sessionActionId": a} for a in [*action_ids, missing_action]]
    )
    assert [a["sessionActionId"] for a in answer["sessionActions"]] == action_ids
    for item in answer["sessionActions"]:
        single = client.get_session_action(**job, sessionActionId=item["sessionActionId"])
        single.pop("ResponseMetadata")
        assert item == {**job, **single}
    assert [(e["sessionActionId"], e["code"]) for e in answer["errors"]] == [
        (missing_action, "ResourceNotFoundException")
    ]

    session_ids = sorted({a["sessionId"] for a in answer["sessionActions"]})
    missing_session = "session-" + "0" * 32
    sessions = client.batch_get_session(
        identifiers=[{**job, "sessionId": s} for s in [*session_ids, missing_session]]
    )
    assert sorted(s["sessionId"] for s in sessions["sessions"]) == session_ids
    for item in sessions["sessions"]:
        single = client.get_session(**job, sessionId=item["sessionId"])
        single.pop("ResponseMetadata")
        assert item == {**job, **single}
        assert item["hostProperties"]["hostName"]
    assert [e["sessionId"] for e in sessions["errors"]] == [missing_session]
    assert problems == []
    assert emulator.calls.snapshot()["BatchGetSessionAction"] == 1
