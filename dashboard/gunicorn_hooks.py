"""gunicorn's configuration module for ``make serve`` (``-c python:dashboard.gunicorn_hooks``).

``pre_request`` sees a request's headers as sent, before gunicorn joins repeated ones with a
comma into one WSGI variable: the last moment anyone can tell ``X-Forwarded-User: mallory``
plus ``X-Forwarded-User: olga`` from one header ``mallory,olga``. It names the identity headers
that came more than once in ``X-Dashboard-Repeated-Header`` (first dropping any copy a client
sent of that), and the dashboard refuses such requests (tasks_app/proxy.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def pre_request(worker: Any, req: Any) -> None:
    """Mark a request that carries the user, groups or proxy-secret header more than once."""
    # Imported here: gunicorn reads this module before the workers load Django.
    from tasks_app.proxy import REPEATED_HEADER, identity_headers

    marker = REPEATED_HEADER.upper()
    guarded = {header.upper() for header in identity_headers()}
    counts = Counter(name for name, _ in req.headers if name in guarded)
    req.headers = [(name, value) for name, value in req.headers if name != marker]
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        req.headers.append((marker, ", ".join(repeated)))
