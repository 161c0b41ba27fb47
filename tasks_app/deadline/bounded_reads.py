"""Every read that may answer less than everything there is, and what it does about it.

Never partial without saying so: a read capped by pages (``calls.list_all``), a single page of
a List* or Search* operation (Search* reach items 0..10,000 only), or a list cut with
``[:CONSTANT]`` is, here, one of

- **read to the end**: every page is followed, or every page of a paged view is reachable and
  its total exact (``calls.list_every``; the step table and the job list past the search window);
- **shown as cut**: the page (and its JSON, where it has one) says what was left out;
- **a sample**: a deliberate few, chosen to estimate or illustrate, never counted as the whole.

``tests/tasks_app/test_bounded_reads.py`` finds every such read in ``tasks_app`` (ast) and
fails on one that is not declared here, or on a declaration whose read is gone. Keys are
``module:function:what`` (``what``: ``list_all(ListTasks)``, ``search(SearchJobs)``,
``call(operation)`` for a helper reading on behalf of its callers, ``[:CONSTANT]``). Reads that
drive a write or a count use ``list_every`` and need no entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

READ_TO_THE_END: Final = "read to the end"
SHOWN_AS_CUT: Final = "shown as cut"
SAMPLE: Final = "sample"
KINDS: Final = (READ_TO_THE_END, SHOWN_AS_CUT, SAMPLE)


@dataclass(frozen=True)
class BoundedRead:
    kind: str  # one of KINDS
    why: str  # what is read, and where the cut is shown or why a sample serves


_END, _CUT, _SAMPLE = READ_TO_THE_END, SHOWN_AS_CUT, SAMPLE
_PROBE = "the Search name probe (manage.py probe_api): a few rows show whether a name is honoured"

BOUNDED_READS: Final[dict[str, BoundedRead]] = {
    # --- the call path ------------------------------------------------------------------------
    "tasks_app.deadline.calls:list_all:call(operation)": BoundedRead(
        _CUT, "answers complete=False when max_pages cut the list; each caller is declared here"
    ),
    "tasks_app.deadline.calls:list_every:call(operation)": BoundedRead(
        _END, "every page, however many (a repeated token ends it)"
    ),
    # --- browse: the step table and the job list ----------------------------------------------
    "tasks_app.selectors.task_table:_search:search(SearchTasks)": BoundedRead(
        _END,
        "one page of the step table; pages past the 10,000-item window come from the reverse "
        "order's search or the step's ListTasks listing, the total from the step's counts",
    ),
    "tasks_app.selectors.job_table:_search:search(SearchJobs)": BoundedRead(
        _END,
        "one page of the job list; a full window or a page past it is cut from every job of "
        "the queue (ListJobs, list_every), counted exactly",
    ),
    "tasks_app.selectors.job_table:_list_jobs:search(SearchJobs)": BoundedRead(
        _END,
        "a fallback listing with confirmed names up to the window; when the window cuts it, "
        "the page is cut from every job of the queue (ListJobs) instead",
    ),
    # --- find a job ---------------------------------------------------------------------------
    "tasks_app.selectors.find:visible_queues:[:MAX_QUEUES]": BoundedRead(
        _CUT, "queues past the cap are named as not searched ('N more queues')"
    ),
    "tasks_app.selectors.find:find_jobs_by_name:[:MAX_MATCHES]": BoundedRead(
        _CUT, "JobMatches.more: the page says 'the newest; type more of the name to narrow'"
    ),
    # --- attention ----------------------------------------------------------------------------
    "tasks_app.selectors.attention.reads:_search_pages:search(operation)": BoundedRead(
        _CUT,
        "pages up to a cap with complete=False past it: the attention page's notes (and its "
        "JSON's) say which queue's jobs, live tasks or busiest jobs were cut; the recent "
        "successes it also reads are a sample of durations (SAMPLE_PAGES)",
    ),
    "tasks_app.selectors.attention.reads:step_tasks.fetch:list_all(ListTasks)": BoundedRead(
        _SAMPLE,
        "a step's first CENSUS_PAGES pages: durations and completions to judge a slow task and "
        "estimate an ETA (the step's counts come from the step itself)",
    ),
    "tasks_app.selectors.attention.reads:worker_sessions:list_all(ListSessionsForWorker)": BoundedRead(  # noqa: E501
        _SAMPLE, "a dead worker's first SESSION_PAGES pages of sessions: the work it still holds"
    ),
    "tasks_app.selectors.attention.reads:job_sessions:list_all(ListSessions)": BoundedRead(
        _SAMPLE, "a job's first page of sessions: which worker ran the attempts judged"
    ),
    "tasks_app.selectors.attention.reads:job_outcomes:list_all(ListSessionActions)": BoundedRead(
        _SAMPLE, "HEALTH_PAGES pages of a job's attempts: evidence of a worker's health"
    ),
    "tasks_app.selectors.attention.waiting:waiting_jobs:[:MAX_JOBS_PER_QUEUE]": BoundedRead(
        _SAMPLE,
        "a queue's longest-waiting jobs are checked for blockers each refresh (a cost cap; "
        "its owner may want the page to say how many more wait)",
    ),
    "tasks_app.selectors.attention.state:busiest:[:CENSUS_JOBS]": BoundedRead(
        _SAMPLE, "the busiest jobs stand for a queue whose live tasks cannot be searched"
    ),
    "tasks_app.selectors.attention.state:most_failed:[:HEALTH_JOBS]": BoundedRead(
        _SAMPLE, "the jobs with the most failures: whose attempts judge worker health"
    ),
    # --- failures -----------------------------------------------------------------------------
    "tasks_app.selectors.failures.listing:search_page:search(SearchTasks)": BoundedRead(
        _CUT, "failed tasks past the listing cap are counted and shown as a 'not analysed' group"
    ),
    "tasks_app.selectors.failures.head:window_jobs:search(SearchJobs)": BoundedRead(
        _CUT,
        "the window's newest MAX_QUEUE_JOBS jobs; the page and the JSON (jobs_not_read) say how "
        "many more the window holds",
    ),
    "tasks_app.selectors.failures.head:window_jobs:[:MAX_QUEUE_JOBS]": BoundedRead(
        _CUT, "the window's newest jobs: jobs_not_read on the page and in the JSON"
    ),
    "tasks_app.services.failure_analysis.analysis:Analysis.run:[:FLAKY_SAMPLE]": BoundedRead(
        _SAMPLE, "tasks that succeeded after a retry: evidence that a cause is flaky"
    ),
    "tasks_app.selectors.failures.reads:retried_successes:search(SearchTasks)": (
        BoundedRead(_SAMPLE, "the most retried successes: evidence that a cause is flaky")
    ),
    "tasks_app.selectors.failures.reads:retried_successes:[:FLAKY_SAMPLE]": BoundedRead(
        _SAMPLE, "the most retried successes, at most FLAKY_SAMPLE of them"
    ),
    "tasks_app.selectors.failures.reads:failed_task_runs:call(ListSessionActions)": BoundedRead(
        _SAMPLE, "one page of a sampled flaky task's attempts: its failed ones"
    ),
    "tasks_app.selectors.failures.reads:session_counts:call(ListSessions)": BoundedRead(
        _SAMPLE, "a job's first pages of sessions: each worker's share, a cluster's baseline"
    ),
    "tasks_app.selectors.failures.reads:batch_get:call(batch_operation)": BoundedRead(
        _END, "every identifier asked, in batches of 100 (per-item errors logged)"
    ),
    "tasks_app.selectors.failures.reads:batch_get:call(single_operation)": BoundedRead(
        _END, "every identifier asked, one call each (when the batch operation is refused)"
    ),
    "tasks_app.selectors.failures.signatures:chunk_values:[:_MAX_CHUNK_VALUES]": BoundedRead(
        _SAMPLE, "the first frames of one chunk expression, to name a group's frames"
    ),
    "tasks_app.selectors.usage.durations:summarise:[:EXTREMES]": BoundedRead(
        _SAMPLE, "the fastest tasks, named as such: the histogram and percentiles count them all"
    ),
    # --- the farm side: fleets and workers -------------------------------------------------
    "tasks_app.selectors.farm.reads:search_workers_page.fetch:call(SearchWorkers)": BoundedRead(
        _END,
        "one page of a fleet's workers in the API's order; every page is reachable by its "
        "offset (past the 10,000-item window from the ListWorkers listing), the total exact",
    ),
    "tasks_app.selectors.farm.reads:every_worker:call(SearchWorkers)": BoundedRead(
        _END,
        "every page of a fleet's workers, by offset, checked against the total (past the "
        "10,000-item window, or when they do not add up, every ListWorkers page)",
    ),
    "tasks_app.selectors.farm.activity:_recent_jobs:[:JOBS_PER_QUEUE]": BoundedRead(
        _SAMPLE,
        "a fleet's recent record from each served queue's latest jobs; the page says how many",
    ),
    "tasks_app.selectors.farm.worker:_sessions:[:SESSIONS_SHOWN]": BoundedRead(
        _CUT, "a worker's newest sessions with their task runs: 'N newest of M sessions'"
    ),
    "tasks_app.selectors.blockers.limits:_holders:[:MAX_HOLDER_JOBS]": BoundedRead(
        _CUT,
        "holders are looked for among a queue's first active jobs; the limits page and its "
        "JSON (holders_not_read) say how many more were not read",
    ),
    "tasks_app.services.notifications.events:top_causes:[:TOP_CAUSES]": BoundedRead(
        _SAMPLE, "a message names a failing job's biggest causes; its link leads to them all"
    ),
    "tasks_app.selectors.usage.usage:farm_usage:[:TOP_JOBS]": BoundedRead(
        _SAMPLE, "the usage page's top jobs, named as the biggest; the totals count every job"
    ),
    "tasks_app.selectors.usage.job_overview:_read_runs.page:call(SearchTasks)": BoundedRead(
        _CUT,
        "a big job's timeline overview: every page to the 10,000-item window, by offset, at "
        "once; the page and its JSON (view.notes) say how many of the job's tasks were read",
    ),
    "tasks_app.selectors.usage.job_overview:_read_runs:[:BATCH]": BoundedRead(
        _END, "one BatchGetSession call's 100 sessions; the rest go in the next calls"
    ),
    "tasks_app.views.usage:_chart:[:CHART_SERIES]": BoundedRead(
        _CUT, "the chart's own colours for the top groups; the rest stack as 'Other'"
    ),
    # --- task page ----------------------------------------------------------------------------
    "tasks_app.selectors.triage:_list_task_run_actions:call(ListSessionActions)": BoundedRead(
        _END, "a task's attempts, every page"
    ),
    # --- views --------------------------------------------------------------------------------
    "tasks_app.views.attention:_context:[:PAGE_ROWS]": BoundedRead(
        _CUT, "the page says how many more rows '?all=1' shows; the JSON has every item"
    ),
    "tasks_app.views.failures:_groups:[:TASKS_SHOWN]": BoundedRead(
        _CUT, "'and N more (every task ID is in the JSON)'"
    ),
    "tasks_app.views.health:_check:call(ListFarms)": BoundedRead(
        _SAMPLE, "readiness: any answer of ListFarms (maxResults=1) shows the API answers"
    ),
    "tasks_app.views.job_verdict:verdict_context:[:TOP_CAUSES]": BoundedRead(
        _CUT, "the job page's top causes; it says how many more and links the failures page"
    ),
    "tasks_app.selectors.job_attention:open_jobs.fetch:search(SearchJobs)": BoundedRead(
        _CUT,
        "open jobs up to the search window: complete=False, and the queue page then pages "
        "through the whole job listing instead",
    ),
    "tasks_app.selectors.job_attention:_settled_page.fetch:search(SearchJobs)": BoundedRead(
        _CUT, "one page of the queue's job table; its pagination reaches the rest"
    ),
    "tasks_app.selectors.status_board:status_board:[:TOP_ITEMS]": BoundedRead(
        _CUT, "home's top attention items, beside 'All N' linking the attention page"
    ),
    "tasks_app.selectors.status_board:_finished:[:RECENT_JOBS]": BoundedRead(
        _SAMPLE, "home's most recently finished jobs, headed 'Finished lately'"
    ),
    # --- the Search name probe ----------------------------------------------------------------
    "tasks_app.deadline.probe_targets:first_farm:list_all(ListFarms)": BoundedRead(_SAMPLE, _PROBE),
    "tasks_app.deadline.probe_targets:_newest_jobs:call(SearchJobs)": BoundedRead(_SAMPLE, _PROBE),
    "tasks_app.deadline.probe_targets:queue_with_jobs:list_all(ListQueues)": BoundedRead(
        _SAMPLE, _PROBE
    ),
    "tasks_app.deadline.probe_targets:job_with_steps:list_all(ListSteps)": BoundedRead(
        _SAMPLE, _PROBE
    ),
    "tasks_app.deadline.probe:_try:call(operation)": BoundedRead(_SAMPLE, _PROBE),
    "tasks_app.deadline.probe:_probe_tasks:call(SearchTasks)": BoundedRead(_SAMPLE, _PROBE),
    "tasks_app.deadline.probe:_probe_tasks:call(ListTasks)": BoundedRead(_SAMPLE, _PROBE),
}
