"""SLA deadlines in working days: weekends, public holidays, joint leave, year ends, time zones."""

from datetime import UTC, date, datetime, timedelta

import pytest

from aduan.infra.calendar import WorkCalendar, calendar_from_setting
from aduan.infra.config import Settings
from aduan.infra.deadlines import Deadlines

CALENDAR = WorkCalendar()
WIB = "Asia/Jakarta"


def local_end_of(day: date, offset_hours: int = 7) -> datetime:
    """The UTC instant of the local midnight that ends `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        days=1, hours=-offset_hours)


def due(start: datetime, days: int, zone: str = WIB) -> datetime:
    return CALENDAR.add_working_days(start, days, zone)


def test_within_one_week():
    # Monday 2025-06-02 10:00 WIB + 3 working days: Tue, Wed, Thu.
    assert due(datetime(2025, 6, 2, 3, 0, tzinfo=UTC), 3) == local_end_of(date(2025, 6, 5))


def test_weekends_are_skipped():
    # Thursday 2025-07-10 + 3: Fri, (Sat, Sun), Mon, Tue.
    assert due(datetime(2025, 7, 10, 3, 0, tzinfo=UTC), 3) == local_end_of(date(2025, 7, 15))


def test_a_report_on_saturday_counts_from_monday():
    assert due(datetime(2025, 7, 12, 3, 0, tzinfo=UTC), 1) == local_end_of(date(2025, 7, 14))


def test_public_holiday_on_a_weekday_is_skipped():
    # Independence Day, Monday 2026-08-17: Friday 14th + 3 → Tue 18, Wed 19, Thu 20.
    assert due(datetime(2026, 8, 14, 3, 0, tzinfo=UTC), 3) == local_end_of(date(2026, 8, 20))


def test_eid_and_its_joint_leave_days_are_skipped():
    # 2025: Fri 28 Mar joint leave, Mon 31 Mar and Tue 1 Apr Eid al-Fitr, 2-4 and 7 Apr joint
    # leave. Thursday 27 Mar + 3 → 8, 9, 10 April.
    assert due(datetime(2025, 3, 27, 3, 0, tzinfo=UTC), 3) == local_end_of(date(2025, 4, 10))


def test_joint_leave_counts_as_working_day_when_only_public_holidays_are_kept():
    public_only = calendar_from_setting("public")
    assert public_only.is_working_day(date(2025, 4, 2))
    assert not CALENDAR.is_working_day(date(2025, 4, 2))
    assert not public_only.is_working_day(date(2025, 3, 31))


def test_across_christmas_and_the_year_end():
    # Wed 24 Dec 2025 + 3: 25 Christmas, 26 joint leave, weekend → 29, 30, 31 Dec.
    assert due(datetime(2025, 12, 24, 3, 0, tzinfo=UTC), 3) == local_end_of(date(2025, 12, 31))
    # Tue 30 Dec 2025 + 3: 31 Dec, (1 Jan New Year), 2 Jan, (weekend), 5 Jan 2026.
    assert due(datetime(2025, 12, 30, 3, 0, tzinfo=UTC), 3) == local_end_of(date(2026, 1, 5))


def test_ten_working_days_across_the_year_end():
    # Mon 15 Dec 2025 + 10: 16-19 (4), 22-24 (7), 29-31 (10) → Wed 31 Dec.
    assert due(datetime(2025, 12, 15, 3, 0, tzinfo=UTC), 10) == local_end_of(date(2025, 12, 31))


def test_the_day_is_the_city_s_local_day():
    # 2025-06-02 17:30 UTC is Monday in UTC but Tuesday 00:30 in WIB and 01:30 in WITA.
    start = datetime(2025, 6, 2, 17, 30, tzinfo=UTC)
    assert due(start, 1, WIB) == local_end_of(date(2025, 6, 4), 7)
    assert due(start, 1, "Asia/Makassar") == local_end_of(date(2025, 6, 4), 8)
    # 16:30 UTC is still Monday 23:30 in WIB but already Tuesday in WITA.
    earlier = datetime(2025, 6, 2, 16, 30, tzinfo=UTC)
    assert due(earlier, 1, WIB) == local_end_of(date(2025, 6, 3), 7)
    assert due(earlier, 1, "Asia/Makassar") == local_end_of(date(2025, 6, 4), 8)


def test_zero_days_means_by_the_end_of_the_same_day():
    assert due(datetime(2025, 6, 2, 3, 0, tzinfo=UTC), 0) == local_end_of(date(2025, 6, 2))


@pytest.mark.parametrize("category, forward, follow_up", [
    (None, 3, 5),
    ({"code": "waste"}, 3, 5),
    ({"code": "fire", "sla": {"forward_days": 1, "follow_up_days": 1}}, 1, 1),
    ({"code": "permits", "sla": {"follow_up_days": 10, "forward_days": None}}, 3, 10),
])
def test_per_category_overrides(category, forward, follow_up):
    deadlines = Deadlines(Settings(), CALENDAR)
    assert deadlines.forward_days(category) == forward
    assert deadlines.follow_up_days(category) == follow_up
    start = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)  # Monday
    assert deadlines.forward_due("padang", category, start) == due(start, forward)
    assert deadlines.follow_up_due("kotamobagu", category, start) == due(
        start, follow_up, "Asia/Makassar")
