"""The reads an analysis makes per failing attempt, and the samples it compares with: session
actions and sessions in batches of 100 (one call per item where the batch operation is not
available), the setup action a never-attempted run stopped on, tasks that succeeded after a
retry and their failed attempts, and a job's sessions per worker."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ...deadline import client as deadline_client
from ...deadline import search
from ...deadline.calls import call, list_every
from ...deadline.errors import AccessDenied, DeadlineError, InvalidRequest, NotFound
from ...deadline.session_types import (
    SETUP_ACTIONS,
    ActionStatus,
    Session,
    SessionAction,
    session_id_of,
)
from .head import Head
from .listing import PAGE_SIZE, FilterNotHonoured, failed_rows
from .records import FailedTask, FailureScope

logger = logging.getLogger(__name__)

#: BatchGet* take at most 100 identifiers.
BATCH_SIZE = 100
#: Tasks that succeeded after a retry, read to tell flaky causes from deterministic ones.
FLAKY_SAMPLE = 50


def read_attempts(
    scope: FailureScope, rows: Sequence[FailedTask], *, sessions: bool = True
) -> tuple[dict[str, SessionAction], dict[str, Session]]:
    """The rows' latest session actions and (with ``sessions``) their sessions, by ID."""
    action_ids = {r.action_id: r.job_id for r in rows if r.action_id}
    session_ids = {session_id_of(a): job for a, job in action_ids.items()} if sessions else {}
    actions = batch_get(
        "BatchGetSessionAction",
        "GetSessionAction",
        "sessionActions",
        "sessionActionId",
        scope,
        action_ids,
        SessionAction,
    )
    found_sessions = batch_get(
        "BatchGetSession", "GetSession", "sessions", "sessionId", scope, session_ids, Session
    )
    return actions, found_sessions


def batch_get(
    batch_operation: str,
    single_operation: str,
    result_key: str,
    id_member: str,
    scope: FailureScope,
    wanted: Mapping[str, str],
    parse: Any,
) -> dict[str, Any]:
    """``wanted`` (ID -> job ID) read in batches; items the API could not read are left out."""
    found: dict[str, Any] = {}
    if not wanted:
        return found
    items = sorted(wanted.items())
    if deadline_client.supports(batch_operation):
        try:
            for start in range(0, len(items), BATCH_SIZE):
                chunk = items[start : start + BATCH_SIZE]
                answer = call(
                    batch_operation,
                    identifiers=[
                        {
                            "farmId": scope.farm_id,
                            "queueId": scope.queue_id,
                            "jobId": job,
                            id_member: i,
                        }
                        for i, job in chunk
                    ],
                )
                for item in answer.get(result_key) or ():
                    found[str(item[id_member])] = parse.from_api(item)
                for error in answer.get("errors") or ():
                    logger.info(
                        "%s: %s %s", batch_operation, error.get(id_member), error.get("code")
                    )
            return found
        except (AccessDenied, InvalidRequest) as exc:
            logger.info(
                "%s unavailable (%s): one %s per item",
                batch_operation,
                exc.message,
                single_operation,
            )
    for identifier, job in items:
        try:
            answer = call(
                single_operation,
                farmId=scope.farm_id,
                queueId=scope.queue_id,
                jobId=job,
                **{id_member: identifier},
            )
        except NotFound:
            continue
        found[identifier] = parse.from_api(answer)
    return found


def failed_setup(scope: FailureScope, job_id: str, action: SessionAction) -> SessionAction | None:
    """The input sync or environment enter that failed in the session of a task run that was
    never attempted (the worker agent's protocol: the runs after a failed setup action are
    NEVER_ATTEMPTED), read whole; None for any other task run."""
    if action.status is not ActionStatus.NEVER_ATTEMPTED:
        return None
    ids = {"farmId": scope.farm_id, "queueId": scope.queue_id, "jobId": job_id}
    try:
        listed = list_every(
            "ListSessionActions", "sessionActions", **ids, sessionId=action.session_id
        )
        failed = next(
            item
            for item in listed
            if item.get("status") == "FAILED"
            and set(item.get("definition") or {}) & set(SETUP_ACTIONS)
        )
        detail = call("GetSessionAction", **ids, sessionActionId=failed["sessionActionId"])
    except (DeadlineError, StopIteration):
        return None
    return SessionAction.from_api(detail)


def session_counts(scope: FailureScope, job_id: str, pages: int) -> dict[str, int]:
    """worker ID -> sessions, over the first ``pages`` pages of ListSessions of a job."""
    counts: dict[str, int] = {}
    token: str | None = None
    for _ in range(pages):
        answer = call(
            "ListSessions",
            farmId=scope.farm_id,
            queueId=scope.queue_id,
            jobId=job_id,
            maxResults=PAGE_SIZE,
            **({"nextToken": token} if token else {}),
        )
        for session in answer.get("sessions") or ():
            worker = str(session.get("workerId") or "")
            counts[worker] = counts.get(worker, 0) + 1
        token = answer.get("nextToken")
        if not token:
            break
    return counts


def failed_task_runs(scope: FailureScope, task: FailedTask) -> list[str]:
    """The failed task-run actions of a task (one ListSessionActions page)."""
    answer = call(
        "ListSessionActions",
        farmId=scope.farm_id,
        queueId=scope.queue_id,
        jobId=task.job_id,
        taskId=task.task_id,
        maxResults=PAGE_SIZE,
    )
    return [
        str(item["sessionActionId"])
        for item in answer.get("sessionActions") or ()
        if (item.get("definition") or {}).get("taskRun") is not None
        and item.get("status") == "FAILED"
    ]


def retried_successes(scope: FailureScope, head: Head) -> list[FailedTask]:
    """SUCCEEDED tasks of the scope with the most retries first (one search page per job).
    Sorting by FAILURE_RETRY_COUNT is assumed: an ignored sort still gives a sample."""
    jobs = (
        [j.job_id for j in head.jobs if j.failed][:5] if scope.kind == "queue" else [scope.job_id]
    )
    found: list[FailedTask] = []
    for job_id in jobs:
        filters = [search.string_filter("RUN_STATUS", "SUCCEEDED")]
        if scope.step_id:
            filters.append(search.string_filter("STEP_ID", scope.step_id))
        params = {
            "farmId": scope.farm_id,
            "queueIds": [scope.queue_id],
            "jobId": job_id,
            "itemOffset": 0,
            "pageSize": PAGE_SIZE,
            "filterExpressions": {"operator": "AND", "filters": filters},
            "sortExpressions": [
                {"fieldSort": {"name": "FAILURE_RETRY_COUNT", "sortOrder": "DESCENDING"}}
            ],
        }
        try:
            answer = search.search("SearchTasks", params)
            rows = failed_rows(
                answer,
                status="SUCCEEDED",
                job_id=job_id,
                step_id=scope.step_id,
                filters=filters,
            )
        except (FilterNotHonoured, InvalidRequest):
            return found  # flakiness stays unknown rather than listing every task
        found += [r for r in rows if r.summary.retries]
    return found[:FLAKY_SAMPLE]
