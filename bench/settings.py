"""Benchmark settings: the dashboard's own, plus a bare constant-string view to compare with.

The bare view lives here rather than in the product so production never serves it.
``BENCH_STATIC_ROOT`` lets a bench collect static files into a throw-away directory.
"""

import os

from dashboard.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT") or STATIC_ROOT  # noqa: F405

# Server errors with their tracebacks in the gunicorn log, where a bench run can show them.
LOGGING = {
    **LOGGING,  # noqa: F405
    "loggers": {
        **LOGGING["loggers"],  # noqa: F405
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
