"""The task page's log panel: the selected attempt's log tail, earlier pages, new lines while
following, and the line a failures view's example points at. ``views.triage`` serves it (the
``task_log`` URL) and puts it inline in the page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import reswap

from ..deadline.errors import DeadlineError
from ..deadline.logs import LogNotFound
from ..deadline.session_types import LogPage, Session
from ..deadline.types import TaskPath
from ..selectors import resources, triage
from ..selectors.triage import Attempt, TaskAttempts
from .common import unchanged

logger = logging.getLogger(__name__)


def task_urls(path: TaskPath) -> dict[str, str]:
    kwargs = path.as_kwargs()
    return {
        "page_url": reverse("task_detail", kwargs=kwargs),
        "attempts_url": reverse("task_attempts", kwargs=kwargs),
        "log_url": reverse("task_log", kwargs=kwargs),
    }


def with_query(url: str, **params: str) -> str:
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


def select_attempt(attempts: TaskAttempts | None, wanted: str) -> tuple[Attempt | None, str | None]:
    """The attempt ``?attempt=`` names (default, or ``latest``: the latest), and a note when it
    is unknown."""
    if attempts is None:
        return None, None
    selected, found = triage.choose_attempt(attempts.attempts, wanted)
    if found:
        return selected, None
    return selected, "That attempt is not one of this task's; showing the latest attempt instead."


def to_task_page(path: TaskPath, request: HttpRequest, anchor: str = "#log-panel") -> HttpResponse:
    """Without htmx a fragment URL is the task page with the triage inline (same attempt, same
    log page; the latest attempt when none is named)."""
    attempt = request.GET.get("attempt", "")
    params = {"attempt": attempt or triage.LATEST, "before": request.GET.get("before", "")}
    url = with_query(task_urls(path)["page_url"], **params)
    return HttpResponseRedirect(url + ("#log-panel" if attempt else anchor))


def log_context(
    path: TaskPath,
    attempt: Attempt,
    *,
    before: str = "",
    log: LogPage | None = None,
    error: DeadlineError | None = None,
) -> dict[str, Any]:
    """Everything the log panel shows for ``attempt`` (reads the tail unless given)."""
    now = resources.now()
    if log is None and error is None:
        group, stream = triage.log_location(
            farm_id=path.farm_id,
            queue_id=path.queue_id,
            session_id=attempt.session_id,
            session=attempt.session,
        )
        try:
            log = triage.get_log_tail(
                farm_id=path.farm_id,
                queue_id=path.queue_id,
                session_id=attempt.session_id,
                start=attempt.log_start,
                end=attempt.log_end,
                before_token=before or None,
                group=group,
                stream=stream,
            )
        except DeadlineError as exc:
            error = exc
    urls = task_urls(path)
    attempt_id = attempt.session_action_id
    following = attempt.is_following(now) and not before
    context: dict[str, Any] = {
        "log_attempt": attempt,
        "log": log,
        "log_error": error,
        "log_missing": isinstance(error, LogNotFound),
        "log_before": before,
        "log_following": following,
        "log_poll_ms": int(settings.DASHBOARD_POLL_SECONDS * 1000),
        "log_page_lines": triage.LOG_PAGE_LINES,
        "log_permalink": with_query(urls["page_url"], attempt=attempt_id) + "#log-panel",
        "log_latest_url": with_query(urls["page_url"], attempt=attempt_id) + "#log-panel",
        "log_panel_url": with_query(urls["log_url"], attempt=attempt_id),
        "deadline_logs_command": triage.deadline_logs_command(
            farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id, attempt=attempt
        ),
        "aws_logs_command": triage.aws_logs_command(
            farm_id=path.farm_id, queue_id=path.queue_id, attempt=attempt
        ),
        "now": now,
        "path": path,
    }
    if log is not None:
        context.update(paging_context(path, attempt, log, following=following))
    return context


def paging_context(
    path: TaskPath, attempt: Attempt, log: LogPage, *, following: bool
) -> dict[str, Any]:
    urls = task_urls(path)
    attempt_id = attempt.session_action_id
    context: dict[str, Any] = {"log": log, "log_following": following}
    if log.has_earlier and log.backward_token:
        before = log.backward_token
        context["log_earlier_href"] = (
            with_query(urls["page_url"], attempt=attempt_id, before=before) + "#log-panel"
        )
        context["log_earlier_url"] = with_query(urls["log_url"], attempt=attempt_id, before=before)
    if following and log.forward_token:
        context["log_follow_url"] = with_query(
            urls["log_url"], attempt=attempt_id, after=log.forward_token
        )
    return context


def wanted_line(request: HttpRequest) -> tuple[int | None, int | None]:
    """``?line=<n>`` (1-based, in the attempt's latest log page) and ``?at=<epoch ms>`` (an
    event's timestamp): where a failures view's example points. Nonsense is ignored."""

    def number(name: str, low: int, high: int) -> int | None:
        raw = request.GET.get(name, "")
        if not raw.isdigit() or len(raw) > 15:
            return None
        value = int(raw)
        return value if low <= value <= high else None

    return number("line", 1, triage.LOG_PAGE_LINES), number("at", 1, 10**14)


def _target_index(log: LogPage, *, line: int | None, at: int | None) -> int | None:
    """The 0-based position of the wanted line in ``log``: line ``n`` if its time agrees with
    ``at`` (or no time was given), else the first line stamped ``at``."""
    lines = log.lines
    if line is not None and line <= len(lines):
        if at is None or lines[line - 1].epoch_ms == at:
            return line - 1
    if at is not None:
        stamped = [i for i, entry in enumerate(lines) if entry.epoch_ms == at]
        if stamped:
            # Lines stamped alike (an error and its context): the one nearest ``line``.
            return min(stamped, key=lambda i: abs(i + 1 - (line or 0))) if line else stamped[0]
    return None


def target_context(
    path: TaskPath, attempt: Attempt, log: LogPage, *, line: int | None, at: int | None
) -> dict[str, Any]:
    """Highlight the wanted line: in the latest page, or (an ``at`` before it) in the page of
    lines that ends at that time."""
    index = _target_index(log, line=line, at=at)
    if index is not None:
        return {"log_target": index}
    if at is None or not log.lines or at >= log.lines[0].epoch_ms:
        return {"log_target_missing": True}
    end = datetime.fromtimestamp((at + 1) / 1000, tz=UTC)
    try:
        earlier = triage.get_log_tail(
            farm_id=path.farm_id,
            queue_id=path.queue_id,
            session_id=attempt.session_id,
            start=attempt.log_start,
            end=end,
        )
    except DeadlineError:
        return {"log_target_missing": True}
    index = _target_index(earlier, line=None, at=at)
    if index is None:
        return {"log_target_missing": True}
    # That page is earlier lines: no following, a way back to the latest ones.
    context = paging_context(path, attempt, earlier, following=False)
    context.update(log_target=index, log_before="at", log_following=False)
    return context


def log_read(reads: triage.AttemptReads, selected: Attempt) -> dict[str, Any]:
    """The log page (or error) ``reads`` fetched for ``selected``: {} to read it afresh."""
    read = reads.log_tail()
    if read is None or read[0].session_action_id != selected.session_action_id:
        return {}
    outcome = read[1]
    return {"error": outcome} if isinstance(outcome, DeadlineError) else {"log": outcome}


def log_fragment(request: HttpRequest, path: TaskPath) -> HttpResponse:
    before = request.GET.get("before", "")[:4096]
    after = request.GET.get("after", "")[:4096]
    wanted = request.GET.get("attempt", "")
    paging = bool(before or after)
    reads = triage.AttemptReads(
        farm_id=path.farm_id,
        queue_id=path.queue_id,
        job_id=path.job_id,
        task_id=path.task_id,
        log_of=None if paging else wanted,
    )
    if paging:
        # A page of lines needs only the attempt's window and liveness: the list tells both.
        return _log_lines(request, path, reads, wanted, before=before, after=after)
    try:
        attempts = reads.attempts(workers=False)
    except DeadlineError as exc:
        return render(
            request, "tasks_app/_log_panel.html", {"log_error": exc, "now": resources.now()}
        )
    attempt, note = select_attempt(attempts, wanted)
    if attempt is None:
        return render(request, "tasks_app/_log_panel.html", {"now": resources.now()})
    context = log_context(path, attempt, **log_read(reads, attempt))
    context["attempt_note"] = note
    return render(request, "tasks_app/_log_panel.html", context)


def _log_lines(
    request: HttpRequest,
    path: TaskPath,
    reads: triage.AttemptReads,
    wanted: str,
    *,
    before: str,
    after: str,
) -> HttpResponse:
    """Earlier lines (``before``) or new ones (``after``) of the attempt ``wanted`` names."""
    try:
        attempt, found = triage.choose_attempt(reads.summaries(), wanted)
    except DeadlineError as exc:
        if after:
            return unchanged()  # the follow poll retries
        return _earlier_error(request, path, exc)
    if attempt is None or not found:
        return reswap(HttpResponse(""), "none")
    read = {
        "farm_id": path.farm_id,
        "queue_id": path.queue_id,
        "session_id": attempt.session_id,
        "start": attempt.log_start,
        "end": attempt.log_end,
    }
    group, stream = triage.log_location(**_ids(read), session=_session(path, attempt))
    read.update(group=group, stream=stream)
    if after:
        return _follow(request, path, attempt, read, after)
    try:
        page = triage.get_log_tail(**read, before_token=before)
    except DeadlineError as exc:
        return _earlier_error(request, path, exc)
    context: dict[str, Any] = {"log_attempt": attempt}
    context.update(paging_context(path, attempt, page, following=False))
    context["lines"] = page.lines
    return render(request, "tasks_app/_log_earlier_chunk.html", context)


def _ids(read: dict[str, Any]) -> dict[str, str]:
    return {key: read[key] for key in ("farm_id", "queue_id", "session_id")}


def _session(path: TaskPath, attempt: Attempt) -> Session | None:
    """The attempt's session (cached like a name), for where its log is; None if unreadable:
    the convention stands in."""
    try:
        return triage.get_session(
            farm_id=path.farm_id,
            queue_id=path.queue_id,
            job_id=path.job_id,
            session_id=attempt.session_id,
        )
    except DeadlineError:
        return None


def _earlier_error(request: HttpRequest, path: TaskPath, error: DeadlineError) -> HttpResponse:
    context = {
        "log_earlier_error": error,
        "log_earlier_url": request.get_full_path(),
        "log_earlier_href": to_task_page(path, request)["Location"],
    }
    return render(request, "tasks_app/_log_earlier.html", context)


def _follow(
    request: HttpRequest, path: TaskPath, attempt: Attempt, read: dict[str, Any], after: str
) -> HttpResponse:
    following = attempt.is_following(resources.now())
    try:
        page = triage.get_log_since(**read, after_token=after)
    except DeadlineError as exc:
        context = {
            "log_following": True,
            "log_follow_url": request.get_full_path(),
            "log_poll_ms": int(settings.DASHBOARD_POLL_SECONDS * 1000),
            "log_follow_error": exc,
        }
        return render(request, "tasks_app/_log_follow.html", context)
    if following and not page.lines and page.forward_token in (None, after):
        return unchanged()
    context = paging_context(path, attempt, page, following=following)
    if following and not context.get("log_follow_url"):
        context["log_follow_url"] = request.get_full_path()
    context.update(lines=page.lines, log_poll_ms=int(settings.DASHBOARD_POLL_SECONDS * 1000))
    return render(request, "tasks_app/_log_follow_chunk.html", context)
