"""Project-wide response headers that Django's SecurityMiddleware does not set.

Bodyless answers (204, 304) are what every unchanged htmx poll gets, so they are kept to a
few hundred bytes: the headers that only govern a rendered document are left off them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# No inline script or style anywhere: htmx is configured (meta htmx-config) not to inject its
# indicator styles nor to eval, so 'self' is all any page needs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# No Content / Not Modified: nothing is rendered from these answers, so they carry a short
# deny-everything policy instead of the page policy (every unchanged poll is one of them).
# SecurityMiddleware and XFrameOptionsMiddleware still add their short headers.
BODYLESS_STATUSES = frozenset({204, 304})
BODYLESS_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy and Permissions-Policy to every answer; bodyless ones
    get a short deny-everything policy and lose a stray Content-Length.

    X-Content-Type-Options stays on every answer: 32 bytes, and audits expect it everywhere.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in BODYLESS_STATUSES:
            response.headers.setdefault("Content-Security-Policy", BODYLESS_CONTENT_SECURITY_POLICY)
            # CommonMiddleware adds "Content-Length: 0"; RFC 9110 forbids it on a 204 and on a
            # 304 it would misstate the stored representation's length.
            if response.headers.get("Content-Length") == "0":
                del response.headers["Content-Length"]
            return response
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
