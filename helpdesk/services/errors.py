"""Errors services raise; the HTTP layers map them to the API error shape or form errors."""

from __future__ import annotations


class ServiceError(Exception):
    """A use case refused: a stable code, a translated message and per-field details."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, code: str = ""):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        if code:
            self.code = code


class ValidationFailed(ServiceError):
    """Input broke a rule; `fields` names each bad field."""

    status = 422
    code = "validation_error"


class NotFound(ServiceError):
    """The object does not exist or the caller may not see it (never distinguished)."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    """The caller's role may not do this to an object it can see."""

    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """The request clashes with the current state (e.g. a reused idempotency key)."""

    status = 409
    code = "conflict"
