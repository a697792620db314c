"""Report list date filters at the edges of the calendar: a bound beyond what a datetime holds
excludes nothing instead of failing (found by the OpenAPI fuzz test: `from=0001-01-01`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.intake.queries import ListQuery, _common_filter

WIB = ZoneInfo("Asia/Jakarta")


def _created(**params: str) -> dict | None:
    return _common_filter(ListQuery.model_validate(params), WIB).get("created_at")


def test_days_are_the_city_s_calendar_days_in_utc() -> None:
    assert _created(**{"from": "2026-03-01", "to": "2026-03-01"}) == {
        "$gte": datetime(2026, 2, 28, 17, tzinfo=UTC),
        "$lt": datetime(2026, 3, 1, 17, tzinfo=UTC),
    }


def test_a_bound_beyond_the_datetime_range_excludes_nothing() -> None:
    assert _created(**{"from": "0001-01-01"}) is None
    assert _created(**{"to": "9999-12-31"}) is None
    assert _created(**{"from": "0001-01-01", "to": "2026-03-01"}) == {
        "$lt": datetime(2026, 3, 1, 17, tzinfo=UTC)}
    assert _created(**{"from": "9999-12-31"}) == {"$gte": datetime(9999, 12, 30, 17, tzinfo=UTC)}
    # Year 1 in Jakarta is local mean time (+07:07:12): still a real bound.
    assert _created(**{"to": str(date(1, 1, 1))}) == {
        "$lt": datetime(1, 1, 2, tzinfo=WIB).astimezone(UTC)}
