"""Middleware of the dashboard's own: the farm allow-list's 404, the stale-data banner, the
dashboard's 404 page in place of Django's technical one, and JSON errors for scripts."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.cache import patch_vary_headers

from ..deadline import allow_list
from ..deadline.errors import NotFound
from ..deadline.resilience import StaleReport, request_scope
from .errors import error_response, is_dashboard_page, json_error, page_not_found, wants_json

#: Request header set by stale.js while the page shows the stale banner, so a fresh answer
#: (even an unchanged 204 poll) can clear it.
BANNER_SHOWN_HEADER = "X-Dashboard-Stale-Shown"
#: Response header on fragments served from stale data (stale.js notes which poll it was).
STALE_HEADER = "X-Dashboard-Stale"


#: Headers an error answer keeps when it is turned into JSON.
_KEPT_HEADERS = ("Retry-After", "Allow", "WWW-Authenticate", "Vary")


class JsonErrorMiddleware:
    """A script's request (see ``errors.wants_json``) never gets an HTML error page: any 4xx
    or 5xx answer that is not JSON already (a CSRF refusal, a 405, a sign-in refusal, a
    view's own 403) becomes ``{"error": ..., "status": ...}``, and a redirect to the sign-in
    form a 401 naming it. The dashboard's own error answers are JSON from the start, with
    their specific message; this is the net under them.
    Sits just inside RequestIDMiddleware, so it sees the answers of every other middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code in (302, 303) and _is_sign_in_redirect(response):
            if wants_json(request):
                # A script cannot follow a redirect to a sign-in form: tell it to sign in.
                return json_error(401, "Sign in first.", login_url=response["Location"])
            return response
        if (
            response.status_code < 400
            or response.streaming
            or response.get("Content-Type", "").startswith("application/json")
            or not wants_json(request)
        ):
            return response
        try:
            phrase = HTTPStatus(response.status_code).phrase
        except ValueError:
            phrase = "Error"
        converted = json_error(response.status_code, f"{phrase}.")
        for header in _KEPT_HEADERS:
            if header in response:
                converted[header] = response[header]
        patch_vary_headers(converted, ("Accept",))
        return converted


def _is_sign_in_redirect(response: HttpResponseBase) -> bool:
    location = response.get("Location", "")
    if not location:
        return False
    try:
        return urlsplit(location).path == resolve_url(settings.LOGIN_URL)
    except NoReverseMatch:  # no sign-in page in this mode
        return False


class FarmAllowListMiddleware:
    """404 for any URL whose ``farm_id`` is not on the allow-list, before the view runs (as
    JSON for a script's request, exactly as for a farm that does not exist)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        farm_id = view_kwargs.get("farm_id")
        if isinstance(farm_id, str) and not allow_list.is_farm_allowed(farm_id):
            return error_response(request, NotFound("farm", farm_id))
        return None


class DebugNotFoundMiddleware:
    """With DEBUG on (``make run``), Django answers a URL no pattern accepts (a mistyped or
    malformed ID) with its technical 404 page, which lists every URL pattern. Operators get
    the dashboard's own 404 page instead, exactly as in production."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and not is_dashboard_page(response):
            return page_not_found(request)
        return response


class StaleDataMiddleware:
    """Scopes a StaleReport to each request; htmx fragments get the stale banner out of band.

    A fragment (or an unchanged 204 poll, turned into a 200 that swaps nothing else) served
    from stale data carries the banner; a fresh fragment clears a banner the browser says it
    shows, and a fresh 204 lets stale.js clear it. Full pages render it from base.html.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope() as report:
            response = self.get_response(request)
            return self._with_banner(request, response, report)

    def _with_banner(
        self, request: HttpRequest, response: HttpResponse, report: StaleReport
    ) -> HttpResponse:
        htmx = getattr(request, "htmx", None)
        if not htmx or htmx.boosted or htmx.history_restore_request:
            return response  # full pages render the banner in base.html
        shown = request.headers.get(BANNER_SHOWN_HEADER) == "1"
        if not report.stale and (not shown or response.status_code == 204):
            # A 204 means "unchanged and fresh" (stale ones are turned into 200 below), and
            # stale.js clears the banner on it, so the poll stays a few hundred bytes.
            return response
        html = render_to_string(
            "tasks_app/_stale_banner.html", {"stale": report, "oob": True}, request
        )
        if response.status_code == 204:
            # Nothing changed, but the banner must appear: swap only the banner.
            banner = HttpResponse(html)
            banner["HX-Reswap"] = "none"
            banner["Cache-Control"] = "no-store"
            banner[STALE_HEADER] = "1"
            patch_vary_headers(banner, ("HX-Request", BANNER_SHOWN_HEADER))
            return banner
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and content_type.startswith("text/html"):
            if not response.streaming:
                response.content = response.content + html.encode()
                patch_vary_headers(response, (BANNER_SHOWN_HEADER,))
                if report.stale:
                    response[STALE_HEADER] = "1"
        return response
