"""The go-to box: every accepted input form resolves; malformed input gets a field message and
never reaches the API."""

from __future__ import annotations

import pytest
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.goto import Destination, GotoError, JobLookup, resolve

FARM = "farm-" + "1" * 32
QUEUE = "queue-" + "2" * 32
JOB = "job-" + "3" * 32
STEP = "step-" + "4" * 32
TASK = "task-" + "4" * 32 + "-1042"
ALL = {"farm_id": FARM, "queue_id": QUEUE, "job_id": JOB, "step_id": STEP, "task_id": TASK}
TASK_URL = f"/farms/{FARM}/queues/{QUEUE}/jobs/{JOB}/steps/{STEP}/tasks/{TASK}/"


@pytest.mark.parametrize(
    "text",
    [
        f"http://dashboard.internal{TASK_URL}",
        TASK_URL,
        f"/2023-10-12/farms/{FARM}/queues/{QUEUE}/jobs/{JOB}/steps/{STEP}/tasks/{TASK}",
        f"https://management.deadline.us-west-2.amazonaws.com/2023-10-12/farms/{FARM}"
        f"/queues/{QUEUE}/jobs/{JOB}/steps/{STEP}/tasks/{TASK}",
        f"aws deadline get-task --farm-id {FARM} --queue-id {QUEUE} --job-id {JOB} "
        f"--step-id {STEP} --task-id {TASK}",
        f"aws deadline get-task --task-id={TASK} --step-id {STEP} --job-id='{JOB}' "
        f'--queue-id "{QUEUE}" --farm-id={FARM} --region us-west-2',
        f"{TASK} {STEP} {JOB} {QUEUE} {FARM}",
        f"{FARM},{QUEUE}, {JOB}\n{STEP}\t{TASK}",
        f"https://x.us-west-2.deadlinecloud.amazonaws.com/us-west-2/farms/{FARM}/queues/{QUEUE}"
        f"?jobId={JOB}&stepId={STEP}&taskId={TASK}",
    ],
)
def test_every_accepted_form_resolves_to_the_task(text: str) -> None:
    destination = resolve(text)

    assert destination.level == "task"
    assert destination.as_kwargs() == ALL


@pytest.mark.parametrize(
    ("text", "level"),
    [
        (FARM, "farm"),
        (f"{QUEUE} {FARM}", "queue"),
        (f"/farms/{FARM}/queues/{QUEUE}/jobs/{JOB}/", "job"),
        (f"aws deadline get-step --farm-id {FARM} --queue-id {QUEUE} --job-id {JOB} "
         f"--step-id {STEP}", "step"),
    ],
)  # fmt: skip
def test_the_deepest_level_named_wins(text: str, level: str) -> None:
    assert resolve(text).level == level


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste a dashboard URL"),
        (f"{FARM} task-12", "`task-12` is not a valid task ID."),
        (f"{FARM} {QUEUE} {STEP}", "A job ID is needed to open a step."),
        (f"{FARM} {QUEUE} {JOB} {TASK}", "A step ID is needed to open a task."),
        (f"{QUEUE}", "A farm ID is needed to open a queue."),
        (f"aws deadline get-task --farm-id {FARM} --queue-id", "`--queue-id` has no value."),
        (f"--farm-id FARM-{'A' * 32}", "is not a valid farm ID."),
        (f"/farms/{FARM}/queues/", "without a queue ID"),
        ("https://example.com/nothing/here", "names no farm, queue, job, step or task"),
        (f"{FARM} hello", "`hello` is not a farm, queue, job, step or task ID."),
        (f"{JOB} {TASK}", "A step ID is needed to open a task."),
        ("render\x01final", "control characters"),
        (f"{FARM} farm-{'f' * 32}", "Two different farm IDs"),
        ("worker-" + "a" * 32, "A farm ID is needed to open a worker."),
        (f"{FARM} worker-{'a' * 32}", "A fleet ID is needed to open a worker."),
        (f"{FARM} {QUEUE} fleet-{'a' * 32}", "name two different pages"),
        ("session-" + "a" * 32, "is a session ID"),
        ("farm-<script>alert(1)</script>", "is not a valid farm ID"),
        ("x" * 5000, "too long"),
    ],
)
def test_malformed_input_names_the_part(text: str, message: str) -> None:
    with pytest.raises(GotoError) as caught:
        resolve(text)

    assert message in str(caught.value)


def test_go_redirects_to_the_deepest_page(client: Client, emulator: Emulator) -> None:
    response = client.get(
        "/go/", {"q": f"aws deadline get-task --farm-id={FARM} --queue-id {QUEUE}"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/farms/{FARM}/queues/{QUEUE}/"
    assert emulator.calls.total() == 0


def test_go_to_a_task_redirects_to_its_canonical_url(client: Client, emulator: Emulator) -> None:
    response = client.get("/go/", {"q": f"{TASK} {STEP} {JOB} {QUEUE} {FARM}"})

    assert response.status_code == 302
    assert response["Location"] == TASK_URL


def test_go_with_htmx_redirects_the_client(client: Client, emulator: Emulator) -> None:
    response = client.get("/go/", {"q": FARM}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/farms/{FARM}/"


def test_go_malformed_shows_the_message_next_to_the_field(
    client: Client, emulator: Emulator
) -> None:
    response = client.get("/go/", {"q": f"{FARM} {QUEUE} {JOB} task-12"})
    html = response.content.decode()

    assert response.status_code == 400
    assert '<p class="field-error" id="goto-error">`task-12` is not a valid task ID.</p>' in html
    assert 'aria-invalid="true"' in html
    assert emulator.calls.total() == 0


def test_go_missing_level_message_as_htmx_fragment(client: Client, emulator: Emulator) -> None:
    response = client.get("/go/", {"q": f"{FARM} {STEP}"}, headers={"HX-Request": "true"})
    html = response.content.decode()

    assert response.status_code == 400
    assert "A queue ID is needed to open a step." in html
    assert "<html" not in html
    assert emulator.calls.total() == 0


def test_go_escapes_what_was_pasted(client: Client, emulator: Emulator) -> None:
    html = client.get("/go/", {"q": "<img src=x onerror=alert(1)>"}).content.decode()

    assert "<img src=x" not in html
    assert "&lt;img" in html


def test_go_without_a_query_shows_the_empty_form(client: Client, emulator: Emulator) -> None:
    response = client.get("/go/")

    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()
    assert "field-error" not in response.content.decode()


ARN_PREFIX = "arn:aws:deadline:us-west-2:123456789012"
MONITOR = "https://studio.us-west-2.deadlinecloud.amazonaws.com/us-west-2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{ARN_PREFIX}:farm/{FARM}", {"farm_id": FARM}),
        (f"{ARN_PREFIX}:farm/{FARM}/queue/{QUEUE}", {"farm_id": FARM, "queue_id": QUEUE}),
        (
            f"{ARN_PREFIX}:farm/{FARM}/queue/{QUEUE}/job/{JOB}",
            {"farm_id": FARM, "queue_id": QUEUE, "job_id": JOB},
        ),
        # Other partitions, and an ARN inside a pasted JSON answer.
        (
            f"arn:aws-us-gov:deadline:us-gov-west-1:123456789012:farm/{FARM}/queue/{QUEUE}",
            {"farm_id": FARM, "queue_id": QUEUE},
        ),
        (
            f'  "jobArn": "{ARN_PREFIX}:farm/{FARM}/queue/{QUEUE}/job/{JOB}",',
            {"farm_id": FARM, "queue_id": QUEUE, "job_id": JOB},
        ),
        # Deeper than IAM's resource types go: step and task pairs in the same form.
        (f"{ARN_PREFIX}:farm/{FARM}/queue/{QUEUE}/job/{JOB}/step/{STEP}/task/{TASK}", ALL),
    ],
)
def test_an_arn_opens_what_it_names(text: str, expected: dict[str, str]) -> None:
    assert resolve(text).as_kwargs() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("arn:aws:s3:::render-bucket/out.exr", "an ARN of `s3`, not of AWS Deadline Cloud"),
        (f"{ARN_PREFIX}:monitor/monitor-{'a' * 32}", "the ARN of a monitor"),
        (f"{ARN_PREFIX}:farm/{FARM}/queue/", "ends at `queue/` without an ID"),
        (f"{ARN_PREFIX}:farm/{FARM}/queue/queue-XYZ", "`queue-XYZ` is not a valid queue ID"),
        (f"{ARN_PREFIX}:farm/{FARM}/gadget/{QUEUE}", "`gadget` in this ARN is not a farm"),
        (f"{ARN_PREFIX}:queue/{QUEUE}", "A farm ID is needed to open a queue."),
    ],
)
def test_a_wrong_arn_is_named(text: str, message: str) -> None:
    with pytest.raises(GotoError) as caught:
        resolve(text)

    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{MONITOR}/farms/{FARM}", {"farm_id": FARM}),
        (f"{MONITOR}/farms/{FARM}/queues/{QUEUE}", {"farm_id": FARM, "queue_id": QUEUE}),
        (
            f"{MONITOR}/farms/{FARM}/queues/{QUEUE}?jobId={JOB}",
            {"farm_id": FARM, "queue_id": QUEUE, "job_id": JOB},
        ),
        (
            f"{MONITOR}/farms/{FARM}/queues/{QUEUE}?jobId={JOB}&stepId={STEP}",
            {"farm_id": FARM, "queue_id": QUEUE, "job_id": JOB, "step_id": STEP},
        ),
        (f"{MONITOR}/farms/{FARM}/queues/{QUEUE}?jobId={JOB}&stepId={STEP}&taskId={TASK}", ALL),
        # Parameters in another order, others mixed in, and a fragment.
        (
            f"{MONITOR}/farms/{FARM}/queues/{QUEUE}?taskId={TASK}&tab=logs&stepId={STEP}"
            f"&jobId={JOB}#top",
            ALL,
        ),
    ],
)
def test_a_monitor_link_opens_what_it_names(text: str, expected: dict[str, str]) -> None:
    assert resolve(text).as_kwargs() == expected


def test_a_monitor_link_with_a_mistyped_job_id_is_refused() -> None:
    with pytest.raises(GotoError) as caught:
        resolve(f"{MONITOR}/farms/{FARM}/queues/{QUEUE}?jobId=job-123")

    assert "`job-123` is not a valid job ID." in str(caught.value)


def test_go_with_an_arn_redirects_without_an_api_call(client: Client, emulator: Emulator) -> None:
    response = client.get("/go/", {"q": f"{ARN_PREFIX}:farm/{FARM}/queue/{QUEUE}/job/{JOB}"})

    assert response.status_code == 302
    assert response["Location"] == f"/farms/{FARM}/queues/{QUEUE}/jobs/{JOB}/"
    assert emulator.calls.total() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (JOB, JobLookup(job_id=JOB)),
        (f"  {JOB}\n", JobLookup(job_id=JOB)),
        (f"{STEP} {JOB}", JobLookup(job_id=JOB, deeper=(("step", STEP),))),
        (f"{JOB} {STEP} {TASK}", JobLookup(job_id=JOB, deeper=(("step", STEP), ("task", TASK)))),
        (f"{FARM} {JOB}", JobLookup(job_id=JOB, farm_id=FARM)),
        ("sq010_master_beauty", JobLookup(name="sq010_master_beauty")),
        ("  comp   final  v3 ", JobLookup(name="comp final v3")),
        ("שלום render", JobLookup(name="שלום render")),
    ],
)
def test_a_job_id_alone_or_words_are_looked_up(text: str, expected: JobLookup) -> None:
    assert resolve(text) == expected


def test_a_job_id_with_its_queue_needs_no_lookup() -> None:
    assert isinstance(resolve(f"{FARM} {QUEUE} {JOB}"), Destination)


FLEET = "fleet-" + "c" * 32
WORKER = "worker-" + "d" * 32


@pytest.mark.parametrize(
    "text",
    [
        f"{ARN_PREFIX}:farm/{FARM}/fleet/{FLEET}/worker/{WORKER}",
        f"aws deadline get-worker --farm-id {FARM} --fleet-id {FLEET} --worker-id {WORKER}",
        f"/farms/{FARM}/fleets/{FLEET}/workers/{WORKER}/",
        f"https://lighthouse.us-west-2.deadlinecloud.amazonaws.com/us-west-2/farms/{FARM}"
        f"/fleets/{FLEET}/workers/{WORKER}",
        f"{WORKER} {FARM} {FLEET}",
    ],
)
def test_fleet_and_worker_ids_open_the_worker_page(
    text: str, client: Client, emulator: Emulator
) -> None:
    assert resolve(text).as_kwargs() == {"farm_id": FARM, "fleet_id": FLEET, "worker_id": WORKER}
    response = client.get("/go/", {"q": text})
    assert response.status_code == 302
    assert response["Location"] == f"/farms/{FARM}/fleets/{FLEET}/workers/{WORKER}/"


def test_a_fleet_arn_opens_the_fleet_page() -> None:
    found = resolve(f"{ARN_PREFIX}:farm/{FARM}/fleet/{FLEET}")
    assert found.as_kwargs() == {"farm_id": FARM, "fleet_id": FLEET}
