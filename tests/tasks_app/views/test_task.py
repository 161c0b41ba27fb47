"""The task page: full page and htmx fragment of one URL, 204 polls, errors, escaping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator.exceptions import ValidationException
from tasks_app.deadline.types import TaskRunStatus
from tests.conftest import Tiny
from tests.htmx_headers import HTMX
from tests.tasks_app.tiny_world import CREATED, NOW, STEP_ID, Ids, hex_id
from tests.tasks_app.views.task_page_html import code_text

ALL_PARAMETER_VARIANTS = {
    "Frame": {"int": "-1042"},
    "Exposure": {"float": "1.5e-3"},
    "Camera": {"string": "shotCam main"},
    "Scene": {"path": "/mnt/projects/shot_042/scene v3.ma"},
    "Frames": {"chunkInt": "1-3,5,7-20:2"},
}


def html_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def badge(html: str) -> str:
    match = re.search(r'<dd id="run-status"><span class="badge ([^"]+)" data-status="(\w+)">', html)
    assert match, "no run status badge"
    return match.group(2)


# --- Full page -----------------------------------------------------------------------------------


def test_full_page_shows_the_task(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(
        3,
        runStatus="RUNNING",
        startedAt=NOW - timedelta(minutes=12, seconds=5),
        updatedAt=NOW - timedelta(seconds=40),
        updatedBy="deadline-scheduler",
        latestSessionActionId="sessionaction-" + "ab" * 16 + "-2",
        parameters={"Frame": {"int": "1042"}},
    )

    response = client.get(ids.url())
    html = html_of(response)

    assert response.status_code == 200
    assert badge(html) == "RUNNING"
    # Named as operators think of it; the ID shortened beside it, whole in its copy button.
    assert "<h1><bdi>Frame 1042</bdi>" in html
    assert f'<code id="task-id" class="id__text" dir="ltr" title="{ids.task_id}">' in html
    assert 'data-copy="#task-id"' in html
    # Breadcrumbs with display names
    for name in ("Paris render farm", "Lighting", "shot_042_v3", "Render"):
        assert f'<bdi class="crumb-name">{name}</bdi>' in html
    # Times: absolute UTC and relative
    assert "2026-11-23 11:47:55 UTC" in html
    assert "12 min ago" in html
    assert "40 s ago" in html
    # Running: elapsed so far, ticking from the start time
    assert '12 min 05 s</span> <span class="muted">so far' in html
    assert "arn:aws:sts::123456789012:assumed-role/Artist/ana" in html
    assert "deadline-scheduler" in html
    # A raw session action ID is not a fact an operator reads: the attempts name it.
    assert "sessionaction-" + "ab" * 16 + "-2" not in html.split('id="attempts"')[0]
    assert (
        f"aws deadline get-task --farm-id {ids.farm_id} --queue-id {ids.queue_id} "
        f"--job-id {ids.job_id} --step-id {ids.step_id} --task-id {ids.task_id}"
    ) in code_text(html, "cli-command")
    assert 'data-copy="#cli-command"' in html


def test_full_page_has_no_inline_script_or_style(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING", parameters=ALL_PARAMETER_VARIANTS)

    html = html_of(client.get(ids.url()))

    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "htmx and the page script must be loaded"
    assert all(" src=" in tag for tag in scripts)
    assert not re.search(r"<script\b[^>]*>(?!</script>)", html)  # no inline body
    assert " style=" not in html
    assert "<style" not in html
    assert re.search(r'src="/static/django_htmx/htmx-2\.min\.js"', html)
    assert '"allowEval": false' in html
    assert " hx-on" not in html  # hx-on handlers are inline script


def test_demo_marker_on_the_task_page_and_home(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0)

    assert 'class="demo-marker"' in html_of(client.get(ids.url()))
    assert 'class="demo-marker"' in html_of(client.get("/"))


def test_no_demo_marker_with_the_aws_backend(
    client: Client, settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEADLINE_BACKEND = "aws"

    assert 'class="demo-marker"' not in html_of(client.get("/"))


@pytest.mark.parametrize("status", TaskRunStatus.known(), ids=str)
def test_every_run_status_has_its_badge(client: Client, tiny: Tiny, status: TaskRunStatus) -> None:
    ids = tiny.world.add_task(0, runStatus=status.value)

    html = html_of(client.get(ids.url()))

    assert (
        f'<span class="badge {status.css_class}" data-status="{status.value}">{status.label}</span>'
    ) in html
    assert f"<title>{status.label} · Task 0 · " in html  # the tab title names the status


def test_badges_have_a_colour_for_each_status_in_light_and_dark() -> None:
    from pathlib import Path

    css = (Path(__file__).parents[3] / "static/tasks_app/dashboard.css").read_text()

    for status in TaskRunStatus.known():
        assert f".{status.css_class}" in css
    assert "@media (prefers-color-scheme: dark)" in css


def test_target_status_shown_only_when_different(client: Client, tiny: Tiny) -> None:
    requeued = tiny.world.add_task(1, runStatus="FAILED", targetRunStatus="READY")
    settled = tiny.world.add_task(2, runStatus="SUCCEEDED", targetRunStatus="SUCCEEDED")

    assert 'target <span class="badge badge--ready"' in html_of(client.get(requeued.url()))
    assert 'class="target"' not in html_of(client.get(settled.url()))


def test_retries_highlighted_above_zero(client: Client, tiny: Tiny) -> None:
    retried = tiny.world.add_task(1, runStatus="FAILED", failureRetryCount=3)
    clean = tiny.world.add_task(2, runStatus="SUCCEEDED", failureRetryCount=0)

    assert '<span class="retries retries--nonzero">3</span>' in html_of(client.get(retried.url()))
    assert '<span class="retries">0</span>' in html_of(client.get(clean.url()))


def test_finished_task_shows_its_fixed_duration(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(
        0,
        runStatus="SUCCEEDED",
        startedAt=CREATED,
        endedAt=CREATED + timedelta(hours=1, minutes=2, seconds=3),
    )

    html = html_of(client.get(ids.url()))

    assert '<dd id="duration">1 h 02 min</dd>' in html
    assert "data-elapsed-since" not in html


def test_all_five_parameter_variants_rendered(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, parameters=ALL_PARAMETER_VARIANTS)

    html = html_of(client.get(ids.url()))

    rows = re.findall(
        r'<tr class="parameter parameter--(\w+)">\s*<th scope="row" dir="auto">([^<]+)</th>', html
    )
    assert sorted(rows) == sorted(
        [
            ("int", "Frame"),
            ("float", "Exposure"),
            ("string", "Camera"),
            ("path", "Scene"),
            ("chunkInt", "Frames"),
        ]
    )
    assert '<code class="value">-1042</code>' in html
    assert '<code class="value">1.5e-3</code>' in html
    assert '<span class="value">shotCam main</span>' in html
    assert '<code class="value">/mnt/projects/shot_042/scene v3.ma</code>' in html
    assert '<code class="value">1-3,5,7-20:2</code>' in html
    assert "(11 frames)" in html


def test_single_frame_chunk_and_unparseable_chunk(client: Client, tiny: Tiny) -> None:
    one = tiny.world.add_task(1, parameters={"Frames": {"chunkInt": "5-5"}})
    odd = tiny.world.add_task(2, parameters={"Frames": {"chunkInt": "every other"}})

    assert "(1 frame)" in html_of(client.get(one.url()))
    odd_html = html_of(client.get(odd.url()))
    assert '<code class="value">every other</code>' in odd_html
    assert "frame" not in odd_html.split("every other", 1)[1].split("</td>", 1)[0]


def test_empty_parameters_state(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0)

    html = html_of(client.get(ids.url()))

    assert "This task has no parameters." in html
    assert 'class="parameters"' not in html


def test_hostile_strings_are_escaped(client: Client, tiny: Tiny) -> None:
    tiny.world.farms[Ids().farm_id]["displayName"] = "<script>alert('farm')</script>"
    ids = tiny.world.add_task(
        0,
        createdBy='"><img src=x onerror=alert(1)>',
        parameters={
            "<b>name</b>": {"string": "<script>alert('x')</script>"},
            "Path": {"path": "/mnt/{{ settings.SECRET_KEY }}/</code><script>"},
        },
    )

    for response in (client.get(ids.url()), client.get(ids.url(), headers=HTMX)):
        html = html_of(response)
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "<b>name</b>" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
        assert "{{ settings.SECRET_KEY }}" in html  # shown as text, never evaluated
    assert "&lt;script&gt;alert(&#x27;farm&#x27;)&lt;/script&gt;" in html_of(client.get(ids.url()))


# --- The htmx fragment ---------------------------------------------------------------------------


def test_fragment_of_the_same_url_is_only_the_panel(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING", parameters=ALL_PARAMETER_VARIANTS)

    full = client.get(ids.url())
    fragment = client.get(ids.url(), headers=HTMX)
    html = html_of(fragment)

    assert fragment.status_code == 200
    assert "<html" not in html and "breadcrumbs" not in html
    assert html.lstrip().startswith("<title>Running · ")
    assert 'id="task-panel"' in html
    assert badge(html) == "RUNNING"
    assert (
        '<div id="poll-warning" class="poll-warning" role="alert" hx-swap-oob="true"></div>' in html
    )
    # The panel markup is the same include in both answers.
    panel = re.search(r'<section id="task-panel".*?</section>', html, re.S)
    assert panel and panel.group(0) in html_of(full)
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in full["Vary"]


def test_fragment_costs_one_get_task_and_no_name_reads(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")

    client.get(ids.url(), headers=HTMX)

    assert tiny.emulator.calls.snapshot() == {"GetTask": 1}


def test_polling_interval_while_running_and_once_terminal(
    client: Client, tiny: Tiny, settings: LazySettings
) -> None:
    settings.DASHBOARD_POLL_SECONDS = 5
    settings.DASHBOARD_TERMINAL_POLL_SECONDS = 45
    running = tiny.world.add_task(1, runStatus="RUNNING")
    failed = tiny.world.add_task(2, runStatus="FAILED")

    running_html = html_of(client.get(running.url()))
    failed_html = html_of(client.get(failed.url()))

    assert 'hx-trigger="every 5000ms, refresh"' in running_html
    assert 'hx-trigger="every 45000ms, refresh"' in failed_html
    assert "re-checked every 45 s" in failed_html


def test_unchanged_poll_is_an_empty_204(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    version = re.search(r'data-version="(\w+)"', html_of(client.get(ids.url()))).group(1)

    poll = client.get(ids.url(), {"v": version}, headers=HTMX)

    assert poll.status_code == 204
    assert poll.content == b""
    assert "Content-Type" not in poll


def test_changed_poll_answers_the_new_panel(
    client: Client, tiny: Tiny, settings: LazySettings
) -> None:
    settings.DEADLINE_CACHE_SECONDS = 0
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    version = re.search(r'data-version="(\w+)"', html_of(client.get(ids.url()))).group(1)
    tiny.world.tasks[ids.task_id].update(runStatus="SUCCEEDED", endedAt=NOW)

    poll = client.get(ids.url(), {"v": version}, headers=HTMX)

    assert poll.status_code == 200
    assert badge(html_of(poll)) == "SUCCEEDED"
    assert f'data-version="{version}"' not in html_of(poll)


def test_version_is_ignored_without_htmx(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    version = re.search(r'data-version="(\w+)"', html_of(client.get(ids.url()))).group(1)

    assert client.get(ids.url(), {"v": version}).status_code == 200


def test_many_viewers_inside_the_ttl_cost_one_get_task(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")

    client.get(ids.url())
    for _ in range(50):
        client.get(ids.url(), headers=HTMX)

    assert tiny.emulator.calls["GetTask"] == 1


def test_failed_poll_keeps_the_panel_and_shows_a_warning(
    client: Client, tiny: Tiny, settings: LazySettings
) -> None:
    settings.DEADLINE_CACHE_SECONDS = 0
    settings.DEADLINE_MAX_ATTEMPTS = 1
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    tiny.emulator.faults.set("GetTask", throttle_rate=1.0)

    poll = client.get(ids.url(), {"v": "0" * 16}, headers=HTMX)
    html = html_of(poll)

    assert poll.status_code == 200  # htmx ignores the bodies of 4xx/5xx
    assert poll["HX-Reswap"] == "none"  # the panel stays as it is
    assert 'id="task-panel"' not in html
    assert '<div id="poll-warning" class="poll-warning" role="alert" hx-swap-oob="true">' in html
    assert "throttling" in html


# --- Errors --------------------------------------------------------------------------------------


def test_missing_task_is_a_404_naming_it_with_its_parent(client: Client, tiny: Tiny) -> None:
    ids = Ids(task_id=f"task-{STEP_ID.removeprefix('step-')}-77")

    response = client.get(ids.url())
    html = html_of(response)

    assert response.status_code == 404
    assert f"Task <code>{ids.task_id}</code> was not found" in html
    # The step's browse page (navigation issue) is the nearest parent's page.
    parent_link = reverse(
        "step_detail", kwargs={k: v for k, v in ids.kwargs().items() if k != "task_id"}
    )
    assert (
        f'The nearest existing parent is step <a class="nearest-parent" href="{parent_link}">'
        f"<code>{ids.step_id}</code></a>"
    ) in html


def test_missing_job_points_to_its_queue(client: Client, tiny: Tiny) -> None:
    ids = Ids(job_id=hex_id("job", 0xBAD))

    response = client.get(ids.url())
    html = html_of(response)

    assert response.status_code == 404
    assert f"Job <code>{ids.job_id}</code> was not found" in html
    assert "The nearest existing parent is queue" in html
    assert f"<code>{ids.queue_id}</code></a>." in html


def test_access_denied_is_a_403_naming_the_action(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("GetTask", deny=True)

    response = client.get(ids.url())

    assert response.status_code == 403
    assert "<code>deadline:GetTask</code>" in html_of(response)


def test_throttled_is_a_503_with_retry_after(
    client: Client, tiny: Tiny, settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("*", throttle_rate=1.0, retry_after_seconds=12)

    response = client.get(ids.url())

    assert response.status_code == 503
    assert response["Retry-After"] == "12"
    assert "throttling" in html_of(response)
    assert "Traceback" not in html_of(response)


def test_unreachable_is_a_503_with_retry_after(
    client: Client, tiny: Tiny, settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("*", down=True)

    response = client.get(ids.url())

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "Cannot reach the Deadline Cloud endpoint" in html_of(response)


def test_invalid_request_is_a_400(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0)
    tiny.world.task_errors[ids.task_id] = ValidationException(
        "Value at 'taskId' failed to satisfy constraint", reason="CANNOT_PARSE"
    )

    response = client.get(ids.url())

    assert response.status_code == 400
    assert "ValidationException" in html_of(response)
    assert "Value at &#x27;taskId&#x27; failed to satisfy constraint" in html_of(response)


def test_unknown_url_is_a_friendly_404(client: Client) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "There is no page at this address." in html_of(response)


def test_server_error_page_has_no_traceback(rf: object) -> None:
    from tasks_app.views.errors import server_error

    response = server_error(rf.get("/"))  # type: ignore[attr-defined]

    assert response.status_code == 500
    assert "Something went wrong" in html_of(response)


def test_post_is_refused(client: Client, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0)

    assert client.post(ids.url()).status_code == 405
    assert tiny.emulator.calls.total() == 0


def test_the_heading_names_the_frame_operators_think_in(client: Client, tiny: Tiny) -> None:
    frame = tiny.world.add_task(1, parameters={"Frame": {"int": "93"}})
    chunk = tiny.world.add_task(2, parameters={"Frame": {"chunkInt": "1-10"}})
    layer = tiny.world.add_task(3, parameters={"Layer": {"string": "beauty"}})
    bare = tiny.world.add_task(4)

    def heading(ids: Ids) -> str:
        html = html_of(client.get(ids.url()))
        return re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", html, re.S).group(1))

    assert heading(frame) == "Frame 93 of Render"
    assert heading(chunk) == "Frames 1-10 of Render"
    assert heading(layer) == "Layer=beauty of Render"
    assert heading(bare) == "Task 4 of Render"
