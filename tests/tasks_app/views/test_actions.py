"""Actions through the pages, over both emulator transports: preview, confirm, the effect at
the emulator, who may act, CSRF, stale confirmations, and the audit row each leaves."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.conf import LazySettings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import Client

from tasks_app.models import ActionItem, ActionRun
from tasks_app.selectors.failures.signatures import Signature
from tasks_app.services import actions, failure_runs
from tasks_app.services.actions import dispatch
from tasks_app.services.actions.catalog import ACTIONS
from tests.action_world import ActionWorld
from tests.htmx_headers import HTMX as HX

#: For what the transport cannot change (pages, forms): the in-process transport only.
in_process = pytest.mark.parametrize("acting", ["in-process"], indirect=True)
_CONFIRM = re.compile(r'name="confirm" value="([^"]+)"')


def confirm_token(html: str) -> str:
    match = _CONFIRM.search(html)
    assert match, html[-3000:]
    return unescape(match[1])


def preview(client: Client, url: str, **fields: Any) -> tuple[Any, str]:
    """POST the action form; (response, its confirm token or "")."""
    response = client.post(f"{url}actions/", fields)
    html = response.content.decode()
    match = _CONFIRM.search(html)
    return response, unescape(match[1]) if match else ""


def act(client: Client, url: str, **fields: Any) -> ActionRun:
    """Preview, confirm, follow the 303 and wait for the run to finish."""
    response, token = preview(client, url, **fields)
    assert response.status_code == 200 and token, response.content.decode()[-2000:]
    done = client.post(f"{url}actions/", {**fields, "confirm": token})
    assert done.status_code == 303, done.content.decode()[-2000:]
    run_id = int(done["Location"].rstrip("/").rsplit("/", 1)[1])
    assert done["Location"] == f"/audit/{run_id}/"
    assert actions.wait_for(run_id, timeout=60)
    return ActionRun.objects.get(pk=run_id)


# --- Each action's effect, verified at the emulator ----------------------------------------------


def test_requeue_a_jobs_failed_tasks(acting: ActionWorld, operator_client: Client) -> None:
    response, _ = preview(operator_client, acting.job_url(), action="requeue")
    html = response.content.decode()
    assert 'data-total="12"' in html
    assert 'data-status="FAILED"' in html
    assert 'data-method="BatchUpdateTask" data-calls="1"' in html  # 12 tasks: one call
    assert acting.updates() == {}  # a preview changes nothing

    run = act(operator_client, acting.job_url(), action="requeue", reason="NFS fixed")

    assert (run.state, run.planned, run.changed, run.failed) == ("done", 12, 12, 0)
    assert run.method == "BatchUpdateTask" and run.username == "ada"
    assert run.reason == "NFS fixed" and run.fallback == ""
    assert acting.updates() == {task_id: 1 for _, task_id in acting.failed}
    for step_id, task_id in acting.failed:
        assert acting.status(step_id, task_id) == "READY"  # PENDING with nothing blocking it


def test_the_confirm_button_is_red_only_for_cancel_and_mark_failed(
    acting: ActionWorld, operator_client: Client
) -> None:
    """A requeue is the fix an operator came for: its confirm is the page's plain button;
    cancel and mark failed, which throw work away, are the danger colour."""

    def confirm_class(action: str, run_status: str) -> str:
        response, _ = preview(
            operator_client, acting.job_url(), action=action, run_status=run_status
        )
        found = re.search(r'class="([^"]*)" data-confirm-button', response.content.decode())
        assert found is not None, action
        return found[1]

    assert confirm_class("requeue", "FAILED") == "button"
    assert confirm_class("succeed", "FAILED") == "button"
    assert confirm_class("fail", "SUCCEEDED") == "button button--danger"
    # Cancel (nothing unfinished here to cancel): the same template, its kind alone decides.
    html = render_to_string(
        "tasks_app/_action_preview.html",
        {"kind": ACTIONS["cancel"], "confirm": "token", "scope": {"kind": "job"}, "plan": {}},
    )
    assert 'class="button button--danger" data-confirm-button' in html


def test_a_preview_opened_while_the_causes_are_read_updates_itself(
    acting: ActionWorld, operator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No "update the preview" chore: while the job's failures analysis runs, the preview says
    so and posts itself again (as a preview) until its causes are known."""
    running: list[object] = []
    monkeypatch.setattr(failure_runs, "running", lambda scope: running[0] if running else None)

    settled, _ = preview(operator_client, acting.job_url(), action="requeue")
    running.append(object())
    reading, _ = preview(operator_client, acting.job_url(), action="requeue")

    assert "data-causes-pending" not in settled.content.decode()
    html = reading.content.decode()
    pending = html[html.index("data-causes-pending") :].split(">", 1)[0]
    assert 'hx-trigger="load delay:2s"' in pending and "hx-post=" in pending
    assert (
        """hx-vals='{"intent": "preview"}'""" in pending and 'hx-include="closest form"' in pending
    )


@in_process
def test_a_requeue_reads_each_task_once_before_writing_and_starts_no_failures_analysis(
    acting: ActionWorld, operator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run starts within the window on any machine, however loaded.
    monkeypatch.setattr(dispatch, "FRESH_SECONDS", 60.0)
    acting.emulator.calls.reset()
    response, _ = preview(operator_client, acting.job_url(), action="requeue")
    assert "Failure causes among them" not in response.content.decode()  # none analysed yet
    acting.emulator.calls.reset()

    run = act(operator_client, acting.job_url(), action="requeue")

    assert (run.state, run.changed) == ("done", 12)
    assert acting.updates() == {task_id: 1 for _, task_id in acting.failed}
    calls = acting.emulator.calls.snapshot()
    # One read of the 12 tasks (the confirmation's; the run trusts it), one write.
    assert calls["BatchGetTask"] == 1 and calls["BatchUpdateTask"] == 1
    assert set(calls) <= {"GetJob", "ListSteps", "ListTasks", "BatchGetTask", "BatchUpdateTask"}


def test_a_requeue_preview_names_the_causes_the_failures_page_analysed(
    acting: ActionWorld, operator_client: Client
) -> None:
    report = operator_client.get(f"{acting.job_url()}failures/?format=json&wait=30").json()
    assert report["complete"] and len(report["groups"]) == 4
    response, _ = preview(operator_client, acting.job_url(), action="requeue")
    html = response.content.decode()
    assert "Failure causes among them" in html
    assert html.count('<bdi class="truncate"') == 4


def test_requeue_one_step_touches_only_that_step(
    acting: ActionWorld, operator_client: Client
) -> None:
    step_id = acting.step_ids[1]

    run = act(operator_client, acting.step_url(step_id), action="requeue", run_status="FAILED")

    mine = {task_id for step, task_id in acting.failed if step == step_id}
    assert run.planned == len(mine) == 4
    assert acting.updates() == dict.fromkeys(mine, 1)


def test_mark_a_failed_task_succeeded(acting: ActionWorld, operator_client: Client) -> None:
    step_id, task_id = acting.failed[0]

    run = act(
        operator_client, acting.task_url(step_id, task_id), action="succeed", run_status="FAILED"
    )

    assert (run.scope, run.task_id, run.changed) == ("task", task_id, 1)
    assert acting.status(step_id, task_id) == "SUCCEEDED"
    assert acting.updates() == {task_id: 1}


def test_suspend_then_cancel_requeued_tasks(acting: ActionWorld, operator_client: Client) -> None:
    act(operator_client, acting.job_url(), action="requeue")
    step_id, task_id = acting.failed[0]

    act(operator_client, acting.task_url(step_id, task_id), action="suspend", run_status="READY")
    assert acting.status(step_id, task_id) == "SUSPENDED"

    # Cancel with the defaults (every unfinished status): one UpdateJob, as `deadline job
    # cancel` sends; the 11 READY tasks and the SUSPENDED one are canceled.
    run = act(operator_client, acting.job_url(), action="cancel")
    assert run.method == "UpdateJob" and run.planned == 12 and run.state == "done"
    assert {acting.status(s, t) for s, t in acting.failed} == {"CANCELED"}
    assert set(acting.updates().values()) == {2, 3}  # requeued, (suspended,) canceled


def test_mark_a_steps_unfinished_tasks_failed_with_one_update_step(
    acting: ActionWorld, operator_client: Client
) -> None:
    act(operator_client, acting.job_url(), action="requeue")
    step_id = acting.step_ids[2]

    run = act(operator_client, acting.step_url(step_id), action="fail")

    assert (run.method, run.planned, run.state) == ("UpdateStep", 4, "done")
    mine = [task_id for step, task_id in acting.failed if step == step_id]
    assert all(acting.status(step_id, task_id) == "FAILED" for task_id in mine)
    assert {acting.updates()[task_id] for task_id in mine} == {2}


def test_set_a_jobs_priority(acting: ActionWorld, operator_client: Client) -> None:
    assert acting.job()["priority"] == 50

    run = act(operator_client, acting.job_url(), action="priority", priority="80")

    assert (run.method, run.previous_priority, run.priority, run.state) == (
        "UpdateJob",
        50,
        80,
        "done",
    )
    assert acting.job()["priority"] == 80


@in_process
def test_an_action_with_nothing_to_change_offers_no_confirm(
    acting: ActionWorld, operator_client: Client
) -> None:
    response, token = preview(operator_client, acting.job_url(), action="cancel")

    assert response.status_code == 200 and token == ""
    assert "Nothing will change" in response.content.decode()


# --- Who may act --------------------------------------------------------------------------------


def test_a_viewers_post_is_403_and_changes_nothing(
    acting: ActionWorld, viewer_client: Client
) -> None:
    for url in (acting.job_url(), acting.step_url(acting.step_ids[0])):
        response = viewer_client.post(f"{url}actions/", {"action": "requeue"})
        assert response.status_code == 403
        assert "Operators" in response.content.decode()
    assert acting.updates() == {}
    # And the pages show them no action buttons.
    assert "data-action=" not in viewer_client.get(acting.job_url()).content.decode()


@in_process
def test_an_operator_sees_the_buttons(acting: ActionWorld, operator_client: Client) -> None:
    html = operator_client.get(acting.job_url()).content.decode()

    for action in ("requeue", "cancel", "suspend", "succeed", "fail", "priority"):
        assert f'data-action="{action}"' in html


def test_a_post_without_csrf_is_403(acting: ActionWorld, operator_client: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = operator_client.cookies

    response = strict.post(f"{acting.job_url()}actions/", {"action": "requeue"})

    assert response.status_code == 403
    assert acting.updates() == {}


@in_process
def test_actions_off_is_read_only(
    acting: ActionWorld, operator_client: Client, settings: LazySettings
) -> None:
    settings.DASHBOARD_ACTIONS = False

    response = operator_client.post(f"{acting.job_url()}actions/", {"action": "requeue"})

    assert response.status_code == 403
    assert "DASHBOARD_ACTIONS" in response.content.decode()
    assert "data-action=" not in operator_client.get(acting.job_url()).content.decode()


@in_process
def test_superusers_may_act(acting: ActionWorld, login_settings: None) -> None:
    admin = get_user_model().objects.create_superuser(username="root", password="x" * 12)
    client = Client()
    client.force_login(admin)

    run = act(client, acting.job_url(), action="requeue")

    assert run.username == "root" and run.changed == 12


# --- Confirmation --------------------------------------------------------------------------------


def test_without_a_valid_confirm_it_only_previews(
    acting: ActionWorld, operator_client: Client
) -> None:
    url = f"{acting.job_url()}actions/"
    for confirm in ("", "not-a-token", "x" * 300):
        response = operator_client.post(url, {"action": "requeue", "confirm": confirm})
        assert response.status_code == 200
        assert 'data-total="12"' in response.content.decode()
    assert acting.updates() == {}
    assert not ActionRun.objects.exists()


@in_process
def test_a_confirm_made_for_someone_else_only_previews(
    acting: ActionWorld, operator_client: Client
) -> None:
    other = get_user_model().objects.create_superuser(username="eve", password="x" * 12)
    eve = Client()
    eve.force_login(other)
    _, token = preview(eve, acting.job_url(), action="requeue")

    response = operator_client.post(
        f"{acting.job_url()}actions/", {"action": "requeue", "confirm": token}
    )

    assert response.status_code == 200
    assert "someone else" in response.content.decode()
    assert acting.updates() == {}


@in_process
def test_a_confirm_for_another_choice_only_previews(
    acting: ActionWorld, operator_client: Client
) -> None:
    _, token = preview(operator_client, acting.job_url(), action="requeue", run_status="FAILED")

    response = operator_client.post(
        f"{acting.job_url()}actions/",
        {"action": "requeue", "run_status": ["FAILED", "SUCCEEDED"], "confirm": token},
    )

    assert response.status_code == 200
    assert "choice changed" in response.content.decode()
    assert acting.updates() == {}


@in_process
def test_an_expired_confirm_only_previews(
    acting: ActionWorld, operator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = preview(operator_client, acting.job_url(), action="requeue")
    import django.core.signing

    later = django.core.signing.time.time() + actions.confirm_seconds() + 1
    monkeypatch.setattr(django.core.signing.time, "time", lambda: later)

    response = operator_client.post(
        f"{acting.job_url()}actions/", {"action": "requeue", "confirm": token}
    )

    assert "expired" in response.content.decode()
    assert acting.updates() == {}


def test_changed_counts_show_the_preview_again(
    acting: ActionWorld, operator_client: Client
) -> None:
    _, token = preview(operator_client, acting.job_url(), action="requeue")
    # Meanwhile someone else requeues one of the failed tasks.
    step_id, task_id = acting.failed[0]
    acting.emulator.backend.update_task(
        **acting.ids, step_id=step_id, task_id=task_id, target_run_status="PENDING"
    )

    response = operator_client.post(
        f"{acting.job_url()}actions/", {"action": "requeue", "confirm": token}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "changed since your preview" in html
    assert 'data-total="11"' in html  # the new preview counts what is there now
    assert acting.updates() == {task_id: 1}  # the dashboard changed nothing
    # The new preview's own token works.
    done = operator_client.post(
        f"{acting.job_url()}actions/", {"action": "requeue", "confirm": confirm_token(html)}
    )
    assert done.status_code == 303


@in_process
def test_a_confirmation_acts_once_however_often_it_is_sent(
    acting: ActionWorld, operator_client: Client
) -> None:
    _, token = preview(operator_client, acting.job_url(), action="requeue")
    url = f"{acting.job_url()}actions/"

    first = operator_client.post(url, {"action": "requeue", "confirm": token})
    run_id = int(first["Location"].rstrip("/").rsplit("/", 1)[1])
    assert actions.wait_for(run_id, timeout=60)
    again = operator_client.post(url, {"action": "requeue", "confirm": token})

    # The tasks are READY now: the plan differs from the preview, so the second post shows a
    # preview (nothing to requeue) and starts nothing.
    assert again.status_code == 200
    assert ActionRun.objects.count() == 1
    assert set(acting.updates().values()) == {1}


# --- htmx: the preview as a dialog --------------------------------------------------------------


@in_process
def test_with_htmx_the_preview_is_a_dialog_and_confirm_navigates(
    acting: ActionWorld, operator_client: Client
) -> None:
    url = f"{acting.job_url()}actions/"
    response = operator_client.post(url, {"action": "requeue"}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="action-preview"' in html
    assert 'hx-target="#action-dialog-body"' in html

    done = operator_client.post(
        url, {"action": "requeue", "confirm": confirm_token(html)}, headers=HX
    )

    assert done.status_code == 200
    run = ActionRun.objects.get()
    assert done["HX-Redirect"] == f"/audit/{run.pk}/"
    assert actions.wait_for(run.pk, timeout=60)


@in_process
def test_a_get_of_the_actions_url_goes_back_to_the_page(
    acting: ActionWorld, operator_client: Client
) -> None:
    response = operator_client.get(f"{acting.job_url()}actions/")

    assert response.status_code == 302 and response["Location"] == acting.job_url()


@in_process
@pytest.mark.parametrize(
    "fields",
    [
        {"action": "explode"},
        {"action": "requeue", "run_status": "RUNNING"},
        {"action": "priority"},
        {"action": "priority", "priority": "101"},
        {"action": "requeue", "reason": "x" * 1001},
    ],
    ids=["unknown-action", "status-not-eligible", "no-priority", "priority-range", "long-reason"],
)
def test_broken_forms_get_a_clear_400(
    acting: ActionWorld, operator_client: Client, fields: dict[str, str]
) -> None:
    response = operator_client.post(f"{acting.job_url()}actions/", fields)

    assert response.status_code == 400
    assert 'class="notice notice--error"' in response.content.decode()
    assert acting.updates() == {}


# --- The audit ----------------------------------------------------------------------------------


def test_every_action_leaves_an_audit_row_shown_on_audit(
    acting: ActionWorld, operator_client: Client
) -> None:
    act(operator_client, acting.job_url(), action="requeue", reason="<b>NFS</b> fixed")
    act(operator_client, acting.job_url(), action="priority", priority="75")
    # The four status changes, each on one of the requeued (READY) tasks.
    for action, (step_id, task_id) in zip(
        ("suspend", "cancel", "succeed", "fail"), acting.failed, strict=False
    ):
        act(operator_client, acting.task_url(step_id, task_id), action=action, run_status="READY")

    page = operator_client.get("/audit/").content.decode()

    assert page.count('data-state="done"') == 6
    labels = (
        "Requeue",
        "Set priority 50 → 75",
        "Suspend",
        "Cancel",
        "Mark succeeded",
        "Mark failed",
    )
    for label in labels:
        assert f"{label}</a>" in page, label
    assert "&lt;b&gt;NFS&lt;/b&gt; fixed" in page and "<b>NFS</b>" not in page
    assert ">ada</bdi>" in page
    for query, rows in (
        (f"?job={acting.job_id}", 6),
        (f"?farm={acting.ids['farm_id']}", 6),
        ("?user=ada", 6),
        ("?user=bob", 0),
        (f"?job=job-{'0' * 32}", 0),
    ):
        listed = operator_client.get(f"/audit/{query}").content.decode()
        assert listed.count('data-state="done"') == rows, query
    # On the job's page, loaded by htmx (the link is the no-JS way to the same list).
    job_page = operator_client.get(acting.job_url()).content.decode()
    assert f'hx-get="/audit/?job={acting.job_id}"' in job_page
    embedded = operator_client.get(f"/audit/?job={acting.job_id}", headers=HX).content.decode()
    assert "<html" not in embedded and embedded.count('data-state="done"') == 6


def test_the_audit_filters_refuse_malformed_ids(operator_client: Client) -> None:
    response = operator_client.get("/audit/?job=job-../../etc&farm=nope")

    assert response.status_code == 400
    assert "Expected job-" in response.content.decode()


def test_the_result_page_lists_what_was_not_changed_and_why(
    acting: ActionWorld, operator_client: Client
) -> None:
    # A policy that grants neither the batch write nor the single one.
    acting.emulator.faults.set("BatchUpdateTask", deny=True)
    acting.emulator.faults.set("UpdateTask", deny=True)

    run = act(operator_client, acting.job_url(), action="requeue")

    assert (run.state, run.changed, run.failed) == ("failed", 0, 12)
    assert run.method == "UpdateTask" and "BatchUpdateTask was refused" in run.fallback
    errors = set(run.items.values_list("error", flat=True))
    assert all("deadline:UpdateTask" in error for error in errors)
    page = operator_client.get(f"/audit/{run.pk}/").content.decode()
    assert "Not changed (12)" in page
    assert 'data-method="UpdateTask"' in page and "sent one UpdateTask per task" in page
    assert page.count("deadline:UpdateTask") >= 12
    assert "optional write statement" in page
    assert acting.updates() == {}


@in_process
def test_the_result_page_polls_while_running_and_stops_when_done(
    acting: ActionWorld, operator_client: Client
) -> None:
    run = act(operator_client, acting.job_url(), action="requeue")
    ActionRun.objects.filter(pk=run.pk).update(state="running")

    running = operator_client.get(f"/audit/{run.pk}/", headers=HX).content.decode()
    assert 'hx-trigger="every 1000ms, refresh"' in running and "<html" not in running

    ActionRun.objects.filter(pk=run.pk).update(state="done")
    finished = operator_client.get(f"/audit/{run.pk}/", headers=HX).content.decode()
    assert "hx-trigger" not in finished
    assert ActionItem.objects.filter(run=run, outcome="changed").count() == 12


# --- A failure group ----------------------------------------------------------------------------

_GROUP = re.compile(r'data-signature="([0-9a-f]{12})" data-tasks="(\d+)"')


def test_requeue_the_tasks_of_one_failure_cause(
    acting: ActionWorld, operator_client: Client
) -> None:
    failures_url = f"{acting.job_url()}failures/"
    report = operator_client.get(f"{failures_url}?format=json&wait=30").json()
    assert report["complete"] and len(report["groups"]) == 4  # four causes, three tasks each
    page = operator_client.get(failures_url).content.decode()
    digest, count = _GROUP.findall(page)[0]
    assert f'data-group="{digest}">Requeue these {count} tasks' in page
    group = next(g for g in report["groups"] if Signature(g["signature"], "", "").digest == digest)
    members = set(group["task_ids"])
    assert len(members) == int(count) == 3

    response, _ = preview(operator_client, failures_url, action="requeue", signature=digest)
    html = response.content.decode()
    assert 'data-total="3"' in html and "Failure causes among them" in html

    run = act(operator_client, failures_url, action="requeue", signature=digest, reason="fixed")

    assert (run.scope, run.planned, run.changed, run.state) == ("failures", 3, 3, "done")
    assert acting.updates() == dict.fromkeys(members, 1)
    assert all(acting.status(s, t) == "READY" for s, t in acting.failed if t in members)
    # The failures page lists the others only, at once (its cached listing was dropped).
    after = operator_client.get(f"{failures_url}?format=json&wait=30").json()
    assert after["failed_tasks"] == 9
    assert not members & {t for g in after["groups"] for t in g["task_ids"]}
    # The result page names the cause.
    assert (
        run.signature and run.signature in operator_client.get(f"/audit/{run.pk}/").content.decode()
    )


@in_process
def test_a_failure_group_that_is_gone_previews_nothing(
    acting: ActionWorld, operator_client: Client
) -> None:
    response, token = preview(
        operator_client, f"{acting.job_url()}failures/", action="requeue", signature="0" * 12
    )

    assert response.status_code == 200 and token == ""
    assert "not among the current failures" in response.content.decode()


# --- Late and concurrent confirmations -----------------------------------------------------------


@in_process
def test_a_swapped_task_set_with_the_same_counts_previews_again(
    acting: ActionWorld, operator_client: Client
) -> None:
    _, token = preview(operator_client, acting.job_url(), action="requeue", run_status="FAILED")
    # Meanwhile one failed frame is requeued by someone else and a finished one fails: still
    # 12 failed tasks, but not the 12 previewed.
    step_id, gone = acting.failed[0]
    acting.emulator.backend.update_task(
        **acting.ids, step_id=step_id, task_id=gone, target_run_status="PENDING"
    )
    newcomer = next(t for t, s in acting.statuses().items() if s == "SUCCEEDED")
    newcomer_step = next(s for s in acting.step_ids if newcomer[5:37] == s[5:])
    acting.emulator.backend.update_task(
        **acting.ids, step_id=newcomer_step, task_id=newcomer, target_run_status="FAILED"
    )

    response = operator_client.post(
        f"{acting.job_url()}actions/",
        {"action": "requeue", "run_status": "FAILED", "confirm": token},
    )

    html = response.content.decode()
    assert response.status_code == 200 and 'data-total="12"' in html
    assert "as many tasks, but not the same ones" in html
    assert not ActionRun.objects.exists()
    assert acting.updates() == {gone: 1, newcomer: 1}  # only the two changes made meanwhile


@in_process
def test_two_confirmations_on_one_job_change_each_task_once_and_audit_once(
    acting: ActionWorld, operator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks_app.services.actions import runs

    url = f"{acting.job_url()}actions/"
    _, first = preview(operator_client, acting.job_url(), action="requeue")
    _, second = preview(operator_client, acting.step_url(acting.step_ids[0]), action="requeue")
    held: list[tuple[int, str]] = []
    spawn = runs.spawn
    monkeypatch.setattr(runs, "spawn", lambda run_id, owner: held.append((run_id, owner)))

    started = operator_client.post(url, {"action": "requeue", "confirm": first})
    refused = operator_client.post(
        f"{acting.step_url(acting.step_ids[0])}actions/", {"action": "requeue", "confirm": second}
    )

    assert started.status_code == 303 and len(held) == 1
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Another action on this job is running" in html
    assert f'href="/audit/{held[0][0]}/" data-running-action' in html
    spawn(*held[0])  # the first one runs now
    assert actions.wait_for(held[0][0], timeout=60)
    again = operator_client.post(
        f"{acting.step_url(acting.step_ids[0])}actions/", {"action": "requeue", "confirm": second}
    )
    assert again.status_code == 200 and "changed since your preview" in again.content.decode()
    assert [(r.changed, r.state) for r in ActionRun.objects.all()] == [(12, "done")]
    assert acting.updates() == {task_id: 1 for _, task_id in acting.failed}


@in_process
def test_a_listing_that_disagrees_with_the_counts_is_read_again_and_never_confirmed(
    acting: ActionWorld, operator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks_app.services.actions import planning

    real = planning.list_every
    lists: list[str] = []

    def one_short(operation: str, result_key: str, **params: Any) -> list[Any]:
        """As if a task moved out of view between the counts and the listing."""
        items = real(operation, result_key, **params)
        if operation == "ListTasks":
            lists.append(params["stepId"])
            failed = [t for t in items if t["runStatus"] == "FAILED"]
            items = [t for t in items if t is not failed[-1]]
        return items

    monkeypatch.setattr(planning, "list_every", one_short)

    response, token = preview(operator_client, acting.job_url(), action="requeue")

    html = response.content.decode()
    assert response.status_code == 200 and token == ""  # nothing to confirm on a short list
    assert "data-unsettled" in html and "the listing found 9" in html
    assert len(lists) == planning.PLAN_READS * 3  # every step, read three times
    assert acting.updates() == {}


def test_a_failure_group_of_the_demo_worlds_10000_frame_job_previews_all_its_tasks(
    emulator: Any, operator_client: Client, settings: LazySettings
) -> None:
    settings.DASHBOARD_ACTIONS = True
    big = emulator.backend.landmarks()["big_job"]
    job = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**big)
    failures_url = f"{job}failures/"
    report = operator_client.get(f"{failures_url}?format=json&wait=60").json()
    assert report["complete"]
    page = operator_client.get(failures_url).content.decode()
    groups = _GROUP.findall(page)
    assert len(groups) == len(report["groups"]) >= 3
    for digest, count in groups:
        # Members past the first 5,000 frames count as much as the others.
        response, token = preview(operator_client, failures_url, action="requeue", signature=digest)
        assert f'data-total="{count}"' in response.content.decode(), digest
        assert token


@in_process
def test_an_unchanged_preview_is_confirmed_without_listing_the_job_again(
    acting: ActionWorld, operator_client: Client
) -> None:
    _, token = preview(operator_client, acting.job_url(), action="requeue")
    listed = acting.emulator.calls["ListTasks"]
    assert listed >= 3  # the preview listed every step with failed tasks

    done = operator_client.post(
        f"{acting.job_url()}actions/", {"action": "requeue", "confirm": token}
    )

    assert done.status_code == 303
    # Checked by the job's counts and one BatchGetTask of the 12 previewed tasks instead.
    assert acting.emulator.calls["ListTasks"] == listed
    run = ActionRun.objects.get()
    assert actions.wait_for(run.pk, timeout=60)
    assert acting.updates() == {task_id: 1 for _, task_id in acting.failed}


def test_the_demo_worlds_10000_frame_job_previews_every_task_its_counts_name(
    emulator: Any, operator_client: Client, settings: LazySettings
) -> None:
    settings.DASHBOARD_ACTIONS = True
    big = emulator.backend.landmarks()["big_job"]
    job = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**big)
    ids = {"farm_id": big["farmId"], "queue_id": big["queueId"], "job_id": big["jobId"]}
    counts = emulator.backend.get_job(**ids)["taskRunStatusCounts"]
    wanted = sum(counts.get(s, 0) for s in ("FAILED", "CANCELED", "SUSPENDED"))
    assert counts["FAILED"] > 100  # past the first 5,000 frames too

    response, token = preview(operator_client, job, action="requeue")

    html = response.content.decode()
    assert f'data-total="{wanted}"' in html and token
    assert f'data-calls="{-(-wanted // 100)}"' in html
