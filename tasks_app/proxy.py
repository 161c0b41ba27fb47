"""What the dashboard believes of the proxies in front of it.

- **Identity** (``remote-user`` mode): the user and groups headers are believed only from the
  SSO proxy. With ``DASHBOARD_PROXY_SECRET`` the proxy proves itself on every request with
  ``X-Dashboard-Proxy-Secret`` (compared in constant time; without it, 403). A request naming
  its user or groups twice is refused: gunicorn joins repeated headers with a comma, so a
  client's copy beside the proxy's would read as one user ``mallory,olga`` or the union of two
  group lists. ``dashboard/gunicorn_hooks.py`` sees the repeats before the join and marks the
  request with ``X-Dashboard-Repeated-Header``; the marker is refused here.
- **Client address** (the sign-in lockout): ``DASHBOARD_TRUSTED_PROXIES`` says how many proxies
  (make serve's nginx included) append to ``X-Forwarded-For``, or which addresses they connect
  from; the address the outermost trusted proxy saw is the client's. Without it, the address is
  the connecting peer's: behind a proxy every client shares it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .views import health

logger = logging.getLogger(__name__)

#: The header the SSO proxy sends DASHBOARD_PROXY_SECRET in.
PROXY_SECRET_HEADER = "X-Dashboard-Proxy-Secret"  # noqa: S105 - a header name
#: Set only by dashboard/gunicorn_hooks.py (which drops any client copy): the identity headers
#: a request carried more than once.
REPEATED_HEADER = "X-Dashboard-Repeated-Header"

_MAX_FORWARDED = 4096  # longer than any chain of proxies writes; a longer one is not believed


def meta_key(header: str) -> str:
    """``X-Forwarded-User`` -> ``HTTP_X_FORWARDED_USER`` (the WSGI environ key)."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def identity_headers() -> tuple[str, ...]:
    """The headers whose every copy must come from the proxy (gunicorn's hook guards these)."""
    return (
        settings.DASHBOARD_REMOTE_USER_HEADER,
        settings.DASHBOARD_REMOTE_GROUPS_HEADER,
        PROXY_SECRET_HEADER,
    )


def _proxy_secret_matches(request: HttpRequest) -> bool:
    expected = str(settings.DASHBOARD_PROXY_SECRET)
    # Removed once read: no error report, debug page or log of this request can show it.
    sent = str(request.META.pop(meta_key(PROXY_SECRET_HEADER), ""))
    request.__dict__.pop("headers", None)  # request.headers, if already read, is a copy
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected.encode())


def identity_refusal(request: HttpRequest) -> HttpResponse | None:
    """In remote-user mode, the answer to a request whose identity cannot be believed, if any.

    403 without the proxy's secret (when one is configured; health checks need none), 400 when
    the user or groups header came more than once.
    """
    if settings.DASHBOARD_PROXY_SECRET and not _proxy_secret_matches(request):
        if request.path.rstrip("/") in health.PUBLIC_PATHS:
            # Answered, but as nobody: an identity without the secret signs no one in.
            for header in identity_headers():
                request.META.pop(meta_key(header), None)
            request.__dict__.pop("headers", None)
            return None
        logger.warning(
            "refused a request from %s without the proxy's secret (%s): it did not come "
            "through the SSO proxy",
            client_address(request) or "an unknown address",
            PROXY_SECRET_HEADER,
        )
        return render(request, "registration/no_remote_user.html", status=403)
    repeated = request.META.get(meta_key(REPEATED_HEADER))
    if repeated:
        logger.warning(
            "refused a request from %s carrying %s more than once",
            client_address(request) or "an unknown address",
            repeated,
        )
        return HttpResponse(
            "This request names its user or groups more than once; the dashboard refuses it. "
            "The proxy in front must replace these headers, not add to a client's copy.\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    return None


# --- The client's address -------------------------------------------------------------------------


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _hops(request: HttpRequest) -> list[str]:
    """Every address the request came through, the client's first and the peer's last."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if len(forwarded) > _MAX_FORWARDED:
        forwarded = ""
    return [hop.strip() for hop in forwarded.split(",") if hop.strip()] + [peer]


def _trusted(address: str, networks: list[str]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(
        ipaddress.ip_address(parsed) in ipaddress.ip_network(network, strict=False)
        for network in networks
    )


def client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address the outermost trusted proxy saw the client at.

    With a count N of trusted proxies, the hop N places before the peer (or the first hop, if
    the chain is shorter: a request that skipped a proxy); with their addresses, the last hop
    that is not one of them. A hop that is not an address falls back to the peer's address;
    None when no address is known at all (a test client's request, a sign-in made in code):
    django-axes stores it in an address column, which PostgreSQL checks.
    """
    hops = _hops(request)
    peer = _address(hops[-1])
    networks = list(settings.DASHBOARD_TRUSTED_PROXY_NETWORKS)
    if networks:
        chosen = next((hop for hop in reversed(hops) if not _trusted(hop, networks)), hops[0])
    else:
        count = int(settings.DASHBOARD_TRUSTED_PROXY_COUNT)
        chosen = hops[max(0, len(hops) - 1 - count)]
    return _address(chosen) or peer
