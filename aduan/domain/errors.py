"""What the domain refuses, without HTTP: each service's edge maps these onto the one error
format (`aduan.web.errors.ApiError`), `Conflict` as 409, `Invalid` as 422, `NotFound` as 404,
`Forbidden` as 403."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, code: str, message: str, details: Any | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class Conflict(DomainError):
    """Not possible in the report's current state (another action may make it possible)."""


class Invalid(DomainError):
    """The request names something that does not exist or does not fit (unknown agency...)."""


class NotFound(DomainError):
    """No such report for this caller."""


class Forbidden(DomainError):
    """The caller may see the report but not do this."""


def report_not_found() -> NotFound:
    """The one answer for a report that does not exist and for one the caller may not see."""
    return NotFound("report_not_found", "No report has this tracking code.")
