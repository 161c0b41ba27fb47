"""Search modes: lenient (confirmed + conventional names), strict (confirmed only) and ignore
(unconfirmed names have no effect), through real boto3, the admin API and the environment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import pytest

from deadline_emulator import Emulator, get_default_emulator, set_default_emulator
from deadline_emulator.clock import Clock
from deadline_emulator.search import ENV_VARIABLE, SearchPolicy
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from deadline_emulator.transport import in_process_client
from tests.deadline_emulator.fakes import http_client


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 2 * 86400))


@pytest.fixture
def client(emulator: Emulator) -> Any:
    return in_process_client(emulator)


def _string(name: str, value: str) -> dict[str, Any]:
    return {"stringFilter": {"name": name, "operator": "EQUAL", "value": value}}


def _filters(*filters: dict[str, Any], operator: str = "AND") -> dict[str, Any]:
    return {"operator": operator, "filters": list(filters)}


def _sort(name: str, order: str = "ASCENDING") -> list[dict[str, Any]]:
    return [{"fieldSort": {"name": name, "sortOrder": order}}]


def big_step_tasks(emulator: Emulator, client: Any, **extra: Any) -> dict[str, Any]:
    step = emulator.backend.landmarks()["big_step"]
    return client.search_tasks(
        farmId=step["farmId"],
        queueIds=[step["queueId"]],
        jobId=step["jobId"],
        itemOffset=0,
        pageSize=100,
        **extra,
    )


def queue_jobs(emulator: Emulator, client: Any, **extra: Any) -> dict[str, Any]:
    queue = emulator.backend.landmarks()["queues"]["Feature Lighting"]
    return client.search_jobs(
        farmId=queue["farmId"], queueIds=[queue["queueId"]], itemOffset=0, pageSize=100, **extra
    )


def refusal(excinfo: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> tuple[str, str]:
    error = excinfo.value.response
    assert error["Error"]["Code"] == "ValidationException"
    return error["Error"]["Message"], error["fieldList"][0]["name"]


# --- lenient -----------------------------------------------------------------------------


def test_lenient_honours_conventional_names(emulator: Emulator, client: Any) -> None:
    failed = big_step_tasks(
        emulator, client, filterExpressions=_filters(_string("RUN_STATUS", "FAILED"))
    )
    counts = emulator.backend.get_step(
        **{_snake(k): v for k, v in emulator.backend.landmarks()["big_step"].items()}
    )["taskRunStatusCounts"]
    assert failed["totalResults"] == counts["FAILED"] > 0
    assert {t["runStatus"] for t in failed["tasks"]} == {"FAILED"}
    by_priority = queue_jobs(emulator, client, sortExpressions=_sort("PRIORITY", "DESCENDING"))
    priorities = [job["priority"] for job in by_priority["jobs"]]
    assert priorities == sorted(priorities, reverse=True) and len(set(priorities)) > 1


def test_run_status_filters_keep_task_order_whatever_their_shape(
    emulator: Emulator, client: Any
) -> None:
    """Tasks are found by run status through an index: the answer is the one an item-by-item
    test gives, in task order, also when a filter names two statuses or sits in an OR."""
    job = emulator.add_failed_job(failed_tasks=9, steps=3, tasks_per_step=12)

    def ids(filters: dict[str, Any] | None) -> list[str]:
        extra = {"filterExpressions": filters} if filters else {}
        answer = client.search_tasks(
            farmId=job["farmId"], queueIds=[job["queueId"]], jobId=job["jobId"],
            itemOffset=0, pageSize=100, **extra,
        )  # fmt: skip
        return [task["taskId"] for task in answer["tasks"]]

    every = client.search_tasks(
        farmId=job["farmId"], queueIds=[job["queueId"]], jobId=job["jobId"], itemOffset=0,
        pageSize=100,
    )["tasks"]  # fmt: skip
    by_hand = [t["taskId"] for t in every if t["runStatus"] in {"FAILED", "SUCCEEDED"}]
    assert 9 < len(by_hand) == len(every)  # failed and succeeded tasks interleave

    either = {"stringListFilter": {"name": "RUN_STATUS", "operator": "ANY_EQUALS",
                                   "values": ["SUCCEEDED", "FAILED"]}}  # fmt: skip
    assert ids(_filters(either)) == by_hand
    assert ids(_filters(_string("RUN_STATUS", "FAILED"), _string("RUN_STATUS", "SUCCEEDED"),
                        operator="OR")) == by_hand  # fmt: skip
    assert ids(_filters(_string("RUN_STATUS", "FAILED"))) == [
        t["taskId"] for t in every if t["runStatus"] == "FAILED"
    ]
    assert ids(_filters(either, _string("RUN_STATUS", "FAILED"), _string("STEP_ID", "x"))) == []
    assert ids(_filters(_string("RUN_STATUS", "FAILED"), _string("RUN_STATUS", "SUCCEEDED"))) == []


def test_lenient_refuses_unknown_names_naming_them(emulator: Emulator, client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        big_step_tasks(emulator, client, sortExpressions=_sort("SHOE_SIZE"))
    message, where = refusal(excinfo)
    assert "SHOE_SIZE" in message and where == "sortExpressions[0].fieldSort.name"


def test_task_run_status_is_never_a_task_field(emulator: Emulator, client: Any) -> None:
    # The task member is runStatus: RUN_STATUS. No mode honours the job-shaped name.
    for mode, refused in (("lenient", True), ("strict", True), ("ignore", False)):
        emulator.search.set(mode)
        request = {"filterExpressions": _filters(_string("TASK_RUN_STATUS", "FAILED"))}
        if refused:
            with pytest.raises(client.exceptions.ValidationException) as excinfo:
                big_step_tasks(emulator, client, **request)
            assert "RUN_STATUS" in refusal(excinfo)[0] and "runStatus" in refusal(excinfo)[0]
        else:
            assert big_step_tasks(emulator, client, **request)["totalResults"] == 10_000


# --- strict ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_members", "named"),
    [
        ({"filterExpressions": _filters(_string("RUN_STATUS", "FAILED"))}, "RUN_STATUS"),
        ({"filterExpressions": _filters(_string("STEP_ID", "step-" + "0" * 32))}, "STEP_ID"),
        ({"filterExpressions": _filters(_string("TASK_RUN_STATUS", "FAILED"))}, "runStatus"),
        ({"sortExpressions": _sort("TASK_ID")}, "TASK_ID"),
        (
            {
                "filterExpressions": _filters(
                    {"searchTermFilter": {"searchTerm": "-42", "matchType": "CONTAINS"}}
                )
            },
            "CONTAINS",
        ),
        (
            {
                "filterExpressions": _filters(
                    {"parameterFilter": {"name": "Frame", "operator": "EQUAL", "value": "42"}}
                )
            },
            "parameterFilter",
        ),
    ],
)
def test_strict_refuses_every_unconfirmed_task_name(
    emulator: Emulator, client: Any, request_members: dict[str, Any], named: str
) -> None:
    emulator.search.set("strict")
    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        big_step_tasks(emulator, client, **request_members)
    message, where = refusal(excinfo)
    assert named in message
    assert where.startswith(("filterExpressions.filters[0]", "sortExpressions[0]"))


def test_strict_honours_what_the_official_cli_sends(emulator: Emulator, client: Any) -> None:
    emulator.search.set("strict")
    # `deadline job list`: CREATED_AT descending; _mcp.py: TASK_RUN_STATUS; job get: CONTAINS.
    newest = queue_jobs(emulator, client, sortExpressions=_sort("CREATED_AT", "DESCENDING"))
    created = [job["createdAt"] for job in newest["jobs"]]
    assert created == sorted(created, reverse=True)
    failed = queue_jobs(
        emulator,
        client,
        filterExpressions=_filters(
            _string("TASK_RUN_STATUS", "FAILED"),
            {"searchTermFilter": {"searchTerm": "sq", "matchType": "CONTAINS"}},
        ),
    )
    assert failed["jobs"] and {j["taskRunStatus"] for j in failed["jobs"]} == {"FAILED"}
    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        queue_jobs(emulator, client, sortExpressions=_sort("PRIORITY"))
    assert "PRIORITY" in refusal(excinfo)[0]


# --- ignore ------------------------------------------------------------------------------


def test_ignore_drops_unconfirmed_filters_and_sorts(emulator: Emulator, client: Any) -> None:
    plain = big_step_tasks(emulator, client)
    emulator.search.set("ignore")
    filtered = big_step_tasks(
        emulator,
        client,
        filterExpressions=_filters(_string("RUN_STATUS", "FAILED")),
        sortExpressions=_sort("RUN_STATUS", "DESCENDING"),
    )
    # The filter matched everything and the sort was dropped: the plain answer, unchanged.
    assert filtered["totalResults"] == plain["totalResults"] == 10_000
    assert [t["taskId"] for t in filtered["tasks"]] == [t["taskId"] for t in plain["tasks"]]
    assert {t["runStatus"] for t in filtered["tasks"]} != {"FAILED"}


def test_ignore_still_applies_confirmed_names(emulator: Emulator, client: Any) -> None:
    emulator.search.set("ignore")
    answer = queue_jobs(
        emulator,
        client,
        filterExpressions=_filters(_string("TASK_RUN_STATUS", "FAILED"), _string("NAME", "x")),
        sortExpressions=_sort("PRIORITY"),
    )
    assert answer["jobs"] and {j["taskRunStatus"] for j in answer["jobs"]} == {"FAILED"}
    created = [job["createdAt"] for job in answer["jobs"]]
    assert created == sorted(created, reverse=True)  # PRIORITY dropped: the default order


def test_operators_are_checked_in_every_mode(emulator: Emulator, client: Any) -> None:
    bad = _filters({"stringFilter": {"name": "X", "operator": "LESS_THAN", "value": "a"}})
    for mode in ("lenient", "strict", "ignore"):
        emulator.search.set(mode)
        with pytest.raises(client.exceptions.ValidationException) as excinfo:
            big_step_tasks(emulator, client, filterExpressions=bad)
        assert "LESS_THAN" in refusal(excinfo)[0]


# --- switching modes ------------------------------------------------------------------------


@pytest.fixture
def served(emulator: Emulator) -> Iterator[tuple[Emulator, str]]:
    server, url = serve_in_thread(emulator)
    yield emulator, url
    server.shutdown()


def _admin(url: str, method: str, payload: Any = None) -> tuple[int, dict[str, Any]]:
    import http.client

    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    body = json.dumps(payload).encode() if payload is not None else None
    connection.request(method, "/_emulator/search", body=body)
    response = connection.getresponse()
    answer = response.status, json.loads(response.read())
    connection.close()
    return answer


def test_admin_api_switches_the_mode_while_serving(served: tuple[Emulator, str]) -> None:
    emulator, url = served
    client = http_client(url)
    assert _admin(url, "GET") == (
        200,
        {"mode": "lenient", "modes": ["lenient", "strict", "ignore"]},
    )
    big_step_tasks(emulator, client, sortExpressions=_sort("TASK_ID"))
    assert _admin(url, "POST", {"mode": "strict"})[1]["mode"] == "strict"
    with pytest.raises(client.exceptions.ValidationException):
        big_step_tasks(emulator, client, sortExpressions=_sort("TASK_ID"))
    status, answer = _admin(url, "POST", {"mode": "sloppy"})
    assert status == 400 and "sloppy" in answer["message"]
    assert emulator.search.mode == "strict"


def test_the_environment_sets_the_default_emulators_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VARIABLE, "ignore")
    set_default_emulator(None, seed=97)
    try:
        assert get_default_emulator(97).search.mode == "ignore"
    finally:
        set_default_emulator(None, seed=97)
    with pytest.raises(ValueError, match=ENV_VARIABLE):
        SearchPolicy.from_env({ENV_VARIABLE: "sometimes"})
    assert SearchPolicy.from_env({}).mode == "lenient"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)
