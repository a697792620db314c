"""The one error format: {"error": {"code", "message", "details"}, "request_id"}."""

from __future__ import annotations

from typing import Any

from aduan.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound


class ApiError(Exception):
    """An error a client can act on; `code` is stable and documented, `message` is for people."""

    def __init__(
        self, status: int, code: str, message: str, details: Any | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


# How the domain's refusals are answered over HTTP: the one place that maps them.
DOMAIN_STATUS: dict[type[DomainError], int] = {Conflict: 409, Invalid: 422, NotFound: 404,
                                               Forbidden: 403}


def from_domain(err: DomainError) -> ApiError:
    status = next(code for kind, code in DOMAIN_STATUS.items() if isinstance(err, kind))
    return ApiError(status, err.code, err.message, err.details)


def error_body(code: str, message: str, details: Any | None, request_id: str | None) -> dict:
    return {
        "error": {"code": code, "message": message, "details": details},
        "request_id": request_id,
    }


class PermanentError(Exception):
    """A message that can never succeed (bad payload, missing report): park it, don't retry."""
