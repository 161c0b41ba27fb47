"""The job page, verdict first: a failed job names its top causes (from the failures analysis,
never waited on: the section shows progress and polls itself until the analysis is done)
above the actions and the summary; waiting work leads with why it waits."""

from __future__ import annotations

import re

from django.test import Client

from deadline_emulator import Emulator
from tasks_app.selectors import failures
from tasks_app.services import failure_runs
from tasks_app.services.failure_analysis import runner
from tests.htmx_headers import HTMX


def job_url(ids: dict[str, str]) -> str:
    return "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**ids)


def scope_of(ids: dict[str, str]) -> failures.FailureScope:
    return failures.FailureScope(
        farm_id=ids["farmId"], queue_id=ids["queueId"], job_id=ids["jobId"]
    )


def verdict_of(html: str) -> str:
    start = html.index('id="job-verdict"')
    return html[start : html.index("</section>", start)]


def test_a_failed_job_leads_with_its_top_causes_above_the_actions_and_summary(
    client: Client, emulator: Emulator
) -> None:
    made = emulator.add_failed_job(failed_tasks=12, steps=2, causes=["oom", "license"])
    report = failure_runs.report(scope_of(made), wait_seconds=60)
    assert report.complete
    top = [g for g in report.groups if g.task_count][:3]

    html = client.get(job_url(made)).content.decode()

    verdict = verdict_of(html)
    assert "Why 12 tasks failed" in verdict
    titles = re.findall(r'class="job-cause__title"><a href="[^"]+"><bdi>(.*?)</bdi>', verdict)
    assert titles == [g.title for g in top]  # the failures page's names, in its order
    for group in top:
        assert f"<strong>{group.task_count} task{'s' if group.task_count > 1 else ''}</strong>" in (
            verdict
        )
        assert f'data-group="{group.digest}"' in verdict  # its requeue button
    # Verdict first: before the action menu, the summary and the steps.
    assert html.index('id="job-verdict"') < html.index('class="actions-menu"')
    assert html.index('id="job-verdict"') < html.index('class="work-summary"')
    assert "data-verdict-polling" not in verdict


def test_while_the_analysis_runs_the_verdict_shows_progress_and_polls_itself(
    client: Client, emulator: Emulator
) -> None:
    made = emulator.add_failed_job(failed_tasks=9, steps=1)

    html = client.get(job_url(made)).content.decode()

    verdict = verdict_of(html)
    # Never waited on: the page answers at once and the section re-reads itself.
    assert "data-verdict-polling" in verdict and "Reading the failed attempts" in verdict
    poll = re.search(r'hx-get="([^"]+)" hx-trigger="every 1000ms"', verdict)
    assert poll is not None and poll.group(1).endswith("?part=verdict")
    assert runner.drain()
    fragment = client.get(poll.group(1).replace("&amp;", "&"), headers=HTMX)
    done = fragment.content.decode()
    assert done.startswith('<section id="job-verdict"') and "<html" not in done
    assert "data-verdict-polling" not in done and 'class="job-cause"' in done


def test_a_waiting_job_leads_with_why_it_waits(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["suspended_job"]

    html = client.get(job_url(ids)).content.decode()

    verdict = verdict_of(html)
    assert "job-verdict--waiting" in verdict and "/blockers/?part=line" in verdict
    assert html.count("/blockers/?part=line") == 1  # not a second time further down


def test_a_finished_job_without_failures_has_no_verdict(client: Client, emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["one_task_step"]

    html = client.get(job_url(ids)).content.decode()

    assert 'id="job-verdict"' not in html
    assert 'class="actions-menu__more"' in html  # the actions, in their menu
