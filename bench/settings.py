"""Benchmark settings: the dashboard's own, plus a bare constant-string view to compare with.

The bare view lives here rather than in the product so production never serves it.
"""

from dashboard.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
