"""Domain errors: every refusal a user can meet is one of these, with a stable code.

One mapping (core.middleware and core.api) turns them into 4xx responses with a translated
message; nothing below the views knows about HTTP beyond the status hint kept here.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a stable machine code and a message for the user (already translated)."""

    code = "invalid"
    status = 400

    def __init__(self, message: Any = "", *, code: str | None = None, status: int | None = None, **details: Any):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": str(self.message)}
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


class Conflict(DomainError):
    code = "conflict"
    status = 409
