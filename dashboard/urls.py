"""Root URL configuration: everything lives in tasks_app."""

from django.urls import include, path

urlpatterns = [
    path("", include("tasks_app.urls")),
]
