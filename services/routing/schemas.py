"""What staff and reporters may send with each workflow action and catalogue edit."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from aduan.domain.codes import CODE_PATTERN
from aduan.web.validation import Strict

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Note = Annotated[Text, Field(min_length=1, max_length=2000)]
AgencyCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{1,29}$")]
ReportCode = Annotated[str, Field(pattern=rf"^{CODE_PATTERN}$")]
CategoryCode = Annotated[str, Field(pattern=r"^[a-z_]{2,40}$")]


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


class Person(Strict):
    title: Annotated[Text, Field(max_length=200)] | None = None
    name: Annotated[Text, Field(max_length=200)] | None = None
    email: Annotated[Text, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        None)
    phone: Annotated[Text, Field(pattern=r"^\+?[0-9][0-9 -]{2,19}$")] | None = None


class Contact(Strict):
    email: Annotated[Text, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        None)
    phone: Annotated[Text, Field(pattern=r"^\+?[0-9][0-9 -]{2,19}$")] | None = None
    address: Annotated[Text, Field(max_length=300)] | None = None
    website: Annotated[Text, Field(max_length=300, pattern=r"^https?://\S+$")] | None = None


class AgencyPatch(Strict):
    name_id: Annotated[Text, Field(min_length=2, max_length=200)] | None = None
    name_en: Annotated[Text, Field(min_length=2, max_length=200)] | None = None
    contact: Contact | None = None
    head: Person | None = None
    liaisons: Annotated[list[Person], Field(max_length=20)] | None = None
    active: bool | None = None


class AgencyIn(AgencyPatch):
    code: AgencyCode
    kind: Literal["opd", "vertical"]
    name_id: Annotated[Text, Field(min_length=2, max_length=200)]
    name_en: Annotated[Text, Field(min_length=2, max_length=200)]


class SlaOverride(Strict):
    forward_days: Annotated[int, Field(ge=0, le=60)] | None = None
    follow_up_days: Annotated[int, Field(ge=0, le=60)] | None = None


class CategoryPatch(Strict):
    name_id: Annotated[Text, Field(min_length=2, max_length=100)] | None = None
    name_en: Annotated[Text, Field(min_length=2, max_length=100)] | None = None
    # Agency codes, or "@kecamatan" for the office of the report's kecamatan.
    agencies: Annotated[list[Annotated[str, Field(pattern=r"^(@kecamatan|[A-Z][A-Z0-9-]{1,29})$")]],
                        Field(max_length=10)] | None = None
    refer_to: AgencyCode | None = None
    sla: SlaOverride | None = None


class CategoryIn(CategoryPatch):
    code: CategoryCode
    name_id: Annotated[Text, Field(min_length=2, max_length=100)]
    name_en: Annotated[Text, Field(min_length=2, max_length=100)]
