"""Report lists: the query parameters clients may use and the MongoDB filters they become.
Every value is validated into a plain type first, so no query operator can be smuggled in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from aduan.contracts.queries import ListQuery, PublicListQuery, StaffListQuery
from aduan.domain.keywords import keywords
from aduan.domain.lifecycle import officer_tasks_filter, overdue_filter
from aduan.domain.report_types import DEFAULT_TYPE
from aduan.domain.stages import statuses_in_kiniko_stage
from aduan.domain.visibility import public_conditions, staff_conditions
from aduan.web.auth import Principal


def _common_filter(query: ListQuery, city_zone: tzinfo) -> dict[str, Any]:
    """Dates are calendar days of the city's own time zone."""
    conditions: dict[str, Any] = {}
    if query.status:
        conditions["status"] = {"$in": query.status.split(",")}
    if query.category:
        conditions["category"] = {"$in": query.category.split(",")}
    if query.type:
        conditions["type"] = type_condition(query.type.split(","))
    if query.kecamatan:
        conditions["kecamatan.code"] = query.kecamatan
    if query.bbox:
        # A map's box is a range of latitudes and longitudes (not a spherical polygon, whose
        # edges bend away from the parallels); an ordinary index serves it.
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in query.bbox.split(","))
        conditions["location.lat"] = {"$gte": min_lat, "$lte": max_lat}
        conditions["location.lon"] = {"$gte": min_lon, "$lte": max_lon}
    created: dict[str, datetime] = {}
    if query.date_from and (start := _day_start_utc(query.date_from, 0, city_zone)):
        created["$gte"] = start
    if query.date_to and (end := _day_start_utc(query.date_to, 1, city_zone)):
        created["$lt"] = end
    if created:
        conditions["created_at"] = created
    return conditions


def type_condition(types: list[str]) -> dict[str, Any]:
    """Reports stored before types existed have no `type`: they are complaints (`$in` with
    null matches a missing field)."""
    return {"$in": [*types, None] if DEFAULT_TYPE in types else types}


def _day_start_utc(day: date, days_later: int, city_zone: tzinfo) -> datetime | None:
    """Midnight of `day` + `days_later` in the city, in UTC; None when that lies outside what
    a datetime holds (0001-01-01 in UTC+7, 9999-12-31 + 1): such a bound excludes nothing."""
    try:
        return datetime.combine(day + timedelta(days=days_later), time.min,
                                city_zone).astimezone(UTC)
    except OverflowError:
        return None


def public_filter(query: PublicListQuery, city: str, city_zone: tzinfo) -> dict[str, Any]:
    """What anyone may list (aduan.domain.visibility), narrowed by the query."""
    conditions = _common_filter(query, city_zone)
    conditions.update(public_conditions(set(query.status.split(",")) if query.status else None))
    conditions["city"] = city
    if query.code:
        codes = query.code.split(",")
        conditions["code"] = codes[0] if len(codes) == 1 else {"$in": codes}
    if query.id:
        conditions["_id"] = query.id
    created = conditions.get("created_at", {})
    if query.created_since and (since := _utc(query.created_since)):
        created["$gte"] = max(since, created.get("$gte", since))
    if query.created_until and (until := _utc(query.created_until)):
        created["$lte"] = until
    if created:
        conditions["created_at"] = created
    return conditions


def _utc(moment: datetime) -> datetime | None:
    """`moment` in UTC; None beyond what a datetime holds (such a bound excludes nothing)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def staff_filter(query: StaffListQuery, principal: Principal, city_zone: tzinfo,
                 now: datetime) -> dict[str, Any]:
    conditions = _common_filter(query, city_zone)
    conditions.update(staff_conditions(principal))
    if not principal.is_agency and query.agency:
        conditions["agencies.code"] = query.agency
    if query.channel:
        conditions["channel"] = {"$in": query.channel.split(",")}
    if query.code:
        conditions["code"] = query.code
    if query.text:
        words = keywords(query.text)
        if words:
            conditions["keywords"] = {"$all": words}
    clauses = [conditions]
    if query.stage:
        clauses.append({"status": {"$in": statuses_in_kiniko_stage(query.stage)}})
    if query.overdue:
        late = overdue_filter(now, principal.agency if principal.is_agency else None)
        clauses.append(late if query.overdue == "true" else {"$nor": [late]})
    if query.assigned_to:
        clauses.append(officer_tasks_filter(principal.agency or "", principal.user_id))
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
