"""Hostile input on the action forms and on the audit's pages (which need a database, so
tests/security/test_hostile_input.py leaves them out): never a 500, never an API call with a
malformed ID, never an action without a confirmation."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tasks_app.models import ActionRun
from tasks_app.services import actions
from tests.action_world import ActionWorld
from tests.htmx_headers import HTMX as HX
from tests.security.conftest import ApiCalls, Hostile
from tests.security.fuzz import FUZZ, PLAUSIBLE, hostile_text, query_pairs

in_process = pytest.mark.parametrize("acting", ["in-process"], indirect=True)


@in_process
@FUZZ
@given(data=st.data())
def test_action_forms_survive_hostile_input(
    acting: ActionWorld, client: Client, api_calls: ApiCalls, data: st.DataObject
) -> None:
    value = st.one_of(hostile_text(), st.sampled_from(PLAUSIBLE))
    fields = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "action": st.one_of(st.sampled_from(list(actions.ACTIONS)), value),
                "run_status": st.lists(value, max_size=4),
                "priority": value,
                "reason": value,
                "confirm": value,
                "intent": value,
            },
        ),
        label="form",
    )
    url = data.draw(
        st.sampled_from(
            [
                acting.job_url(),
                acting.step_url(acting.step_ids[0]),
                acting.task_url(*acting.failed[0]),
            ]
        ),
        label="page",
    )
    api_calls.clear()

    response = client.post(f"{url}actions/", fields)

    assert response.status_code in {200, 400}, (fields, response.status_code)
    assert api_calls.problems == []
    assert not ActionRun.objects.exists()  # no hostile confirm ever acts
    assert acting.updates() == {}


@FUZZ
@given(data=st.data())
def test_the_audit_pages_survive_hostile_input(
    client: Client, hostile: Hostile, transactional_db: None, data: st.DataObject
) -> None:
    query = urlencode(data.draw(query_pairs(tuple(hostile.kwargs().values())), label="query"))
    response = client.get(f"/audit/?{query}", headers=data.draw(st.sampled_from([{}, HX])))
    assert response.status_code in {200, 400}
    run_id = data.draw(st.integers(min_value=0, max_value=2**70), label="run")
    assert client.get(f"/audit/{run_id}/").status_code == 404
