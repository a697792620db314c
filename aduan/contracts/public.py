"""What anyone may ask of the public side beside the list: the reports near a place (while
filing one), following a report ("me too"), and the agencies' scorecard."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aduan.contracts.base import Strict
from aduan.contracts.fields import EMAIL_PATTERN, CategoryCode, CityCode, Text

# Query strings arrive as text: these parse numbers (not strict), and take nothing unknown.
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class NearbyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: CityCode | None = None
    category: CategoryCode
    lat: Latitude
    lon: Longitude


class FollowerIn(Strict):
    """A resident following a report: an email address or a phone number (one at least), and
    the language of the messages."""

    email: Annotated[Text, Field(max_length=254, pattern=EMAIL_PATTERN)] | None = None
    phone: Annotated[Text, Field(pattern=r"^\+?[0-9][0-9 -]{5,19}$")] | None = None
    language: Literal["id", "en"] = "id"

    @model_validator(mode="after")
    def _a_contact(self) -> FollowerIn:
        if not self.email and not self.phone:
            raise ValueError("an email address or a phone number is required")
        return self


SCORECARD_DAYS = (30, 90)


class ScorecardQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: CityCode | None = None
    days: Literal["30", "90"] = "30"
