"""The project's URLs plus one view that raises: a 500 the way a bug would cause one."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from dashboard.urls import handler500
from dashboard.urls import urlpatterns as project_urlpatterns

CRASH_MESSAGE = "a bug the tests put here on purpose"


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(CRASH_MESSAGE)


urlpatterns = [path("crash/", crash, name="crash"), *project_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
