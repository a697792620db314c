"""The query parameters of report lists. Every value is validated into a plain type, so no
query operator can be smuggled into the filter it becomes (services/intake/queries.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from aduan.contracts.fields import CityCode, ReportCode
from aduan.domain.codes import CODE_PATTERN
from aduan.domain.report_types import REPORT_TYPES
from aduan.domain.stages import KINIKO_STAGES

SORTS = ("created_at", "-created_at", "updated_at", "-updated_at")
CSV = Annotated[str, Field(pattern=r"^[a-z_]+(,[a-z_]+)*$", max_length=300)]


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CSV | None = None
    category: CSV | None = None
    type: CSV | None = None  # report types (aduan.domain.report_types.REPORT_TYPES)
    kecamatan: Annotated[str, Field(pattern=r"^[0-9.]{2,20}$")] | None = None
    bbox: str | None = None
    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = 20
    sort: Literal[SORTS] = "-created_at"  # type: ignore[valid-type]

    @field_validator("type")
    @classmethod
    def _types(cls, value: str | None) -> str | None:
        unknown = [t for t in (value or "").split(",") if value and t not in REPORT_TYPES]
        if unknown:
            raise ValueError(f"type is one or more of {', '.join(REPORT_TYPES)}")
        return value

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = value.split(",")
        try:
            min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
        except ValueError as err:
            raise ValueError("bbox is min_lon,min_lat,max_lon,max_lat") from err
        if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
            raise ValueError("bbox corners are out of range or not in order")
        return value


class PublicListQuery(ListQuery):
    city: CityCode | None = None
    format: Literal["json", "geojson"] = "json"
    # For clients that mirror the public list (Open311 at the gateway): reports by their codes
    # (up to 100) or by the id a submission's receipt gave, creation between two moments
    # (inclusive), `detail=full` rows (the public view without history and comments), and no
    # count of all matches (`with_total=false`: `total` is null; counting costs a second query).
    code: Annotated[str, Field(pattern=rf"^{CODE_PATTERN}(,{CODE_PATTERN}){{0,99}}$")] | None \
        = None
    id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] | None = None
    created_since: AwareDatetime | None = None
    created_until: AwareDatetime | None = None
    detail: Literal["summary", "full"] = "summary"
    with_total: bool = True


class StaffListQuery(ListQuery):
    agency: Annotated[str, Field(pattern=r"^[A-Z0-9_.-]{2,40}$")] | None = None
    channel: CSV | None = None
    text: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    code: ReportCode | None = None
    stage: Literal[tuple(KINIKO_STAGES)] | None = None  # type: ignore[valid-type]
    overdue: Literal["true", "false"] | None = None
    # An officer's tasks: the reports its agency's assignment is dispatched to it on.
    assigned_to: Literal["me"] | None = None
