"""One class per modelled AWS error; the wire layer turns them into AWS-shaped answers.

Each carries the HTTP status the botocore model gives the error shape and the modelled
members besides ``message`` (``resourceId``, ``reason``/``fieldList``, ``retryAfterSeconds``...).
"""

from __future__ import annotations

from typing import Any


class DeadlineError(Exception):
    """Base of every modelled error. ``members`` are extra top-level JSON members."""

    code: str = "InternalServerErrorException"
    status: int = 500

    def __init__(self, message: str, **members: Any) -> None:
        super().__init__(message)
        self.message = message
        self.members = {k: v for k, v in members.items() if v is not None}

    @property
    def retry_after_seconds(self) -> int | None:
        return self.members.get("retryAfterSeconds")

    def body(self) -> dict[str, Any]:
        # retryAfterSeconds travels in the Retry-After header, not in the body.
        body = {k: v for k, v in self.members.items() if k != "retryAfterSeconds"}
        return {"message": self.message, **body}


class ValidationException(DeadlineError):
    code = "ValidationException"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        reason: str = "FIELD_VALIDATION_FAILED",
        field_list: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, fieldList=field_list)


class AccessDeniedException(DeadlineError):
    code = "AccessDeniedException"
    status = 403


class ResourceNotFoundException(DeadlineError):
    code = "ResourceNotFoundException"
    status = 404

    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ConflictException(DeadlineError):
    code = "ConflictException"
    status = 409

    def __init__(self, message: str, *, resource_id: str, resource_type: str, reason: str) -> None:
        super().__init__(message, resourceId=resource_id, resourceType=resource_type, reason=reason)


class ThrottlingException(DeadlineError):
    code = "ThrottlingException"
    status = 429

    def __init__(self, message: str = "Rate exceeded", *, retry_after_seconds: int = 1) -> None:
        super().__init__(
            message,
            serviceCode="deadline",
            quotaCode="L-EMULATED",
            retryAfterSeconds=retry_after_seconds,
        )


class InternalServerErrorException(DeadlineError):
    code = "InternalServerErrorException"
    status = 500

    def __init__(
        self, message: str = "Internal server error", *, retry_after_seconds: int | None = 1
    ) -> None:
        super().__init__(message, retryAfterSeconds=retry_after_seconds)
