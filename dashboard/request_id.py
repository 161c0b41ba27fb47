"""A request ID on every answer and every log line written while serving it.

The ID comes from the load balancer's header (``DASHBOARD_REQUEST_ID_HEADER``, default
``X-Request-ID``) when it sends a sane one, else it is made here; it goes back in the
``X-Request-ID`` response header. A context variable carries it to the log filter, and to the
read pool's threads too: that pool runs each task in a copy of the submitter's context.
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

_current: ContextVar[str] = ContextVar("dashboard_request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The ID of the request being served in this context, or ``-`` outside one."""
    return _current.get()


def meta_key(header: str) -> str:
    """``X-Request-ID`` -> ``HTTP_X_REQUEST_ID`` (the WSGI environ key)."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def request_id_for(request: HttpRequest) -> str:
    """The load balancer's ID when it is acceptable, else a new one."""
    given = request.META.get(meta_key(settings.DASHBOARD_REQUEST_ID_HEADER), "")
    if given and _ACCEPTABLE.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIDMiddleware:
    """Outermost middleware: every answer, errors and redirects included, carries the ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]  # the 500 page shows it
        # Set until the answer is closed (request_finished), not reset on the way out: Django
        # logs most 4xx answers after the middleware chain has returned.
        _current.set(request_id)
        response = self.get_response(request)
        response[RESPONSE_HEADER] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(sender: object, **kwargs: object) -> None:
    _current.set(NO_REQUEST)


class RequestIDLogFilter(logging.Filter):
    """Adds ``request_id`` to every record a handler writes (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
