"""A request ID on every answer and every log line written while serving it.

The dashboard makes its own ID for every request: it goes back in the ``X-Request-ID``
response header, on the 500 page and in the audit, so a reference nobody outside chose always
names exactly one request. The ID a client or load balancer sent (``DASHBOARD_REQUEST_ID_HEADER``,
default ``X-Request-ID``), when sane, is kept beside it as the *client's*: log lines carry
``[<ours> client=<theirs>]`` so either finds them, and the audit stores it in its own field.
A context variable carries both to the log filter, and to the read pool's threads too: that
pool runs each task in a copy of the submitter's context.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

RESPONSE_HEADER = "X-Request-ID"
NO_REQUEST = "-"
# Printable, no spaces or quotes, and bounded: AWS trace IDs ("Root=1-...;Parent=...") and
# UUIDs pass; nothing that could forge a log line or bloat every answer does.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:;=/+@-]{1,128}")

#: (our ID, the client's or ""): set per request, read by the log filter.
_current: ContextVar[tuple[str, str]] = ContextVar("dashboard_request_id", default=(NO_REQUEST, ""))


def meta_key(header: str) -> str:
    """``X-Request-ID`` -> ``HTTP_X_REQUEST_ID`` (the WSGI environ key)."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def new_request_id() -> str:
    """The dashboard's own ID for a request."""
    return uuid.uuid4().hex


def client_request_id_for(request: HttpRequest) -> str:
    """The ID the client (or the load balancer in front) sent, when acceptable, else ""."""
    given = request.META.get(meta_key(settings.DASHBOARD_REQUEST_ID_HEADER), "")
    if isinstance(given, str) and _ACCEPTABLE.fullmatch(given):
        return given
    return ""


class RequestIDMiddleware:
    """Outermost middleware: every answer, errors and redirects included, carries the ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = new_request_id()
        client_request_id = client_request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]  # the 500 page shows it
        request.client_request_id = client_request_id  # type: ignore[attr-defined]
        # Set until the answer is closed (request_finished), not reset on the way out: Django
        # logs most 4xx answers after the middleware chain has returned.
        _current.set((request_id, client_request_id))
        response = self.get_response(request)
        response[RESPONSE_HEADER] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(sender: object, **kwargs: object) -> None:
    _current.set((NO_REQUEST, ""))


class RequestIDLogFilter(logging.Filter):
    """Adds ``request_id`` to every record a handler writes: ours, then ``client=`` and the
    client's when it sent one (``-`` outside a request); ``client_request_id`` alone too."""

    def filter(self, record: logging.LogRecord) -> bool:
        ours, theirs = _current.get()
        record.request_id = f"{ours} client={theirs}" if theirs else ours
        record.client_request_id = theirs
        return True
