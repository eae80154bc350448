"""Domain errors: every one has a stable code, a message and maybe a field.

The API turns them into JSON ({"code", "message", "field"}) and the pages
into a message to the user; neither has to know which service raised them.
"""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A rule of the domain was broken; nothing was changed."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str | Promise, *, field: str | None = None, code: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        if code is not None:
            self.code = code


class RateLimited(DomainError):
    """Too many of something in a window: try again in `retry_after` seconds (the API answers 429 with
    Retry-After)."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str | Promise, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class NotFound(DomainError):
    """The thing does not exist, or the actor may not see it (indistinguishable on purpose)."""

    code = "not_found"
    status = 404


class ValidationFailed(DomainError):
    """Input that names a field was wrong."""

    code = "validation_error"
    status = 422


class InvalidTransition(DomainError):
    """A status change that the transition table does not allow."""

    code = "invalid_transition"
    status = 409


class PermissionDenied(DomainError):
    """The actor is known and may see the thing, but may not do this to it."""

    code = "permission_denied"
    status = 403


class Conflict(DomainError):
    """The request clashes with what exists (an id already used)."""

    code = "conflict"
    status = 409
