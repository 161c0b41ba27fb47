"""URLs of the dashboard; the task URL mirrors the API path and validates every ID."""

from __future__ import annotations

from django.urls import path, re_path

from . import (
    health,
    ids,  # noqa: F401 - registers the ID path converters
    triage_views,
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    # Load balancer probes (public: see health.PUBLIC_PATHS).
    re_path(r"^healthz/?$", health.healthz, name="healthz"),
    re_path(r"^readyz/?$", health.readyz, name="readyz"),
    # --- Browse (navigation issue) ---
    path("go/", views.go_to, name="go"),
    path("farms/", views.farm_list, name="farm_list"),
    path("farms/<farm_id:farm_id>/", views.farm_detail, name="farm_detail"),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/",
        views.queue_detail,
        name="queue_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>/",
        views.job_detail,
        name="job_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/",
        views.step_detail,
        name="step_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/tasks/<task_id:task_id>/",
        views.task_detail,
        name="task_detail",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/tasks/<task_id:task_id>/attempts/",
        triage_views.task_attempts,
        name="task_attempts",
    ),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/tasks/<task_id:task_id>/log/",
        triage_views.task_log,
        name="task_log",
    ),
]
