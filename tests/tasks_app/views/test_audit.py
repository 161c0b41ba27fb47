"""Who may act in each sign-in mode, the farm allow-list on actions and the audit, and the
Operators group (hostile input: tests/security/test_action_input.py)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import LazySettings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from tasks_app.models import ActionRun
from tasks_app.permissions import PERMISSION
from tests.action_world import ActionWorld, operators_group
from tests.dashboard_processes import environment, manage

in_process = pytest.mark.parametrize("acting", ["in-process"], indirect=True)


# --- Sign-in modes -------------------------------------------------------------------------------


@in_process
def test_remote_user_mode_lets_operator_groups_act(
    acting: ActionWorld, settings: LazySettings, transactional_db: None
) -> None:
    settings.DASHBOARD_AUTH = "remote-user"
    settings.AUTHENTICATION_BACKENDS = ["tasks_app.auth.DashboardRemoteUserBackend"]
    settings.DASHBOARD_OPERATOR_GROUPS = ["render-ops", "leads"]
    settings.DASHBOARD_REMOTE_GROUPS_HEADER = "X-Forwarded-Groups"
    client = Client()
    url = f"{acting.job_url()}actions/"

    refused = client.post(
        url,
        {"action": "requeue"},
        headers={"X-Forwarded-User": "bob", "X-Forwarded-Groups": "artists, render-opsx"},
    )
    assert refused.status_code == 403
    assert "not in an operator group" in refused.content.decode()

    ops = {"X-Forwarded-User": "ada", "X-Forwarded-Groups": "artists, render-ops"}
    preview = client.post(url, {"action": "requeue"}, headers=ops)
    assert preview.status_code == 200 and 'data-total="12"' in preview.content.decode()
    assert 'data-action="requeue"' in client.get(acting.job_url(), headers=ops).content.decode()
    assert (
        "data-action="
        not in client.get(acting.job_url(), headers={"X-Forwarded-User": "bob"}).content.decode()
    )


@in_process
def test_no_sign_in_acts_on_the_demo_world_only(
    acting: ActionWorld, settings: LazySettings, client: Client
) -> None:
    assert settings.DASHBOARD_AUTH == "none"
    url = f"{acting.job_url()}actions/"
    fields = {"action": "priority", "priority": "90"}
    assert client.post(url, fields).status_code == 200

    settings.DEADLINE_BACKEND = "aws"  # a real farm: anonymous writes are refused
    response = client.post(url, fields)

    assert response.status_code == 403
    assert "DASHBOARD_AUTH" in response.content.decode()
    assert acting.updates() == {}


def test_actions_are_off_by_default_with_the_aws_backend() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_", "DEADLINE_"))}
    env["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    code = "from django.conf import settings; print(settings.DASHBOARD_ACTIONS)"
    answers = {}
    for backend in ("demo", "aws"):
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env={**env, "DEADLINE_BACKEND": backend},
            capture_output=True,
            text=True,
            check=True,
        )
        answers[backend] = result.stdout.strip()
    assert answers == {"demo": "True", "aws": "False"}


# --- The farm allow-list ------------------------------------------------------------------------


@in_process
def test_the_allow_list_holds_for_actions_and_the_audit(
    acting: ActionWorld, operator_client: Client, settings: LazySettings
) -> None:
    run = ActionRun.objects.create(
        username="ada",
        action="requeue",
        scope="job",
        farm_id=acting.ids["farm_id"],
        queue_id=acting.ids["queue_id"],
        job_id=acting.job_id,
        job_name="hidden job",
        method="UpdateTask",
        state="done",
        confirm_nonce="n1",
    )
    settings.DASHBOARD_FARMS = ["farm-" + "f" * 32]

    response = operator_client.post(f"{acting.job_url()}actions/", {"action": "requeue"})
    assert response.status_code == 404
    assert "hidden job" not in operator_client.get("/audit/").content.decode()
    assert operator_client.get(f"/audit/{run.pk}/").status_code == 404
    assert acting.updates() == {}


# --- The Operators group ------------------------------------------------------------------------


@pytest.mark.database
def test_the_migration_makes_an_operators_group_that_may_act(shared_database_url: str) -> None:
    """``migrate`` on a new database (its own process: other tests empty the tables of the
    suite's database) makes the group, and its members may act."""
    env = environment(DATABASE_URL=shared_database_url)
    manage("migrate", "--noinput", env=env)
    check = (
        "from django.contrib.auth import get_user_model; "
        "from django.contrib.auth.models import Group; "
        "user = get_user_model().objects.create_user(username='eve', password='x' * 12); "
        f"print('before', user.has_perm('{PERMISSION}')); "
        "user.groups.add(Group.objects.get(name='Operators')); "
        "user = get_user_model().objects.get(pk=user.pk); "
        f"print('after', user.has_perm('{PERMISSION}'))"
    )

    answer = manage("shell", "-c", check, env=env)

    assert "before False\nafter True\n" in answer


def test_operators_command_adds_lists_and_removes(transactional_db: None) -> None:
    operators_group()
    get_user_model().objects.create_user(username="ada", password="x" * 12)
    out = StringIO()

    call_command("operators", "add", "ada", stdout=out)
    call_command("operators", stdout=out)
    assert out.getvalue().splitlines() == ["added ada", "ada"]
    assert get_user_model().objects.get(username="ada").has_perm(PERMISSION)

    call_command("operators", "remove", "ada", stdout=out)
    assert not get_user_model().objects.get(username="ada").has_perm(PERMISSION)
    with pytest.raises(CommandError, match="No such account: eve"):
        call_command("operators", "add", "eve")
