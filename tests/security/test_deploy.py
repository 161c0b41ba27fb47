"""Production settings: `check --deploy` is clean with the documented environment, and every
refusal to start names the variable to fix. Each case runs in a fresh interpreter, since
settings are read once at start-up."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

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


def _setting(names: str, env: dict[str, str | None]) -> str:
    """repr() of one setting, or of a tuple of comma-separated settings."""
    values = ", ".join(f"settings.{name.strip()}" for name in names.split(","))
    expression = f"({values},)" if "," in names else values
    result = _run(
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        f"print(repr({expression}))",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


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
    result = _run("-c", "import django; django.setup()", env={**PRODUCTION, **overrides})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


def test_auth_defaults_follow_the_backend() -> None:
    assert _setting("DASHBOARD_AUTH", {"DEADLINE_BACKEND": "demo"}) == "'none'"
    assert _setting("DASHBOARD_AUTH", {"DEADLINE_BACKEND": "aws"}) == "'login'"
    assert _setting("DASHBOARD_AUTH", {**PRODUCTION}) == "'login'"
    assert "RemoteUserBackend" in _setting(
        "AUTHENTICATION_BACKENDS", {"DASHBOARD_AUTH": "remote-user"}
    )
    # Sign-in goes through django-axes' lockout first, in login mode only.
    login = _setting("AXES_ENABLED, AUTHENTICATION_BACKENDS", PRODUCTION)
    assert login.startswith("(True, ['axes.backends.AxesStandaloneBackend', ")
    assert _setting("AXES_ENABLED", {"DASHBOARD_AUTH": "remote-user"}) == "False"


def test_https_turns_on_secure_cookies_hsts_and_redirects() -> None:
    values = _setting(
        "SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE, SECURE_SSL_REDIRECT, SECURE_HSTS_SECONDS, "
        "SESSION_COOKIE_HTTPONLY",
        PRODUCTION,
    )
    assert values == "(True, True, True, 31536000, True)"
    assert _setting("SESSION_COOKIE_SECURE", {"DASHBOARD_HTTPS": "0"}) == "False"


def test_the_farm_pattern_in_settings_is_the_apis() -> None:
    from tasks_app.deadline.ids import FARM_ID

    settings_text = (ROOT / "dashboard" / "settings.py").read_text()
    assert f'r"{FARM_ID}"' in settings_text


def test_database_url_selects_a_shared_postgresql_and_sqlite_stays_the_default() -> None:
    database = _setting("DATABASES['default']", PRODUCTION)
    for expected in (
        "'ENGINE': 'django.db.backends.postgresql'",
        "'NAME': 'dashboard'",
        "'HOST': 'db.render.internal'",
        "'PORT': 5432",
        "'USER': 'dashboard'",
        "'CONN_MAX_AGE': 60",
        "'CONN_HEALTH_CHECKS': True",
    ):
        assert expected in database
    sqlite = _setting("DATABASES['default']", {"DJANGO_DB_PATH": "/srv/dashboard/db.sqlite3"})
    assert "'ENGINE': 'django.db.backends.sqlite3'" in sqlite
    assert "'NAME': '/srv/dashboard/db.sqlite3'" in sqlite


def test_dashboard_cache_url_selects_djangos_own_redis_backend() -> None:
    backend = _setting("CACHES['default']['BACKEND']", {"DASHBOARD_CACHE_URL": "redis://r:6379/0"})
    assert backend == "'django.core.cache.backends.redis.RedisCache'"


def test_redis_calls_time_out_as_configured() -> None:
    """redis-py waits forever by default: a hung Redis would hang every request with it."""
    url = {"DASHBOARD_CACHE_URL": "redis://r:6379/0"}
    default = _setting("CACHES['default']['OPTIONS']", url)
    assert default == "{'socket_timeout': 0.5, 'socket_connect_timeout': 0.5}"
    chosen = _setting(
        "CACHES['default']['OPTIONS']", {**url, "DASHBOARD_CACHE_TIMEOUT_SECONDS": "2"}
    )
    assert chosen == "{'socket_timeout': 2.0, 'socket_connect_timeout': 2.0}"
