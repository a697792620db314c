"""What a client may send when submitting a report, and when commenting on one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from aduan.contracts.base import Strict
from aduan.contracts.fields import EMAIL_PATTERN, CategoryCode, CityCode, Text
from aduan.domain.report_types import DEFAULT_TYPE, REPORT_TYPES

Latitude = Annotated[float, Field(strict=True, ge=-90, le=90)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180)]

CHANNELS = ("app", "web", "open311", "call_centre", "sp4n_lapor", "media", "walk_in",
            "social_media", "whatsapp", "sms")
PRIVACY_LEVELS = ("public", "anonymous", "confidential")


class Location(Strict):
    """A point, with an address if known; a staff channel may give only the address a caller
    told (no geocoding: the report then has no point, and no kecamatan)."""

    lat: Latitude | None = None
    lon: Longitude | None = None
    address: Annotated[Text, Field(min_length=1, max_length=300)] | None = None

    @model_validator(mode="after")
    def _point_or_address(self) -> Location:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon come together")
        if self.lat is None and self.address is None:
            raise ValueError("a location is a point (lat, lon) or an address")
        return self

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class DeviceLocation(Strict):
    """The phone's own location reading when the photo was taken (a second proof beside the
    photo's GPS; `location` is where the problem is and may be picked on a map)."""

    lat: Latitude
    lon: Longitude
    accuracy_m: Annotated[float, Field(ge=0, le=100_000)]
    taken_at: Annotated[datetime, Field(strict=False)] | None = None


# A resumable upload's id (services/intake/resumable.py).
UploadId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class Reporter(Strict):
    name: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    email: Annotated[Text, Field(max_length=254, pattern=EMAIL_PATTERN)] | None = None
    phone: Annotated[Text, Field(pattern=r"^\+?[0-9][0-9 -]{5,19}$")] | None = None
    language: Literal["id", "en"] = "id"


class ReportIn(Strict):
    city: CityCode | None = None
    category: CategoryCode
    description: Annotated[Text, Field(min_length=10, max_length=2000)]
    # complaint (pengaduan), aspiration (aspirasi), information_request (permintaan informasi)
    type: Literal[REPORT_TYPES] = DEFAULT_TYPE  # type: ignore[valid-type]
    # Optional where the category lets the type go without one (aduan.domain.report_types).
    location: Location | None = None
    channel: Literal[CHANNELS] = "app"  # type: ignore[valid-type]
    privacy: Literal[PRIVACY_LEVELS] = "public"  # type: ignore[valid-type]
    reporter: Reporter | None = None
    # Set by the gateway's Open311 when the client's media_url gave no photo: the reason
    # (gateway/open311/media.py), kept on the report for the operators who review it.
    media_fetch_failed: Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")] | None = None
    # The report's id in the system it came from (a LAPOR! Tracking ID, a WhatsApp message
    # id): only from a connector (aduan.web.app.CHANNEL_HEADER), kept as `external`.
    external_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:=+/-]{1,128}$")] | None = None
    # Photos sent beforehand in chunks, filed with the report (beside any `photo` parts).
    uploads: Annotated[list[UploadId], Field(max_length=5, default_factory=list)]
    device_location: DeviceLocation | None = None


class CommentIn(Strict):
    text: Annotated[str, Field(min_length=1, max_length=2000)]
