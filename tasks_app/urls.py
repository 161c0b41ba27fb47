"""URLs of the dashboard; the task URL mirrors the API path and validates every ID."""

from __future__ import annotations

from django.urls import path

from . import (
    ids,  # noqa: F401 - registers the ID path converters
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "farms/<farm_id:farm_id>/queues/<queue_id:queue_id>/jobs/<job_id:job_id>"
        "/steps/<step_id:step_id>/tasks/<task_id:task_id>/",
        views.task_detail,
        name="task_detail",
    ),
]
