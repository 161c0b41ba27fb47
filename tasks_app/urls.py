"""URLs of the dashboard; the task URL mirrors the API path and validates every ID."""

from __future__ import annotations

from django.urls import path, re_path

from . import converters  # noqa: F401 - registers the ID path converters
from .views import (
    actions,
    attention,
    audit,
    browse,
    failures,
    health,
    home,
    render_times,
    task,
    triage,
)

urlpatterns = [
    # The task page comes first: its poll is the most frequent request of all (every open
    # task page, every few seconds), and Django tries the patterns in order.
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/tasks/<task_id:task_id>/",
        task.task_detail,
        name="task_detail",
    ),
    path("", home.home, name="home"),
    # Load balancer probes (public: see health.PUBLIC_PATHS).
    re_path(r"^healthz/?$", health.healthz, name="healthz"),
    re_path(r"^readyz/?$", health.readyz, name="readyz"),
    # --- Browse (navigation issue) ---
    path("go/", home.go_to, name="go"),
    path("farms/", browse.farm_list, name="farm_list"),
    # --- What needs attention (issue 12) ---
    path("attention/", attention.attention_list, name="attention"),
    path("attention/count/", attention.attention_count, name="attention_count"),
    path("farms/<farm_id:farm_id>/", browse.farm_detail, name="farm_detail"),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/",
        browse.queue_detail,
        name="queue_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/failures/",
        failures.queue_failures,
        name="queue_failures",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/",
        browse.job_detail,
        name="job_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/failures/",
        failures.job_failures,
        name="job_failures",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/",
        browse.step_detail,
        name="step_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/details/",
        browse.step_task_details,
        name="step_task_details",
    ),
    # --- Usage, budgets, render times and a job's timeline ---
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/durations/",
        render_times.step_durations,
        name="step_durations",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/failures/",
        failures.step_failures,
        name="step_failures",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/tasks/<task_id:task_id>/attempts/",
        triage.task_attempts,
        name="task_attempts",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/tasks/<task_id:task_id>/log/",
        triage.task_log,
        name="task_log",
    ),
    # --- Acting on work (issue 13): preview, confirm, result, audit ---
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/actions/",
        actions.job_actions,
        name="job_actions",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/actions/",
        actions.step_actions,
        name="step_actions",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/tasks/<task_id:task_id>/actions/",
        actions.task_actions,
        name="task_actions",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/failures/actions/",
        actions.job_failure_actions,
        name="job_failure_actions",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/failures/actions/",
        actions.step_failure_actions,
        name="step_failure_actions",
    ),
    path("audit/", audit.audit_list, name="audit"),
    path("audit/<int:run_id>/", audit.action_result, name="action_result"),
]
