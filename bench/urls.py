"""The dashboard's URLs plus ``/_bench/constant/``: the cheapest answer Django can give."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET


@require_GET
def constant(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("_bench/constant/", constant, name="bench_constant"),
    path("", include("dashboard.urls")),
]
