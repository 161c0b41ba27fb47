"""The few domain errors the deadline boundary raises and views turn into HTTP answers.

``calls.call_api`` maps every botocore error to one of these (``raise ... from exc``); views
and templates never see a botocore exception.
"""

from __future__ import annotations

# Resource kinds from the top of the hierarchy down, as the API names them in
# ResourceNotFoundException.resourceType (lower-cased) and as our URLs nest them.
RESOURCE_KINDS = ("farm", "queue", "job", "step", "task")


class DeadlineError(Exception):
    """Base of the domain errors; ``message`` is safe to show an operator."""

    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DeadlineError):
    """A farm, queue, job, step or task does not exist (or is not visible)."""

    http_status = 404

    def __init__(self, resource_type: str, resource_id: str, message: str = "") -> None:
        self.resource_type = resource_type.lower()
        self.resource_id = resource_id
        super().__init__(message or f"{self.resource_type.title()} {resource_id} was not found.")


class AccessDenied(DeadlineError):
    """The credentials in use may not perform ``action`` (an IAM action: deadline:GetTask)."""

    http_status = 403

    def __init__(self, action: str, message: str = "") -> None:
        self.action = action
        super().__init__(
            f"Access denied: the dashboard's credentials are not allowed {action}."
            + (f" ({message})" if message else "")
        )


class InvalidRequest(DeadlineError):
    """The API refused the request as malformed (ValidationException and other 4xx)."""

    http_status = 400


class Unavailable(DeadlineError):
    """The API cannot answer now: throttled, 5xx, timed out, unreachable or no credentials.

    ``reason`` is a short machine-readable word (``throttled``, ``server-error``, ``timeout``,
    ``unreachable``, ``credentials``, ``configuration``); ``retry_after`` is in seconds.
    """

    http_status = 503

    def __init__(self, message: str, *, reason: str, retry_after: int = 5) -> None:
        self.reason = reason
        self.retry_after = max(1, int(retry_after))
        super().__init__(message)
