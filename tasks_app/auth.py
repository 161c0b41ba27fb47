"""Who gets in: ``DASHBOARD_AUTH=none | login | remote-user``.

- ``login``: Django's own accounts (``manage.py createsuperuser``), a sign-in page with failed
  attempts throttled per user name and client address by django-axes (counted in Redis or the
  database, so every process and host agrees), and sign-out by POST.
- ``remote-user``: an SSO proxy in front of the dashboard authenticates people and passes the
  user name in a header (``DASHBOARD_REMOTE_USER_HEADER``); the dashboard believes that header
  only as far as tasks_app/proxy.py does (the proxy's secret, no repeated headers).
- ``none``: everyone who can reach the dashboard is let in (the demo's default).

Every page and fragment requires a signed-in user except the public ones (sign-in, health
checks, static files). An htmx request without a session gets ``HX-Redirect`` so the whole
browser goes to the sign-in page, instead of a sign-in form swapped into a task panel.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from axes.handlers.cache import AxesCacheHandler
from axes.handlers.database import AxesDatabaseHandler
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.middleware import LoginRequiredMiddleware, RemoteUserMiddleware
from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from redis.exceptions import RedisError

from . import proxy
from .proxy import client_address
from .views import health

logger = logging.getLogger(__name__)

AUTH_MODES = ("none", "login", "remote-user")

#: URL names anyone may open. Views can also opt out with Django's ``@login_not_required``.
PUBLIC_URL_NAMES = frozenset({"login", "logout", "healthz", "readyz"})

_USERNAME_MAX = 150  # django.contrib.auth's User.username
_NEXT_MAX = 2000  # longest page address carried through sign-in in ?next=


def auth_mode() -> str:
    """The configured mode, read when called (tests switch it per test)."""
    return str(settings.DASHBOARD_AUTH)


def remote_user_meta_key(header: str) -> str:
    """``X-Forwarded-User`` -> ``HTTP_X_FORWARDED_USER`` (the WSGI environ key)."""
    return proxy.meta_key(header)


# --- Enforcement --------------------------------------------------------------------------------


def _is_public(request: HttpRequest, view_func: Callable[..., Any]) -> bool:
    if not getattr(view_func, "login_required", True):
        return True
    match = request.resolver_match
    if match is not None and match.url_name in PUBLIC_URL_NAMES:
        return True
    # Static files need no rule: WhiteNoise answers them before any view runs.
    return request.path.rstrip("/") in health.PUBLIC_PATHS


def _page_path(request: HttpRequest) -> str:
    """The page the person was on: for htmx, the page holding the fragment, not its URL."""
    page = request.get_full_path()
    if request.htmx:
        current = request.htmx.current_url_abs_path
        safe = current and url_has_allowed_host_and_scheme(
            current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        page = current if safe and current else resolve_url("home")
    if len(page) > _NEXT_MAX:  # Django refuses to redirect to a 16 KiB Location
        page = request.path if len(request.path) <= _NEXT_MAX else resolve_url("home")
    return page


class DashboardLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, switched by ``DASHBOARD_AUTH`` and htmx-aware."""

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if auth_mode() == "none" or _is_public(request, view_func):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(
        self, request: HttpRequest, view_func: Callable[..., Any]
    ) -> HttpResponseBase:
        page = _page_path(request)
        if auth_mode() == "remote-user":
            # The proxy did not vouch for anyone: a misconfigured proxy, or a request that
            # bypassed it. A full navigation lets a working proxy start its own sign-in.
            if request.htmx:
                return HttpResponseClientRedirect(page)
            return render(request, "registration/no_remote_user.html", status=403)
        login_url = resolve_url(self.get_login_url(view_func))
        if urlsplit(page).path in {resolve_url("logout"), login_url}:
            # A request of the sign-out (or sign-in) page itself, such as the header's count
            # still on its way as the person signs out: back to the sign-in page as it is,
            # never with "next" pointing at sign-out.
            login: HttpResponseBase = HttpResponseRedirect(login_url)
        else:
            login = redirect_to_login(page, login_url, self.get_redirect_field_name(view_func))
        if request.htmx:
            # The same Location as HX-Redirect: htmx navigates the whole browser there rather
            # than swapping a sign-in form into a panel.
            return HttpResponseClientRedirect(login["Location"])
        return login


class DashboardRemoteUserMiddleware(RemoteUserMiddleware):
    """Signs in the user named by the SSO proxy's header, in ``remote-user`` mode only.

    Based on RemoteUserMiddleware (not the Persistent variant): when the proxy stops sending
    the header, the session ends with it.
    """

    async_capable = False  # the dashboard is served by WSGI

    @property
    def header(self) -> str:  # type: ignore[override]
        return remote_user_meta_key(settings.DASHBOARD_REMOTE_USER_HEADER)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # RemoteUserMiddleware ignores what process_request returns: refuse here.
        if auth_mode() == "remote-user":
            refusal = proxy.identity_refusal(request)
            if refusal is not None:
                return refusal
        return super().__call__(request)  # type: ignore[no-any-return]

    def process_request(self, request: HttpRequest) -> None:
        if auth_mode() == "remote-user":
            super().process_request(request)


class DashboardRemoteUserBackend(RemoteUserBackend):
    """RemoteUserBackend that refuses names no SSO proxy would send (empty, control
    characters, longer than a user name can be, a comma: what gunicorn makes of two copies of
    the header); first-time users are created."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, remote_user: str | None
    ) -> Any:
        name = (remote_user or "").strip()
        if not name or len(name) > _USERNAME_MAX or "," in name:
            return None
        if any(unicodedata.category(char).startswith("C") for char in name):
            return None
        return super().authenticate(request, name)


# --- Throttled sign-in (django-axes) --------------------------------------------------------------


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: "ADA" and "ada" are one name for counting failures."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    if not raw:
        return None
    return unicodedata.normalize("NFKC", str(raw)).casefold()[:_USERNAME_MAX]


def _shared_cache() -> bool:
    """Whether the cache is one every process sees (Redis), not this process's memory."""
    return isinstance(caches[getattr(settings, "AXES_CACHE", "default")], RedisCache)


class SharedLockoutHandler(AxesDatabaseHandler):
    """AXES_HANDLER: failed sign-ins counted where every process and host sees them.

    In the shared cache (Redis) when DASHBOARD_CACHE_URL is set, in the database otherwise
    (shared by every host when DATABASE_URL names PostgreSQL). If the cache does not answer,
    sign-in goes on unthrottled rather than failing, and each such sign-in is logged.
    """

    def _in_cache(self, request: HttpRequest | None, method: str, default: Any, *args: Any) -> Any:
        try:
            return getattr(AxesCacheHandler(), method)(*args)
        except (RedisError, OSError) as exc:
            logger.error(
                "sign-in throttling unavailable (%s from the shared cache): %s for user %r "
                "from %s goes on unthrottled",
                type(exc).__name__,
                method,
                lockout_username(request, None) if request is not None else None,
                (client_address(request) if request is not None else None) or "-",
            )
            return default

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        if _shared_cache():
            return int(self._in_cache(request, "get_failures", 0, request, credentials))
        return super().get_failures(request, credentials)

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kw: Any,
    ) -> None:
        if _shared_cache():
            self._in_cache(request, "user_login_failed", None, sender, credentials, request)
        else:
            super().user_login_failed(sender, credentials, request, **kw)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kw: Any) -> None:
        if _shared_cache():
            self._in_cache(request, "user_logged_in", None, sender, request, user)
        else:
            super().user_logged_in(sender, request, user, **kw)

    def user_logged_out(self, sender: Any, request: HttpRequest, user: Any, **kw: Any) -> None:
        if _shared_cache():
            self._in_cache(request, "user_logged_out", None, sender, request, user)
        else:
            super().user_logged_out(sender, request, user, **kw)

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        """``manage.py axes_reset_username ada`` and friends: lift a lockout early."""
        kwargs = {"ip_address": ip_address, "username": username, "ip_or_username": ip_or_username}
        if _shared_cache():
            return int(AxesCacheHandler().reset_attempts(**kwargs))  # type: ignore[arg-type]
        return super().reset_attempts(**kwargs)  # type: ignore[arg-type]


def lockout_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return (
        "Too many failed sign-ins for this user name from your address. Sign-in is refused "
        f"for about {minutes} more minute{'s' if minutes != 1 else ''}; ask an administrator "
        "if you have forgotten the password."
    )


def lockout_seconds() -> int:
    """Every refused attempt restarts the cool-off (axes' default), so it is a full window."""
    return int(settings.DASHBOARD_LOGIN_LOCKOUT_SECONDS)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, saying so when django-axes refuses the name from this address."""

    throttled = False

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                self.throttled = True
                raise forms.ValidationError(
                    lockout_message(lockout_seconds()), code="throttled"
                ) from None
            raise


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponseBase | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponseBase:
    """AXES_LOCKOUT_CALLABLE: the sign-in page already says so (429); anything else, text."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    return HttpResponse(
        lockout_message(lockout_seconds()),
        status=429,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": str(lockout_seconds())},
    )


class DashboardLoginView(auth_views.LoginView):
    """The sign-in page (``login`` mode only): 429 with Retry-After while throttled."""

    authentication_form = ThrottledAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if auth_mode() != "login":
            raise Http404("Sign-in is not used in this authentication mode.")
        return super().dispatch(request, *args, **kwargs)

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        response = super().form_invalid(form)
        if getattr(form, "throttled", False):
            response.status_code = 429
            response["Retry-After"] = str(lockout_seconds())
        return response


@login_not_required
def logout_view(request: HttpRequest) -> HttpResponseBase:
    """GET asks for confirmation (a link must not sign anyone out); POST signs out."""
    if auth_mode() != "login":
        raise Http404("Sign-out is not used in this authentication mode.")
    if request.method == "POST":
        return auth_views.LogoutView.as_view()(request)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    if not request.user.is_authenticated:
        return redirect_to_login(resolve_url("home"))
    return render(request, "registration/logout.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the dashboard's own 403 page (Django's has inline style)."""
    return render(request, "registration/csrf_failure.html", status=403)


# --- Templates ---------------------------------------------------------------------------------


def account(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the signed-in user for the header (None when auth is off)."""
    mode = auth_mode()
    user = getattr(request, "user", None)
    signed_in = mode != "none" and user is not None and user.is_authenticated
    return {
        "auth_mode": mode,
        "signed_in_user": user if signed_in else None,
        "can_sign_out": signed_in and mode == "login",
    }
