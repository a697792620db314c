"""GET requests: its parameters, the 90-day rule and the query of intake's public list they
become.

Every value is checked into a plain type first, so nothing but these parameters reaches intake;
intake's public list keeps the visibility rule (aduan.domain.visibility): no confidential
report, and only reports that staff or the photo checks have let through, also when asked for
by their service_request_id.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aduan.domain.codes import CODE_PATTERN
from aduan.domain.visibility import PUBLIC_STATUSES
from aduan.web.errors import ApiError
from gateway.open311.mapping import statuses_for

MAX_SPAN = timedelta(days=90)


class RequestsQuery(BaseModel):
    # Open311 clients send parameters of their own (api_key, extensions, …): ignored.
    model_config = ConfigDict(extra="ignore")

    service_request_id: Annotated[
        str, Field(pattern=rf"^{CODE_PATTERN}(,{CODE_PATTERN}){{0,99}}$")] | None = None
    service_code: Annotated[str, Field(pattern=r"^[a-z_]{2,40}(,[a-z_]{2,40}){0,49}$")] | None \
        = None
    start_date: str | None = None
    end_date: str | None = None
    status: Annotated[str, Field(pattern=r"^(open|closed)(,(open|closed))?$")] | None = None
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=200)] = 50

    @field_validator("start_date", "end_date")
    @classmethod
    def _iso_8601(cls, value: str | None) -> str | None:
        if value is not None:
            _parse_moment(value, None)
        return value


def _parse_moment(value: str, city_zone: tzinfo | None) -> datetime:
    """An ISO 8601 date or datetime; one without an offset is the city's local time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(value), time.min)
        except ValueError as err:
            raise ValueError("not an ISO 8601 date or datetime") from err
    if moment.tzinfo is None and city_zone is not None:
        moment = moment.replace(tzinfo=city_zone)
    return moment


def parse(args: dict[str, str]) -> RequestsQuery:
    try:
        return RequestsQuery.model_validate(args)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in err.errors(include_url=False, include_input=False))
        raise ApiError(400, "validation_failed", f"Invalid parameters: {problems}") from err


def date_range(query: RequestsQuery, city_zone: tzinfo, now: datetime
               ) -> tuple[datetime, datetime]:
    """The spec's rule: the last 90 days by default, one bound given means the 90 days from or
    to it, and a span over 90 days is refused."""
    start = _parse_moment(query.start_date, city_zone) if query.start_date else None
    end = _parse_moment(query.end_date, city_zone) if query.end_date else None
    try:
        if start is None and end is None:
            end = now
        if start is None:
            start = end - MAX_SPAN  # type: ignore[operator]
        if end is None:
            end = start + MAX_SPAN
    except OverflowError as err:
        raise ApiError(400, "date_out_of_range", "start_date or end_date is out of range.") \
            from err
    if end < start:
        raise ApiError(400, "invalid_date_range", "end_date is before start_date.")
    if end - start > MAX_SPAN:
        raise ApiError(400, "date_range_too_long",
                       "start_date and end_date may be at most 90 days apart.")
    return start, end


def intake_params(query: RequestsQuery, city: str, city_zone: tzinfo, now: datetime
                  ) -> dict[str, str]:
    """The query of intake's public list (full rows) for these parameters."""
    params = {"city": city, "detail": "full"}
    if query.service_request_id:
        # The spec: other parameters are ignored when ids are given (not the public rule).
        return params | {"code": query.service_request_id}
    start, end = date_range(query, city_zone, now)
    params |= {"created_since": start.isoformat(), "created_until": end.isoformat()}
    wanted = set(query.status.split(",")) if query.status else {"open", "closed"}
    params["status"] = ",".join(statuses_for(wanted, PUBLIC_STATUSES))
    if query.service_code:
        params["category"] = query.service_code
    return params
