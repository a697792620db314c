"""What an operator sends to override the verdict on a report's photos."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from aduan.contracts.base import Strict


class VerdictIn(Strict):
    verdict: Literal["verified", "rejected"]
    note: str = Field(min_length=1, max_length=2000)

    @field_validator("note")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a note is required")
        return value
