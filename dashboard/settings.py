"""Settings, read once from the environment at start-up.

Every variable is listed, with its default, in docs/configuration.md.
"""

from __future__ import annotations

import ipaddress
import os
import re
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
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
    # {% partialdef %}: a page's htmx fragments defined once, inside the page's own template,
    # and rendered alone as "page.html#fragment". Its app config wraps the template loaders.
    "template_partials",
    # Failed sign-ins, counted where every process and host sees them (tasks_app/auth.py).
    "axes",
    "tasks_app",
]

MIDDLEWARE = [
    # Outermost: every answer and every log line of a request carry its ID.
    "dashboard.request_id.RequestIDMiddleware",
    # A script's request (Accept: application/json) gets JSON errors from every layer below.
    "tasks_app.views.middleware.JsonErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dashboard.middleware.SecurityHeadersMiddleware",
    # Above WhiteNoise, so the static files it answers carry X-Frame-Options too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tasks_app.auth.DashboardRemoteUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Per-request "served stale data" record; the stale banner on htmx fragments.
    "tasks_app.views.middleware.StaleDataMiddleware",
    # The dashboard's 404 page for unknown URLs and malformed IDs even with DEBUG on.
    "tasks_app.views.middleware.DebugNotFoundMiddleware",
    # DASHBOARD_AUTH and DASHBOARD_FARMS, checked before any view runs (tasks_app/auth.py,
    # tasks_app/views/middleware.py).
    "tasks_app.auth.DashboardLoginRequiredMiddleware",
    "tasks_app.views.middleware.FarmAllowListMiddleware",
    # Innermost: turns django-axes' lockout mark into the 429 sign-in page.
    "axes.middleware.AxesMiddleware",
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
                "tasks_app.auth.account",
            ],
        },
    },
]

# Users, sessions, sign-in failures (and the audit): SQLite on this host by default; a shared
# PostgreSQL (DATABASE_URL=postgres://...) when several hosts serve the dashboard.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    if not DATABASE_URL.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ImproperlyConfigured(
            "DATABASE_URL must be a postgres://user:password@host:5432/name (or sqlite:///path) "
            f"URL, got one starting {DATABASE_URL.split(':', 1)[0]!r}"
        )
    DATABASES = {
        # Connections are kept per thread for a minute, and checked before reuse (a restarted
        # or failed-over server costs one error-free reconnect, not a 500).
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("DJANGO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
            # Several processes share the file: writers take the lock up front and wait for
            # it rather than failing with "database is locked".
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
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
# The demo world with a farm where every reason work waits holds (a scheduling lab).
DEADLINE_DEMO_LAB = env_bool("DEADLINE_DEMO_LAB", False)
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
# With a shared cache (Redis), each process serves what it read there for at most this long
# (and only while fresh): another process's refresh or invalidation may take this long to show.
DEADLINE_NEAR_CACHE_SECONDS = env_float("DEADLINE_NEAR_CACHE_SECONDS", 1.0)
# Past its TTL a cached answer still stands in, marked stale, while the API is throttling or
# down, for this long; then pages answer 503.
DEADLINE_STALE_SECONDS = env_float("DEADLINE_STALE_SECONDS", 600.0)
# How long the dashboard remembers that the backend refused or ignored a Search* name (it then
# uses its fallback without asking again), and how long a step's or queue's full listing (the
# fallback's input, up to 100 calls to build) is reused.
DEADLINE_SEARCH_VERDICT_SECONDS = env_float("DEADLINE_SEARCH_VERDICT_SECONDS", 3600.0, minimum=1.0)
DEADLINE_LISTING_CACHE_SECONDS = env_float("DEADLINE_LISTING_CACHE_SECONDS", 30.0)
# How long a request waits for an identical read already in flight (this process, or another
# one holding the Redis lock, which expires after as long).
DEADLINE_COALESCE_WAIT_SECONDS = env_float(
    "DEADLINE_COALESCE_WAIT_SECONDS", DEADLINE_READ_TIMEOUT + 1.0, minimum=0.1
)
# Circuit breaker per family of operations: opens after this many consecutive throttles or
# outages, and lets one probe through after the cool-down.
DEADLINE_BREAKER_FAILURES = env_int("DEADLINE_BREAKER_FAILURES", 5, minimum=1)
DEADLINE_BREAKER_COOLDOWN_SECONDS = env_float("DEADLINE_BREAKER_COOLDOWN_SECONDS", 15.0)

# --- The dashboard -----------------------------------------------------------------------------

DASHBOARD_POLL_SECONDS = env_float("DASHBOARD_POLL_SECONDS", 5.0, minimum=1.0)
# Terminal tasks can still be requeued elsewhere; poll them rarely rather than never.
DASHBOARD_TERMINAL_POLL_SECONDS = env_float("DASHBOARD_TERMINAL_POLL_SECONDS", 30.0, minimum=1.0)
# Failures views (tasks_app/services/failure_analysis/): logs read per view at most (the rest
# grouped by exit code and message), failed tasks analysed per view, API calls in flight per
# process, how long a finished attempt's analysis is reused, how long a page waits for it.
DASHBOARD_FAILURES_MAX_LOGS = env_int("DASHBOARD_FAILURES_MAX_LOGS", 300)
DASHBOARD_FAILURES_MAX_TASKS = env_int("DASHBOARD_FAILURES_MAX_TASKS", 5000, minimum=1)
DASHBOARD_FAILURES_CONCURRENCY = env_int("DASHBOARD_FAILURES_CONCURRENCY", 12, minimum=1)
DASHBOARD_FAILURES_CACHE_SECONDS = env_float("DASHBOARD_FAILURES_CACHE_SECONDS", 6 * 3600.0)
DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = env_float("DASHBOARD_FAILURES_FIRST_PAINT_SECONDS", 1.5)
# What needs attention (tasks_app/selectors/attention/): a live attempt whose log is silent
# this long is stalled; the farm-wide list is rebuilt this often for every viewer; "recently"
# (failed jobs, worker records) reaches this far back; slowness and ETAs need this many
# finished tasks in a step; a task is slow past this multiple of its step's p95 duration.
DASHBOARD_STALL_SECONDS = env_float("DASHBOARD_STALL_SECONDS", 900.0, minimum=60.0)
DASHBOARD_ATTENTION_SECONDS = env_float("DASHBOARD_ATTENTION_SECONDS", 30.0, minimum=1.0)
# A serving process starts building the list as it starts (dashboard/wsgi.py), so the header's
# count is ready by the first page instead of a build after it.
DASHBOARD_ATTENTION_AT_START = env_bool("DASHBOARD_ATTENTION_AT_START", True)
# Work waiting this long with nothing running, for a reason an operator can act on, is a
# ``waiting_job`` on the attention list.
DASHBOARD_WAIT_SECONDS = env_float("DASHBOARD_WAIT_SECONDS", 1800.0, minimum=60.0)
DASHBOARD_RECENT_SECONDS = env_float("DASHBOARD_RECENT_SECONDS", 86400.0, minimum=600.0)
DASHBOARD_MIN_SAMPLES = env_int("DASHBOARD_MIN_SAMPLES", 8, minimum=2)
DASHBOARD_SLOW_FACTOR = env_float("DASHBOARD_SLOW_FACTOR", 2.0, minimum=1.0)

# --- Who gets in (tasks_app/auth.py, tasks_app/deadline/allow_list.py) ---------------------

# none: anyone who reaches the dashboard; login: Django accounts (manage.py createsuperuser);
# remote-user: an SSO proxy's header names the user. The demo needs nothing; AWS data does.
DASHBOARD_AUTH = env_str("DASHBOARD_AUTH", "none" if DEADLINE_BACKEND == "demo" else "login")
DASHBOARD_AUTH = DASHBOARD_AUTH.lower()
if DASHBOARD_AUTH not in {"none", "login", "remote-user"}:
    raise ImproperlyConfigured(
        f"DASHBOARD_AUTH must be 'none', 'login' or 'remote-user', got {DASHBOARD_AUTH!r}"
    )
# The header the SSO proxy sets (and strips from clients' requests) in remote-user mode.
DASHBOARD_REMOTE_USER_HEADER = env_str("DASHBOARD_REMOTE_USER_HEADER", "X-Forwarded-User")
if not re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", DASHBOARD_REMOTE_USER_HEADER):
    raise ImproperlyConfigured(
        "DASHBOARD_REMOTE_USER_HEADER must be an HTTP header name of letters, digits and "
        f"dashes (e.g. X-Forwarded-User), got {DASHBOARD_REMOTE_USER_HEADER!r}"
    )
if DASHBOARD_REMOTE_USER_HEADER.upper().replace("-", "_") in {
    "COOKIE", "HOST", "AUTHORIZATION", "X_FORWARDED_FOR", "X_FORWARDED_PROTO", "HX_REQUEST",
    "X_DASHBOARD_PROXY_SECRET", "X_DASHBOARD_REPEATED_HEADER",
}:  # fmt: skip
    raise ImproperlyConfigured(
        f"DASHBOARD_REMOTE_USER_HEADER cannot be {DASHBOARD_REMOTE_USER_HEADER}: browsers or "
        "proxies set that header for other purposes."
    )
# remote-user mode: the secret the SSO proxy sends in X-Dashboard-Proxy-Secret on every request;
# requests without it are refused (tasks_app/proxy.py). Empty: the proxy is not asked for one.
DASHBOARD_PROXY_SECRET = env_str("DASHBOARD_PROXY_SECRET", "")
if DASHBOARD_PROXY_SECRET and len(DASHBOARD_PROXY_SECRET) < 32:
    raise ImproperlyConfigured(
        "DASHBOARD_PROXY_SECRET must be at least 32 random characters (the SSO proxy sends it "
        "on every request), e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
    )
# remote-user mode behind make serve: nginx asks this URL (oauth2-proxy's /oauth2/auth) about
# every request and sets the user and groups headers from its answer alone (dashboard/serve.py).
DASHBOARD_AUTH_REQUEST_URL = env_str("DASHBOARD_AUTH_REQUEST_URL", "")
if DASHBOARD_AUTH_REQUEST_URL and not re.fullmatch(
    r"https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?/[A-Za-z0-9._~\-/]*", DASHBOARD_AUTH_REQUEST_URL
):
    raise ImproperlyConfigured(
        "DASHBOARD_AUTH_REQUEST_URL must be an http(s) URL of a host, an optional port and a "
        f"plain path (e.g. http://127.0.0.1:4180/oauth2/auth), got {DASHBOARD_AUTH_REQUEST_URL!r}"
    )
# Proxies in front of the dashboard that append to X-Forwarded-For (make serve's nginx is one):
# their number, or their addresses and networks. The sign-in lockout counts per client address
# taken from that header; without it, per the connecting peer's (the proxy's) address.
_trusted_proxies = env_str("DASHBOARD_TRUSTED_PROXIES", "")
_proxy_count = re.fullmatch(r"[0-9]+", _trusted_proxies)
DASHBOARD_TRUSTED_PROXY_COUNT = int(_trusted_proxies) if _proxy_count else 0
DASHBOARD_TRUSTED_PROXY_NETWORKS = [] if _proxy_count else env_list("DASHBOARD_TRUSTED_PROXIES")
for _network in DASHBOARD_TRUSTED_PROXY_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            "DASHBOARD_TRUSTED_PROXIES must be a number of proxies or their addresses and "
            f"networks (e.g. 127.0.0.1,10.0.0.0/8), separated by commas; {_network!r} is neither."
        ) from None
# Failed sign-ins per user name and client address before that name is refused from that
# address, until the window has passed since the last attempt (django-axes, tasks_app/auth.py).
DASHBOARD_LOGIN_MAX_FAILURES = env_int("DASHBOARD_LOGIN_MAX_FAILURES", 5, minimum=1)
DASHBOARD_LOGIN_LOCKOUT_SECONDS = env_int("DASHBOARD_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
AXES_ENABLED = DASHBOARD_AUTH == "login"
AXES_FAILURE_LIMIT = DASHBOARD_LOGIN_MAX_FAILURES
AXES_COOLOFF_TIME = timedelta(seconds=DASHBOARD_LOGIN_LOCKOUT_SECONDS)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "tasks_app.auth.lockout_username"
# The client's address from X-Forwarded-For, as far as DASHBOARD_TRUSTED_PROXIES vouch for it.
AXES_CLIENT_IP_CALLABLE = "tasks_app.proxy.client_address"
AXES_LOCKOUT_CALLABLE = "tasks_app.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Redis when DASHBOARD_CACHE_URL is set, else the database; sign-in fails open if Redis is down.
AXES_HANDLER = "tasks_app.auth.SharedLockoutHandler"
# No row per successful sign-in (the log has a line for each).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# A sign-in lasts this long, active or not (polls do not extend it).
SESSION_COOKIE_AGE = env_int("DASHBOARD_SESSION_SECONDS", 12 * 3600, minimum=60)
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out name before any password check (inert unless AXES_ENABLED).
    "axes.backends.AxesStandaloneBackend",
    "tasks_app.auth.DashboardRemoteUserBackend"
    if DASHBOARD_AUTH == "remote-user"
    else "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
CSRF_FAILURE_VIEW = "tasks_app.auth.csrf_failure"

# --- Acting on work (tasks_app/services/actions.py, tasks_app/permissions.py) ---------------

# Requeue, cancel, suspend, mark and reprioritise: on by default only on the demo world; a real
# farm stays read-only until someone turns this on (and grants the IAM write statement).
DASHBOARD_ACTIONS = env_bool("DASHBOARD_ACTIONS", DEADLINE_BACKEND == "demo")
# remote-user mode: members of these groups (from the proxy's groups header) may act.
DASHBOARD_OPERATOR_GROUPS = env_list("DASHBOARD_OPERATOR_GROUPS")
DASHBOARD_REMOTE_GROUPS_HEADER = env_str("DASHBOARD_REMOTE_GROUPS_HEADER", "X-Forwarded-Groups")
if not re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", DASHBOARD_REMOTE_GROUPS_HEADER):
    raise ImproperlyConfigured(
        "DASHBOARD_REMOTE_GROUPS_HEADER must be an HTTP header name of letters, digits and "
        f"dashes (e.g. X-Forwarded-Groups), got {DASHBOARD_REMOTE_GROUPS_HEADER!r}"
    )
# How long a preview's confirm button stays valid.
DASHBOARD_ACTION_CONFIRM_SECONDS = env_int("DASHBOARD_ACTION_CONFIRM_SECONDS", 300, minimum=10)
# Update* calls in flight at once for one action, at most: the executor halves it whenever a
# call stays throttled through all its tries, and grows it back while calls succeed.
DASHBOARD_ACTION_CONCURRENCY = env_int("DASHBOARD_ACTION_CONCURRENCY", 16, minimum=1)
# Tasks per BatchUpdateTask call (the API takes 1..100; fewer: more, smaller calls).
DASHBOARD_ACTION_BATCH_SIZE = env_int("DASHBOARD_ACTION_BATCH_SIZE", 100, minimum=1)
if DASHBOARD_ACTION_BATCH_SIZE > 100:
    raise ImproperlyConfigured("DASHBOARD_ACTION_BATCH_SIZE must be 1..100 (the API's limit)")
# Tries per Update* call inside botocore (standard retries: exponential backoff with jitter).
DASHBOARD_ACTION_MAX_ATTEMPTS = env_int("DASHBOARD_ACTION_MAX_ATTEMPTS", 5, minimum=1)
# Tasks still throttled or failing with a server error after those tries are tried again in
# later rounds, this many in all, before the action reports them as not done.
DASHBOARD_ACTION_ROUNDS = env_int("DASHBOARD_ACTION_ROUNDS", 5, minimum=1)
# An action whose process stopped sending heartbeats for this long is resumed by another.
DASHBOARD_ACTION_LEASE_SECONDS = env_int("DASHBOARD_ACTION_LEASE_SECONDS", 30, minimum=5)

# Farm IDs the dashboard shows (comma-separated); others answer 404 and appear in no list.
# Empty: every farm the credentials can read. The pattern is the API's
# (tasks_app.deadline.ids.FARM_ID).
DASHBOARD_FARMS = env_list("DASHBOARD_FARMS")
for _farm in DASHBOARD_FARMS:
    if not re.fullmatch(r"farm-[0-9a-f]{32}", _farm):
        raise ImproperlyConfigured(
            f"DASHBOARD_FARMS must list farm IDs (farm-<32 lower-case hex digits>), separated "
            f"by commas; {_farm!r} is not one."
        )

# --- Notifications (docs/notifications.md) -------------------------------------------------------

# Rules are evaluated this often (from the shared attention report), and due messages sent.
DASHBOARD_NOTIFY_SECONDS = env_float("DASHBOARD_NOTIFY_SECONDS", 30.0, minimum=1.0)
# A job that keeps failing gets at most one digest with its new counts per this many seconds.
DASHBOARD_NOTIFY_DIGEST_SECONDS = env_float("DASHBOARD_NOTIFY_DIGEST_SECONDS", 900.0, minimum=1.0)
# Webhook and Slack targets allowed (host names or CIDR ranges, comma-separated); empty: any.
# Checked when a rule is saved and again, on the resolved address, when a message is sent.
DASHBOARD_NOTIFY_ALLOWED_HOSTS = env_list("DASHBOARD_NOTIFY_ALLOWED_HOSTS")
# Tries per message (timeouts, 5xx, 429) before it is shown as failed; the first retry waits
# DASHBOARD_NOTIFY_RETRY_SECONDS, each next one twice as long (a 429's Retry-After wins).
DASHBOARD_NOTIFY_MAX_ATTEMPTS = env_int("DASHBOARD_NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
DASHBOARD_NOTIFY_RETRY_SECONDS = env_float("DASHBOARD_NOTIFY_RETRY_SECONDS", 30.0, minimum=0.0)
DASHBOARD_NOTIFY_TIMEOUT_SECONDS = env_float("DASHBOARD_NOTIFY_TIMEOUT_SECONDS", 10.0, minimum=0.1)
# The dashboard's address as people reach it: every message links to a page under it.
DASHBOARD_NOTIFY_BASE_URL = env_str("DASHBOARD_NOTIFY_BASE_URL", "http://127.0.0.1:8000")
# E-mail through Django's framework: SMTP when EMAIL_HOST is set, else printed (console).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0, minimum=0.1)
DEFAULT_FROM_EMAIL = env_str("DASHBOARD_EMAIL_FROM", "dashboard@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Cache -------------------------------------------------------------------------------------

DASHBOARD_CACHE_URL = env_str("DASHBOARD_CACHE_URL", "")
DASHBOARD_CACHE_TIMEOUT_SECONDS = env_float("DASHBOARD_CACHE_TIMEOUT_SECONDS", 0.5, minimum=0.01)
if DASHBOARD_CACHE_URL:
    if not DASHBOARD_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"DASHBOARD_CACHE_URL must be a redis:// URL, got {DASHBOARD_CACHE_URL!r}"
        )
    CACHES = {
        "default": {
            # Django's own Redis backend; locks use a redis-py client built from the same
            # LOCATION and OPTIONS (tasks_app/deadline/resilience/store.py).
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DASHBOARD_CACHE_URL,
            "KEY_PREFIX": "dtd",
            # A Redis that accepts connections but never answers (hung, or packets dropped)
            # must cost a request this long, not forever: redis-py has no timeout by default.
            "OPTIONS": {
                "socket_timeout": DASHBOARD_CACHE_TIMEOUT_SECONDS,
                "socket_connect_timeout": DASHBOARD_CACHE_TIMEOUT_SECONDS,
            },
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
# `make run` (dashboard/develop.py): runserver and the worker share a cache in files, with no
# Redis to install; a Redis URL above wins.
DASHBOARD_CACHE_DIR = env_str("DASHBOARD_CACHE_DIR", "")
if DASHBOARD_CACHE_DIR and not DASHBOARD_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": DASHBOARD_CACHE_DIR,
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# --- Background work (Celery; docs/architecture.md) -------------------------------------------

# Where work outliving a request is queued: the cache's Redis unless told otherwise, or
# kombu's filesystem:///path/ (make run). None: it runs on threads of the process that asked
# (the tests, a bare `manage.py runserver`), as nothing else would pick it up.
DASHBOARD_BROKER_URL = env_str("DASHBOARD_BROKER_URL", "") or DASHBOARD_CACHE_URL
if DASHBOARD_BROKER_URL and not DASHBOARD_BROKER_URL.startswith(
    ("redis://", "rediss://", "unix://", "filesystem://")
):
    raise ImproperlyConfigured(
        "DASHBOARD_BROKER_URL must be a redis:// URL (or filesystem:///path/ on one host), got "
        f"{DASHBOARD_BROKER_URL.split(':', 1)[0]!r}"
    )
DASHBOARD_TASKS_IN_PROCESS = not DASHBOARD_BROKER_URL
# A task a killed worker had taken is handed to another after this long (Redis); a task still
# running by then is handed out again too and waits for its lease, so keep it short.
DASHBOARD_TASK_VISIBILITY_SECONDS = env_int("DASHBOARD_TASK_VISIBILITY_SECONDS", 60, minimum=1)
CELERY_BROKER_URL = DASHBOARD_BROKER_URL or "memory://"
if DASHBOARD_BROKER_URL.startswith("filesystem://"):
    _queue_dir = DASHBOARD_BROKER_URL.removeprefix("filesystem://") or str(BASE_DIR / ".queue")
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _queue_dir,
        "data_folder_out": _queue_dir,
        "processed_folder": _queue_dir,
        "store_processed": False,
        # kombu's default is ./control, a folder in whatever directory the process started in.
        "control_folder": _queue_dir + "/control",
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": DASHBOARD_TASK_VISIBILITY_SECONDS,
        # Workers look for such tasks this often (kombu's default: every 100 s).
        "unacked_restore_interval": max(1, DASHBOARD_TASK_VISIBILITY_SECONDS // 2),
        "unacked_restore_throttle": 1,
        # Workers take turns looking for such tasks under a Redis lock that lapses on its own.
        # kombu's default is 300 s: a worker killed while holding it (its look takes a few
        # milliseconds, once a period) kept every other worker from restoring for 5 minutes.
        # Restoring a task twice cannot happen (kombu moves each in a watched transaction).
        "unacked_mutex_expire": DASHBOARD_TASK_VISIBILITY_SECONDS,
    }
# Acknowledged when done, not when taken: a worker killed mid-task leaves it to another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # progress lives in the database and the cache
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that enqueues waits this long for a broker that is down, not forever.
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
CELERY_TIMEZONE = "UTC"
# Each periodic job runs once per period across hosts whatever the number of beats (a row per
# period in the database, tasks_app.services.background.once_per_period).
CELERY_BEAT_SCHEDULE = {
    "resume-actions": {
        "task": "tasks_app.resume_actions",
        "schedule": max(5.0, DASHBOARD_ACTION_LEASE_SECONDS / 3),
    },
    # Notifications: rules evaluated once per period anywhere, due messages sent by each.
    "notify": {"task": "tasks_app.notify", "schedule": DASHBOARD_NOTIFY_SECONDS},
}
# How many requests of one process may wait for a failure analysis at once (?wait=, the first
# paint); others are answered at once (503 with Retry-After for ?wait=).
DASHBOARD_FAILURES_WAITERS = env_int("DASHBOARD_FAILURES_WAITERS", 4, minimum=1)
# ?logs=more starts a deeper analysis of a scope at most once this long; other asks read it.
DASHBOARD_FAILURES_MORE_LOGS_SECONDS = env_float("DASHBOARD_FAILURES_MORE_LOGS_SECONDS", 300.0)
# A worker renews its analysis's lease every third of this; a killed worker's analysis is
# taken over by another this long after its last renewal.
DASHBOARD_FAILURES_LEASE_SECONDS = env_float("DASHBOARD_FAILURES_LEASE_SECONDS", 30.0, minimum=1.0)

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

# The load balancer's request ID header (e.g. X-Amzn-Trace-Id behind an AWS ALB), echoed as
# X-Request-ID and written on every log line of the request; made up when absent or odd.
DASHBOARD_REQUEST_ID_HEADER = env_str("DASHBOARD_REQUEST_ID_HEADER", "X-Request-ID")
if not re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", DASHBOARD_REQUEST_ID_HEADER):
    raise ImproperlyConfigured(
        "DASHBOARD_REQUEST_ID_HEADER must be an HTTP header name of letters, digits and "
        f"dashes (e.g. X-Request-ID), got {DASHBOARD_REQUEST_ID_HEADER!r}"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dashboard.request_id.RequestIDLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "loggers": {
        "tasks_app": {"handlers": ["console"], "level": env_str("DASHBOARD_LOG_LEVEL", "INFO")},
        # One line per API call (operation, IDs, latency, outcome): INFO answers show at INFO,
        # failures at WARNING. `make run` sets WARNING unless asked, so a dev console stays quiet.
        "tasks_app.api": {
            "handlers": ["console"],
            "level": env_str("DASHBOARD_API_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        # Unhandled exceptions (ERROR, with the traceback), 5xx and 4xx answers: with debug
        # off, Django's own configuration sends these nowhere.
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # Sign-in failures and lockouts (user names and addresses masked by axes).
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
