"""Views of the task page's triage sections: attempts, and the selected attempt's log.

By default the full task page holds light placeholders that htmx fills at once from
``task_attempts`` and ``task_log``, so the task panel an operator came for never waits on a
session or CloudWatch read. With ``?attempt=<sessionActionId>`` or ``?attempt=latest`` (a
bookmark, and the path without JavaScript) the page renders both inline (``triage_context``),
their reads started before and run alongside the task's (``start_triage``). Without htmx the
fragment URLs redirect to that page. The log panel itself is in ``views.task_log``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError
from ..deadline.session_types import ActionStatus
from ..deadline.types import TaskPath
from ..selectors import attention, failures, resources, triage
from ..selectors.task_attempts import FailureVerdict
from ..selectors.triage import TaskAttempts
from .common import combined_version, unchanged
from .task_log import (
    log_context,
    log_fragment,
    log_read,
    select_attempt,
    target_context,
    task_urls,
    to_task_page,
    wanted_line,
    with_query,
)

logger = logging.getLogger(__name__)


# --- Context -----------------------------------------------------------------------------------


def _task_attention(
    path: TaskPath, attempts: TaskAttempts | None
) -> attention.TaskAttention | None:
    """Whether the task is stalled or slow, judged from its latest attempt (None: no attempt,
    or the task itself could not be read)."""
    if attempts is None or attempts.latest is None:
        return None
    try:
        task = resources.get_task(**path.as_kwargs())
    except DeadlineError:
        return None
    return attention.task_attention(
        farm_id=path.farm_id,
        queue_id=path.queue_id,
        job_id=path.job_id,
        step_id=path.step_id,
        run_status=task.run_status,
        attempt=attempts.latest,
    )


def _attempts_context(
    path: TaskPath, attempts: TaskAttempts | None, error: DeadlineError | None
) -> dict[str, Any]:
    urls = task_urls(path)
    judged = _task_attention(path, attempts)
    judgement = _failure_judgement(path, attempts)
    version = attempts.version if attempts is not None else ""
    if judged is not None or judgement["cause_names"] or judgement["worker_suspect"]:
        version = combined_version(attempts, judged, _judgement_text(judgement))
    # The section re-reads when the task panel changes (a new attempt, a new status); only a
    # live attempt's progress also needs a (slower) poll of its own.
    live = attempts is not None and attempts.any_live
    return {
        "attempts": attempts,
        "task_verdict": _verdict(attempts),
        **judgement,
        "attempts_version": version,
        "task_attention": judged,
        "attempts_error": error,
        "attempts_live": live,
        "attempts_poll_url": with_query(urls["attempts_url"], v=version),
        "attempts_poll_ms": int(settings.DASHBOARD_POLL_SECONDS * 2 * 1000),
        "triage_urls": urls,
    }


def _failure_judgement(path: TaskPath, attempts: TaskAttempts | None) -> dict[str, Any]:
    """What the failures analysis (cached, job-wide) says of this task's failed attempts: each
    one's cause by the name the failures page gives it, and the worker to suspect (its own
    statistic: none on a sample too small to mean anything, none before the analysis)."""
    failed = attempts.failed if attempts is not None else ()
    if not failed:
        return {"cause_names": {}, "worker_suspect": None}
    scope = failures.FailureScope(farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id)
    reported = {
        a.cause.session_action_id: (a.cause.process_exit_code, a.cause.progress_message)
        for a in failed
    }
    return {
        "cause_names": failures.cause_titles(scope, reported, reported=reported),
        "worker_suspect": failures.worker_suspect(scope, task_id=path.task_id),
    }


def _judgement_text(judgement: dict[str, Any]) -> str:
    suspect = judgement["worker_suspect"]
    names = sorted(judgement["cause_names"].items())
    return repr((names, suspect.summary if suspect is not None else ""))


def _verdict(attempts: TaskAttempts | None) -> FailureVerdict | None:
    """Why the task failed, while its latest attempt is a failed one (not once requeued)."""
    latest = attempts.latest if attempts is not None else None
    if attempts is None or latest is None or latest.status is not ActionStatus.FAILED:
        return None
    return attempts.verdict


def start_triage(request: HttpRequest, path: TaskPath) -> triage.AttemptReads | None:
    """Start the inline triage's reads when the page shows it (``?attempt=``), before the
    page's own reads so both run together; None for the default page (placeholders)."""
    wanted = request.GET.get("attempt")
    if wanted is None:
        return None
    return triage.AttemptReads(
        farm_id=path.farm_id,
        queue_id=path.queue_id,
        job_id=path.job_id,
        task_id=path.task_id,
        log_of=wanted,
        log_before=request.GET.get("before", "")[:4096],
    )


def triage_context(
    request: HttpRequest, path: TaskPath, reads: triage.AttemptReads | None
) -> dict[str, Any]:
    """The triage part of the full task page: placeholders that htmx fills (``reads`` None),
    or the attempts and the selected attempt's log, collected from ``reads``.

    Failures stay inside their section: the rest of the page renders whatever happens here.
    """
    if reads is None:
        return _placeholder_context(path)
    attempts: TaskAttempts | None = None
    error: DeadlineError | None = None
    try:
        attempts = reads.attempts()
    except DeadlineError as exc:
        error = exc
    context = _attempts_context(path, attempts, error)
    context["triage_inline"] = True
    selected, note = select_attempt(attempts, request.GET.get("attempt", ""))
    context["attempt_note"] = note
    if selected is not None:
        before = request.GET.get("before", "")[:4096] if note is None else ""
        read = log_read(reads, selected)
        line, at = wanted_line(request) if note is None and not before else (None, None)
        context.update(log_context(path, selected, before=before, **read))
        if (line is not None or at is not None) and context.get("log") is not None:
            context.update(target_context(path, selected, context["log"], line=line, at=at))
    return context


def _placeholder_context(path: TaskPath) -> dict[str, Any]:
    urls = task_urls(path)
    latest = with_query(urls["page_url"], attempt=triage.LATEST)
    return {
        "triage_inline": False,
        "triage_urls": urls,
        "attempts_inline_href": latest + "#attempts",
        "log_inline_href": latest + "#log-panel",
    }


# --- Views -------------------------------------------------------------------------------------


@require_safe
def task_attempts(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str
) -> HttpResponse:
    """The attempts section, for htmx: the whole section on the first load (no ``v``: it
    replaces the page's placeholder), then 204 while unchanged; the task page without htmx."""
    path = TaskPath(farm_id, queue_id, job_id, step_id, task_id)
    if not request.htmx:
        response = to_task_page(path, request, anchor="#attempts")
    else:
        held = request.GET.get("v")  # None: the first load
        attempts: TaskAttempts | None = None
        error: DeadlineError | None = None
        try:
            attempts = triage.list_task_attempts(**path.as_kwargs())
        except DeadlineError as exc:
            error = exc
        if error is not None and held is not None:
            logger.info("attempts poll failed: %s", error.message)
            response = unchanged()  # keep what the page shows; the next poll retries
        else:
            context = _attempts_context(path, attempts, error)
            if attempts is not None and held == context["attempts_version"]:
                response = unchanged()
            else:
                context.update(path=path, now=resources.now(), fragment=True)
                response = render(request, "tasks_app/_attempts.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_safe
def task_log(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str
) -> HttpResponse:
    """The log of one attempt, for htmx: the whole panel (``?attempt=``, default the latest;
    also the first load that replaces the page's placeholder), earlier lines
    (``&before=<token>``) or new lines while following (``&after=<token>``, 204 if none)."""
    path = TaskPath(farm_id, queue_id, job_id, step_id, task_id)
    if not request.htmx:
        response = to_task_page(path, request)
    else:
        response = log_fragment(request, path)
    patch_vary_headers(response, ("HX-Request",))
    return response
