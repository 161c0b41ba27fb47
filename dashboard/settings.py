"""Settings, read once from the environment at start-up.

Every variable is listed, with its default, in README.md "Configuration".
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = env_float(name, default, minimum=minimum)
    if value != int(value):
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}")
    return int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# --- Core Django -------------------------------------------------------------------------------

# DASHBOARD_ENV=production turns the start-up checks below into hard failures; development
# (the default) runs with a throw-away key on loopback hosts so `make run` needs nothing.
DASHBOARD_ENV = env_str("DASHBOARD_ENV", "development").lower()
if DASHBOARD_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DASHBOARD_ENV must be 'development' or 'production', got {DASHBOARD_ENV!r}"
    )
PRODUCTION = DASHBOARD_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", False)
DEV_SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG must be off in production (DASHBOARD_ENV=production): "
            "debug pages leak settings and tracebacks."
        )
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to a random value of 50+ characters in production "
            "(DASHBOARD_ENV=production); generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must list the host names the dashboard is served under "
            "in production (DASHBOARD_ENV=production), e.g. dashboard.render.internal."
        )
elif not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "tasks_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dashboard.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tasks_app.context_processors.dashboard",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("DJANGO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed files with far-future caching need `collectstatic` first (make serve does
# it); without it (make run, tests) files are served straight from the finders.
DASHBOARD_STATIC_MANIFEST = env_bool("DASHBOARD_STATIC_MANIFEST", PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if DASHBOARD_STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not DASHBOARD_STATIC_MANIFEST
if not DASHBOARD_STATIC_MANIFEST:
    # Served from the finders, so an absent STATIC_ROOT is expected, not worth a warning.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Deadline Cloud backend --------------------------------------------------------------------

DEADLINE_BACKEND = env_str("DEADLINE_BACKEND", "demo").lower()
if DEADLINE_BACKEND not in {"demo", "aws"}:
    raise ImproperlyConfigured(
        f"DEADLINE_BACKEND must be 'demo' or 'aws', got {DEADLINE_BACKEND!r}"
    )
DEADLINE_DEMO_SEED = env_int("DEADLINE_DEMO_SEED", 0)
DEADLINE_CONNECT_TIMEOUT = env_float("DEADLINE_CONNECT_TIMEOUT", 3.0, minimum=0.1)
DEADLINE_READ_TIMEOUT = env_float("DEADLINE_READ_TIMEOUT", 5.0, minimum=0.1)
DEADLINE_MAX_ATTEMPTS = env_int("DEADLINE_MAX_ATTEMPTS", 3, minimum=1)
DEADLINE_RETRY_MODE = env_str("DEADLINE_RETRY_MODE", "standard")
if DEADLINE_RETRY_MODE not in {"standard", "adaptive"}:
    raise ImproperlyConfigured(
        f"DEADLINE_RETRY_MODE must be 'standard' or 'adaptive', got {DEADLINE_RETRY_MODE!r}"
    )
# Task reads are cached briefly; names of farms/queues/jobs/steps for much longer.
DEADLINE_CACHE_SECONDS = env_float("DEADLINE_CACHE_SECONDS", 5.0)
DEADLINE_NAME_CACHE_SECONDS = env_float("DEADLINE_NAME_CACHE_SECONDS", 300.0)

# --- The dashboard -----------------------------------------------------------------------------

DASHBOARD_POLL_SECONDS = env_float("DASHBOARD_POLL_SECONDS", 5.0, minimum=1.0)
# Terminal tasks can still be requeued elsewhere; poll them rarely rather than never.
DASHBOARD_TERMINAL_POLL_SECONDS = env_float("DASHBOARD_TERMINAL_POLL_SECONDS", 30.0, minimum=1.0)

# --- Cache -------------------------------------------------------------------------------------

DASHBOARD_CACHE_URL = env_str("DASHBOARD_CACHE_URL", "")
if DASHBOARD_CACHE_URL:
    if not DASHBOARD_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"DASHBOARD_CACHE_URL must be a redis:// URL, got {DASHBOARD_CACHE_URL!r}"
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DASHBOARD_CACHE_URL,
            "KEY_PREFIX": "dtd",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "deadline-dashboard",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# --- Security headers (see dashboard/middleware.py for the Content-Security-Policy) -----------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating load balancer the dashboard sees plain HTTP; trust its header.
if env_bool("DASHBOARD_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DASHBOARD_HTTPS = env_bool("DASHBOARD_HTTPS", PRODUCTION)
if DASHBOARD_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Load balancer health checks speak plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
    SECURE_HSTS_SECONDS = env_int("DASHBOARD_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DASHBOARD_HSTS_PRELOAD", True)

# --- Logging -----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "tasks_app": {"handlers": ["console"], "level": env_str("DASHBOARD_LOG_LEVEL", "INFO")},
    },
}
