"""The one error format: {"error": {"code", "message", "details"}, "request_id"}."""

from __future__ import annotations

from typing import Any


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


def error_body(code: str, message: str, details: Any | None, request_id: str | None) -> dict:
    return {
        "error": {"code": code, "message": message, "details": details},
        "request_id": request_id,
    }


class PermanentError(Exception):
    """A message that can never succeed (bad payload, missing report): park it, don't retry."""
