"""The workflow actions over HTTP: who may call which (by kind of caller) and what each takes."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from aduan.contracts.base import Strict
from aduan.contracts.fields import AgencyCode, ReportCode, Text

Note = Annotated[Text, Field(min_length=1, max_length=2000)]


class OptionalNote(Strict):
    note: Note | None = None


class RequiredNote(Strict):
    note: Note


class Answered(Strict):
    """Staff actions: `note` is internal (staff only); `public_response` is the answer the
    reporter and the public read."""

    public_response: Note | None = None


class StaffOptionalNote(OptionalNote, Answered):
    pass


class StaffRequiredNote(RequiredNote, Answered):
    pass


def _unique(codes: list[str]) -> list[str]:
    if len(set(codes)) != len(codes):
        raise ValueError("agency codes must be unique")
    return codes


class Point(Strict):
    lat: Annotated[float, Field(strict=True, ge=-90, le=90)]
    lon: Annotated[float, Field(strict=True, ge=-180, le=180)]


class VerifyIn(StaffOptionalNote):
    """`point`: where a report that came without one is (an SMS, an address told at the
    desk), placed by the operator who verifies it; refused when the report has a point."""

    point: Point | None = None


class ForwardIn(StaffOptionalNote):
    agencies: Annotated[list[AgencyCode], Field(min_length=1, max_length=10)]
    _unique = field_validator("agencies")(_unique)


class RerouteIn(StaffRequiredNote):
    agencies: Annotated[list[AgencyCode], Field(min_length=1, max_length=10)]
    _unique = field_validator("agencies")(_unique)


class DuplicateIn(StaffOptionalNote):
    of: ReportCode


class PostponeIn(StaffRequiredNote):
    until: date  # the day it comes back to the operators' queue (in the future, <= 90 days)

    @field_validator("until", mode="before")
    @classmethod
    def _a_day(cls, value: object) -> date:
        """Only a calendar day as JSON carries it, YYYY-MM-DD (no timestamps)."""
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("a day as YYYY-MM-DD")
        return date.fromisoformat(value)


class EscalateIn(RequiredNote):
    agency: AgencyCode | None = None  # operators: which agency's head, when several hold it


UserId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class DispatchIn(StaffOptionalNote):
    """The whole list of officers the assignment is given to (re-dispatching replaces it)."""

    officers: Annotated[list[UserId], Field(min_length=1, max_length=20)]

    @field_validator("officers")
    @classmethod
    def _unique_officers(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("officer ids must be unique")
        return ids


class RateIn(Strict):
    score: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[Text, Field(max_length=1000)] | None = None


# The body of each workflow action (who may take it: aduan.domain.lifecycle.ACTIONS).
MODELS: dict[str, type[BaseModel]] = {
    "verify": VerifyIn, "reject": StaffRequiredNote, "postpone": PostponeIn,
    "forward": ForwardIn, "reroute": RerouteIn, "duplicate": DuplicateIn,
    "archive": StaffRequiredNote, "accept": StaffOptionalNote, "start": StaffOptionalNote,
    "resolve": StaffRequiredNote, "hand_back": StaffRequiredNote, "confirm": OptionalNote,
    "reopen": RequiredNote, "rate": RateIn, "escalate": EscalateIn,
    "dispatch": DispatchIn, "visit": StaffRequiredNote,
}
