"""Production settings: `check --deploy` is clean with the documented environment, and every
refusal to start names the variable to fix. Settings are read once at start-up: `check
--deploy` runs in a fresh interpreter, and every other case reads the settings module anew
under its own environment, as a starting process would (``_settings``)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from django.conf import Settings
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
FARM = "farm-" + "0123456789abcdef" * 2

#: The production environment docs/operating.md documents.
PRODUCTION = {
    "DASHBOARD_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48)[:64],
    "DJANGO_ALLOWED_HOSTS": "dashboard.example.internal",
    "DASHBOARD_HTTPS": "1",
    "DASHBOARD_STATIC_MANIFEST": "1",
    "DEADLINE_BACKEND": "aws",
    "AWS_REGION": "us-west-2",
    # Every host shares one PostgreSQL (`check --deploy` does not connect to it).
    "DATABASE_URL": "postgres://dashboard:s3cret@db.render.internal:5432/dashboard",
    "DASHBOARD_TRUSTED_PROXIES": "2",  # the load balancer and make serve's nginx
}


def _environment(overrides: dict[str, str | None]) -> dict[str, str]:
    """This process's environment without the dashboard's variables, plus ``overrides``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DASHBOARD_", "DEADLINE_", "AWS_", "DATABASE_"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    for key, value in overrides.items():
        if value is not None:
            env[key] = value
    return env


def _run(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def _module_read_anew(name: str) -> Iterator[None]:
    """Import ``name`` afresh inside the block; this process's own copy is back after it."""
    kept = sys.modules.pop(name, None)
    try:
        yield
    finally:
        sys.modules.pop(name, None)
        if kept is not None:
            sys.modules[name] = kept


def _settings(env: dict[str, str | None]) -> Settings:
    """The settings a process started with ``env`` has: the settings module executed anew
    under that environment and merged over Django's defaults, as ``django.setup()`` does
    (without loading the apps: about 0.4 s of CPU a case in a fresh interpreter)."""
    try:
        with mock.patch.dict(os.environ, _environment(env), clear=True):
            with _module_read_anew("dashboard.settings"):
                return Settings("dashboard.settings")
    finally:
        time.tzset()  # Settings sets the time zone from TIME_ZONE; the environment is back


PROXY_SECRET = secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"DASHBOARD_AUTH": "remote-user", "DASHBOARD_FARMS": FARM,
         "DASHBOARD_PROXY_SECRET": PROXY_SECRET},
        {"DASHBOARD_AUTH": "remote-user",
         "DASHBOARD_AUTH_REQUEST_URL": "http://127.0.0.1:4180/oauth2/auth",
         "DASHBOARD_TRUSTED_PROXIES": "2"},
    ],
    ids=["login", "remote-user with a proxy secret", "remote-user with auth_request"],
)  # fmt: skip
def test_check_deploy_reports_nothing_with_the_documented_production_settings(
    extra: dict[str, str],
) -> None:
    result = _run(
        "manage.py", "check", "--deploy", "--fail-level", "DEBUG", env={**PRODUCTION, **extra}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_when_real_farms_are_open_to_anyone() -> None:
    result = _run("manage.py", "check", "--deploy", env={**PRODUCTION, "DASHBOARD_AUTH": "none"})
    assert "tasks_app.W001" in result.stdout + result.stderr


def test_check_deploy_warns_when_remote_user_believes_anyone() -> None:
    result = _run(
        "manage.py", "check", "--deploy", env={**PRODUCTION, "DASHBOARD_AUTH": "remote-user"}
    )
    output = result.stdout + result.stderr
    assert "tasks_app.W002" in output
    assert "DASHBOARD_PROXY_SECRET" in output and "DASHBOARD_AUTH_REQUEST_URL" in output


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "django-insecure-dev-only-key-do-not-use-in-production"},
         "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_ALLOWED_HOSTS": " , "}, "DJANGO_ALLOWED_HOSTS"),
        ({"DASHBOARD_AUTH": "ldap"}, "DASHBOARD_AUTH"),
        ({"DASHBOARD_FARMS": f"{FARM},farm-XYZ"}, "DASHBOARD_FARMS"),
        ({"DASHBOARD_FARMS": FARM.upper()}, "DASHBOARD_FARMS"),
        ({"DASHBOARD_REMOTE_USER_HEADER": "X User"}, "DASHBOARD_REMOTE_USER_HEADER"),
        ({"DASHBOARD_REMOTE_USER_HEADER": "Cookie"}, "DASHBOARD_REMOTE_USER_HEADER"),
        ({"DASHBOARD_REMOTE_USER_HEADER": "X-Dashboard-Proxy-Secret"},
         "DASHBOARD_REMOTE_USER_HEADER"),
        ({"DASHBOARD_LOGIN_MAX_FAILURES": "0"}, "DASHBOARD_LOGIN_MAX_FAILURES"),
        ({"DASHBOARD_PROXY_SECRET": "short"}, "DASHBOARD_PROXY_SECRET"),
        # Written into nginx's configuration: nothing that could end a directive.
        ({"DASHBOARD_AUTH_REQUEST_URL": "http://sso/auth; include /etc/passwd"},
         "DASHBOARD_AUTH_REQUEST_URL"),
        ({"DASHBOARD_AUTH_REQUEST_URL": "sso.internal/oauth2/auth"},
         "DASHBOARD_AUTH_REQUEST_URL"),
        # No path: nginx would send its own internal location's path instead.
        ({"DASHBOARD_AUTH_REQUEST_URL": "http://127.0.0.1:4180"}, "DASHBOARD_AUTH_REQUEST_URL"),
        ({"DASHBOARD_TRUSTED_PROXIES": "two"}, "DASHBOARD_TRUSTED_PROXIES"),
        ({"DASHBOARD_TRUSTED_PROXIES": "10.0.0.0/33"}, "DASHBOARD_TRUSTED_PROXIES"),
        ({"DATABASE_URL": "mysql://db.render.internal/dashboard"}, "DATABASE_URL"),
    ],
)  # fmt: skip
def test_production_refuses_to_start_naming_the_variable(
    overrides: dict[str, str | None], variable: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        _settings({**PRODUCTION, **overrides})
    assert variable in str(refused.value)


def test_auth_defaults_follow_the_backend() -> None:
    assert _settings({"DEADLINE_BACKEND": "demo"}).DASHBOARD_AUTH == "none"
    assert _settings({"DEADLINE_BACKEND": "aws"}).DASHBOARD_AUTH == "login"
    assert _settings(PRODUCTION).DASHBOARD_AUTH == "login"
    remote = _settings({"DASHBOARD_AUTH": "remote-user"})
    assert any("RemoteUserBackend" in backend for backend in remote.AUTHENTICATION_BACKENDS)
    # Sign-in goes through django-axes' lockout first, in login mode only.
    login = _settings(PRODUCTION)
    assert login.AXES_ENABLED is True
    assert login.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert remote.AXES_ENABLED is False


def test_https_turns_on_secure_cookies_hsts_and_redirects() -> None:
    production = _settings(PRODUCTION)
    assert production.SESSION_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_SECURE is True
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SECURE_HSTS_SECONDS == 31536000
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert _settings({"DASHBOARD_HTTPS": "0"}).SESSION_COOKIE_SECURE is False


def test_the_farm_pattern_in_settings_is_the_apis() -> None:
    from tasks_app.deadline.ids import FARM_ID

    settings_text = (ROOT / "dashboard" / "settings.py").read_text()
    assert f'r"{FARM_ID}"' in settings_text


def test_database_url_selects_a_shared_postgresql_and_sqlite_stays_the_default() -> None:
    database = _settings(PRODUCTION).DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["PORT"]) == (
        "dashboard",
        "db.render.internal",
        5432,
    )
    assert database["USER"] == "dashboard"
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)
    sqlite = _settings({"DJANGO_DB_PATH": "/srv/dashboard/db.sqlite3"}).DATABASES["default"]
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert str(sqlite["NAME"]) == "/srv/dashboard/db.sqlite3"


def test_dashboard_cache_url_selects_djangos_own_redis_backend() -> None:
    caches = _settings({"DASHBOARD_CACHE_URL": "redis://r:6379/0"}).CACHES
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_redis_calls_time_out_as_configured() -> None:
    """redis-py waits forever by default: a hung Redis would hang every request with it."""
    url = {"DASHBOARD_CACHE_URL": "redis://r:6379/0"}
    default = _settings(url).CACHES["default"]["OPTIONS"]
    assert default == {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    chosen = _settings({**url, "DASHBOARD_CACHE_TIMEOUT_SECONDS": "2"}).CACHES["default"]
    assert chosen["OPTIONS"] == {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
