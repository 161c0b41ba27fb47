"""The dashboard's URLs plus ``/_bench/constant/``: the cheapest answer Django can give.

The dashboard's patterns are spliced in, not included, so every page resolves as it does
under ``dashboard.urls`` (no resolver level of the bench's own), with the same error pages.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from dashboard import urls as dashboard_urls


@require_GET
def constant(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("_bench/constant/", constant, name="bench_constant"),
    *dashboard_urls.urlpatterns,
]

handler400 = dashboard_urls.handler400
handler403 = dashboard_urls.handler403
handler404 = dashboard_urls.handler404
handler500 = dashboard_urls.handler500
