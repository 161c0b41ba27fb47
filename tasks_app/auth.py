"""Who gets in: ``DASHBOARD_AUTH=none | login | remote-user``.

- ``login``: Django's own accounts (``manage.py createsuperuser``), a sign-in page with failed
  attempts throttled per user name and client address, and sign-out by POST.
- ``remote-user``: an SSO proxy in front of the dashboard authenticates people and passes the
  user name in a header (``DASHBOARD_REMOTE_USER_HEADER``); the dashboard trusts that header.
- ``none``: everyone who can reach the dashboard is let in (the demo's default).

Every page and fragment requires a signed-in user except the public ones (sign-in, health
checks, static files). An htmx request without a session gets ``HX-Redirect`` so the whole
browser goes to the sign-in page, instead of a sign-in form swapped into a task panel.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.middleware import LoginRequiredMiddleware, RemoteUserMiddleware
from django.contrib.auth.views import redirect_to_login
from django.core import checks
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from . import health

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
    return "HTTP_" + header.strip().upper().replace("-", "_")


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
        login = redirect_to_login(
            page,
            resolve_url(self.get_login_url(view_func)),
            self.get_redirect_field_name(view_func),
        )
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

    def process_request(self, request: HttpRequest) -> None:
        if auth_mode() == "remote-user":
            super().process_request(request)


class DashboardRemoteUserBackend(RemoteUserBackend):
    """RemoteUserBackend that refuses names no SSO proxy would send (empty, control
    characters, longer than a user name can be); first-time users are created."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, remote_user: str | None
    ) -> Any:
        name = (remote_user or "").strip()
        if not name or len(name) > _USERNAME_MAX:
            return None
        if any(unicodedata.category(char).startswith("C") for char in name):
            return None
        return super().authenticate(request, name)


# --- Throttled sign-in -------------------------------------------------------------------------


class LoginThrottle:
    """Failed sign-ins per (user name, client address), counted in the cache.

    After ``DASHBOARD_LOGIN_MAX_FAILURES`` failures within ``DASHBOARD_LOGIN_LOCKOUT_SECONDS``
    of the first one, that name is refused from that address for the rest of the window
    (even with the right password). The cache is shared by every process when
    DASHBOARD_CACHE_URL points at Redis.
    """

    def __init__(self, username: str, address: str) -> None:
        name = unicodedata.normalize("NFKC", username).casefold()[:_USERNAME_MAX]
        digest = hashlib.blake2b(f"{name}\x1f{address}".encode(), digest_size=16).hexdigest()
        self._count_key = f"dtd:login-failures:{digest}"
        self._since_key = f"dtd:login-failures-since:{digest}"

    @property
    def window(self) -> int:
        return int(settings.DASHBOARD_LOGIN_LOCKOUT_SECONDS)

    def failures(self) -> int:
        return int(cache.get(self._count_key) or 0)

    def locked(self) -> bool:
        return self.failures() >= int(settings.DASHBOARD_LOGIN_MAX_FAILURES)

    def retry_after(self) -> int:
        """Seconds until the window of the first failure closes."""
        since = cache.get(self._since_key)
        if since is None:
            return self.window
        return max(1, int(float(since) + self.window - time.time()))

    def record_failure(self) -> None:
        # add() starts the window only if none is open; incr() is atomic in Redis and locmem.
        if cache.add(self._since_key, time.time(), self.window):
            cache.set(self._count_key, 0, self.window)
        try:
            cache.incr(self._count_key)
        except ValueError:  # the count expired between add() and incr()
            cache.set(self._count_key, 1, self.window)

    def reset(self) -> None:
        cache.delete_many([self._count_key, self._since_key])


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR: behind a proxy that is the proxy's address (see README "Sign-in")."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def lockout_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return (
        "Too many failed sign-ins for this user name from your address. Sign-in is refused "
        f"for about {minutes} more minute{'s' if minutes != 1 else ''}; ask an administrator "
        "if you have forgotten the password."
    )


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing a (user name, address) after too many failures."""

    throttled = False
    retry_after = 0

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        throttle = LoginThrottle(username, client_address(self.request))
        if throttle.locked():
            self._refuse(throttle)
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                throttle.record_failure()
                if throttle.locked():
                    self._refuse(throttle)
            raise
        throttle.reset()
        return cleaned

    def _refuse(self, throttle: LoginThrottle) -> None:
        self.throttled = True
        self.retry_after = throttle.retry_after()
        raise forms.ValidationError(lockout_message(self.retry_after), code="throttled")


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
            response["Retry-After"] = str(form.retry_after)  # type: ignore[attr-defined]
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


# --- Deploy check ------------------------------------------------------------------------------


@checks.register(checks.Tags.security, deploy=True)
def check_auth_in_production(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy``: real farm data open to anyone who can reach the dashboard."""
    if settings.DEADLINE_BACKEND == "aws" and auth_mode() == "none":
        return [
            checks.Warning(
                "DASHBOARD_AUTH=none: anyone who can reach the dashboard reads your farms.",
                hint='Set DASHBOARD_AUTH=login or remote-user (README "Who gets in"), or '
                "silence tasks_app.W001 if a network control already restricts who connects.",
                id="tasks_app.W001",
            )
        ]
    return []


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
