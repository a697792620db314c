"""What sysadmins may send when adding or changing an agency or a category."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from aduan.contracts.base import Strict
from aduan.contracts.fields import EMAIL_PATTERN, AgencyCode, CategoryCode, Text
from aduan.domain.report_types import NEEDS, REPORT_TYPES

Email = Annotated[Text, Field(max_length=254, pattern=EMAIL_PATTERN)]
# A desk's number, not a person's mobile: short service numbers (PLN's 123, the police's 110)
# and landlines are welcome, so it is not `contact_details.normalize_phone`'s mobile rule.
Phone = Annotated[Text, Field(pattern=r"^\+?[0-9][0-9 -]{2,19}$")]


class Contact(Strict):
    """An agency's external complaints desk (a vertical body's call centre, say); the people
    who work at an agency are users."""

    email: Email | None = None
    phone: Phone | None = None
    address: Annotated[Text, Field(max_length=300)] | None = None
    website: Annotated[Text, Field(max_length=300, pattern=r"^https?://\S+$")] | None = None


class AgencyPatch(Strict):
    name_id: Annotated[Text, Field(min_length=2, max_length=200)] | None = None
    name_en: Annotated[Text, Field(min_length=2, max_length=200)] | None = None
    contact: Contact | None = None
    active: bool | None = None


class AgencyIn(AgencyPatch):
    code: AgencyCode
    kind: Literal["opd", "vertical"]
    name_id: Annotated[Text, Field(min_length=2, max_length=200)]
    name_en: Annotated[Text, Field(min_length=2, max_length=200)]


class SlaOverride(Strict):
    """Working days; a target left out is the setting's (ADUAN_SLA_*_DAYS)."""

    forward_days: Annotated[int, Field(ge=0, le=60)] | None = None
    follow_up_days: Annotated[int, Field(ge=0, le=60)] | None = None
    resolution_days: Annotated[int, Field(ge=1, le=365)] | None = None


Need = Literal[NEEDS]  # type: ignore[valid-type]
ReportType = Literal[REPORT_TYPES]  # type: ignore[valid-type]


class TypeNeeds(Strict):
    """What a report of one type in the category must bring (`aduan.domain.report_types`), and
    its resolution target in working days where the type's default does not fit."""

    photo: Need
    location: Need
    resolution_days: Annotated[int, Field(ge=1, le=365)] | None = None


class CategoryPatch(Strict):
    name_id: Annotated[Text, Field(min_length=2, max_length=100)] | None = None
    name_en: Annotated[Text, Field(min_length=2, max_length=100)] | None = None
    # Agency codes, or "@kecamatan" for the office of the report's kecamatan.
    agencies: Annotated[list[Annotated[str, Field(pattern=r"^(@kecamatan|[A-Z][A-Z0-9-]{1,29})$")]],
                        Field(max_length=10)] | None = None
    refer_to: AgencyCode | None = None
    sla: SlaOverride | None = None
    # The report types the category accepts (its keys) and what each asks for; sent whole,
    # null for the defaults (`report_types.DEFAULT_TYPES`).
    types: Annotated[dict[ReportType, TypeNeeds], Field(min_length=1)] | None = None
    # The words an SMS report of this category may start with (aduan/domain/sms_commands.py),
    # sent whole; null for the shipped ones (aduan/data/sms_keywords.json).
    sms_keywords: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z0-9]{2,20}$")]],
                            Field(max_length=10)] | None = None


class CategoryIn(CategoryPatch):
    code: CategoryCode
    name_id: Annotated[Text, Field(min_length=2, max_length=100)]
    name_en: Annotated[Text, Field(min_length=2, max_length=100)]
