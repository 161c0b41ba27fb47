"""URLs of the dashboard; the task URL mirrors the API path and validates every ID."""

from __future__ import annotations

from django.urls import path, re_path

from . import converters  # noqa: F401 - registers the ID path converters
from .views import (
    actions,
    attention,
    audit,
    blockers,
    browse,
    failures,
    farm,
    farm_actions,
    health,
    home,
    limits,
    navigate,
    queue_settings,
    render_times,
    task,
    timeline,
    triage,
    usage,
)
from .views import notifications as notification_views

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
    path("browse/", navigate.browse_page, name="browse"),
    path("farms/", browse.farm_list, name="farm_list"),
    # --- What needs attention ---
    path("attention/", attention.attention_list, name="attention"),
    path("attention/count/", attention.attention_count, name="attention_count"),
    path("farms/<farm_id:farm_id>/", browse.farm_detail, name="farm_detail"),
    # --- The farm side: fleets, workers and their logs ---
    path("farms/<farm_id:farm_id>/fleets/", farm.fleet_list, name="fleet_list"),
    path(
        "farms/<farm_id:farm_id>/fleets/<fleet_id:fleet_id>/",
        farm.fleet_detail,
        name="fleet_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/fleets/<fleet_id:fleet_id>/workers/<worker_id:worker_id>/",
        farm.worker_detail,
        name="worker_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/workers/",
        farm.job_workers,
        name="job_workers",
    ),
    # Acting on machines: remove a stopped worker, size a fleet (preview, confirm, audit).
    path(
        "farms/<farm_id:farm_id>/fleets/<fleet_id:fleet_id>/actions/",
        farm_actions.fleet_actions,
        name="fleet_actions",
    ),
    path(
        "farms/<farm_id:farm_id>/fleets/<fleet_id:fleet_id>/workers/<worker_id:worker_id>/actions/",
        farm_actions.worker_actions,
        name="worker_actions",
    ),
    path(
        "audit/machines/<int:action_id>/",
        farm_actions.machine_action_result,
        name="machine_action_result",
    ),
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
    # --- Why isn't it running? (blockers, limits) ---
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/blockers/",
        blockers.job_blockers,
        name="job_blockers",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/blockers/",
        blockers.step_blockers,
        name="step_blockers",
    ),
    path("farms/<farm_id:farm_id>/limits/", limits.farm_limits, name="farm_limits"),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/settings/",
        queue_settings.queue_settings,
        name="queue_settings",
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
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/timeline/",
        timeline.job_timeline,
        name="job_timeline",
    ),
    path("farms/<farm_id:farm_id>/usage/", usage.farm_usage, name="farm_usage"),
    path("farms/<farm_id:farm_id>/budgets/", usage.farm_budgets, name="farm_budgets"),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/usage/",
        usage.job_usage,
        name="job_usage",
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
    # --- Acting on work: preview, confirm, result, audit ---
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
    # --- Notifications: rules, the delivery log, following, the bell ---
    path("notifications/", notification_views.notification_list, name="notifications"),
    path(
        "notifications/deliveries/",
        notification_views.delivery_list,
        name="notification_deliveries",
    ),
    path("notifications/rules/", notification_views.rule_create, name="notification_rule_create"),
    path(
        "notifications/rules/<int:rule_id>/remove/",
        notification_views.rule_remove,
        name="notification_rule_remove",
    ),
    path(
        "notifications/rules/<int:rule_id>/test/",
        notification_views.rule_test,
        name="notification_rule_test",
    ),
    path(
        "notifications/rules/<int:rule_id>/snooze/",
        notification_views.rule_snooze,
        name="notification_rule_snooze",
    ),
    path("notifications/follow/", notification_views.follow, name="notification_follow"),
    path("notifications/read/", notification_views.mark_read, name="notification_read"),
    path(
        "notifications/snooze-job/", notification_views.job_snooze, name="notification_job_snooze"
    ),
]
