"""One name per failure: the title the failures page gives a cause, for any page that shows a
failed attempt (the step table's last error, a task's attempts), from the cached analysis."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ...deadline.types import TaskRunStatus, TaskSummary
from . import signatures
from .grouping import cause_of, exit_to_log_signature, titles_of
from .records import FailedTask, FailureScope
from .store import load_attempts, load_listing


def cause_titles(
    scope: FailureScope,
    session_action_ids: Iterable[str],
    *,
    reported: Mapping[str, tuple[int | None, str | None]] | None = None,
) -> dict[str, str]:
    """session action ID -> the title of its cause as the failures view of ``scope`` names
    it. ``reported`` (ID -> exit code and progress message) names attempts the analysis did
    not read by the cause the logs of attempts with the same exit code and message showed,
    when that is clear. IDs it cannot name are left out. No API call."""
    wanted = [i for i in dict.fromkeys(session_action_ids) if i]
    listing = load_listing(scope)
    tasks = list(listing.tasks) if listing is not None else []
    listed = {t.action_id for t in tasks}
    tasks += [_stand_in(scope, i) for i in wanted if i not in listed]
    attempts = load_attempts(scope, tasks)
    inference = exit_to_log_signature(attempts.values())
    titles = titles_of(attempts.values())
    found: dict[str, str] = {}
    for action_id in wanted:
        entry = attempts.get(action_id)
        if entry is not None:
            signature, _ = cause_of(entry, inference)
            title = titles.get(signature, (signatures.readable(entry.title), ""))[0]
        elif reported and action_id in reported:
            exit_code, message = reported[action_id]
            signature = inference.get(signatures.exit_key(exit_code, message), "")
            title = titles.get(signature, ("", ""))[0]
        else:
            continue
        if title:
            found[action_id] = title
    return found


def _stand_in(scope: FailureScope, action_id: str) -> FailedTask:
    """A row naming an attempt of the scope's job, to look its record up by."""
    summary = TaskSummary(
        task_id="", run_status=TaskRunStatus.FAILED, latest_session_action_id=action_id
    )
    return FailedTask(job_id=scope.job_id, summary=summary)
