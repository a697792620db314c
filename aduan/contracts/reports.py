"""What a client may send when submitting a report, and when commenting on one."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from aduan.contracts.base import Strict
from aduan.contracts.fields import EMAIL_PATTERN, CategoryCode, CityCode, Text

Latitude = Annotated[float, Field(strict=True, ge=-90, le=90)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180)]

CHANNELS = ("app", "web", "open311", "call_centre", "sp4n_lapor", "media", "walk_in")
PRIVACY_LEVELS = ("public", "anonymous", "confidential")


class Location(Strict):
    lat: Latitude
    lon: Longitude
    address: Annotated[Text, Field(max_length=300)] | None = None


class Reporter(Strict):
    name: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    email: Annotated[Text, Field(max_length=254, pattern=EMAIL_PATTERN)] | None = None
    phone: Annotated[Text, Field(pattern=r"^\+?[0-9][0-9 -]{5,19}$")] | None = None
    language: Literal["id", "en"] = "id"


class ReportIn(Strict):
    city: CityCode | None = None
    category: CategoryCode
    description: Annotated[Text, Field(min_length=10, max_length=2000)]
    location: Location
    channel: Literal[CHANNELS] = "app"  # type: ignore[valid-type]
    privacy: Literal[PRIVACY_LEVELS] = "public"  # type: ignore[valid-type]
    reporter: Reporter | None = None


class CommentIn(Strict):
    text: Annotated[str, Field(min_length=1, max_length=2000)]
