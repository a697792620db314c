"""The workflow actions over HTTP: who may call which (by kind of caller) and what each takes."""

from __future__ import annotations

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


class ForwardIn(StaffOptionalNote):
    agencies: Annotated[list[AgencyCode], Field(min_length=1, max_length=10)]
    _unique = field_validator("agencies")(_unique)


class RerouteIn(StaffRequiredNote):
    agencies: Annotated[list[AgencyCode], Field(min_length=1, max_length=10)]
    _unique = field_validator("agencies")(_unique)


class DuplicateIn(StaffOptionalNote):
    of: ReportCode


class RateIn(Strict):
    score: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[Text, Field(max_length=1000)] | None = None


# The body of each workflow action (who may take it: aduan.domain.lifecycle.ACTIONS).
MODELS: dict[str, type[BaseModel]] = {
    "verify": StaffOptionalNote, "reject": StaffRequiredNote, "postpone": StaffRequiredNote,
    "forward": ForwardIn, "reroute": RerouteIn, "duplicate": DuplicateIn,
    "archive": StaffRequiredNote, "accept": StaffOptionalNote, "start": StaffOptionalNote,
    "resolve": StaffRequiredNote, "hand_back": StaffRequiredNote, "confirm": OptionalNote,
    "reopen": RequiredNote, "rate": RateIn,
}
