"""Working days: Monday to Friday, less Indonesia's public holidays and, by default, the joint
leave days (cuti bersama) on which government offices close, from the `holidays` package."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays


class WorkCalendar:
    def __init__(self, categories: tuple[str, ...] = ("public", "government")) -> None:
        self._holidays = holidays.country_holidays("ID", categories=categories)
        self._lock = threading.Lock()  # the holiday table fills in a year at a time

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        with self._lock:
            return day not in self._holidays

    def add_working_days(self, start: datetime, days: int, timezone: str) -> datetime:
        """The deadline `days` working days after `start`: the end of the last of those days
        in the city's time zone (returned in UTC, as the next local midnight). Counting starts
        on the day after `start`, whatever the hour of `start`."""
        zone = ZoneInfo(timezone)
        day = start.astimezone(zone).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def calendar_from_setting(categories: str) -> WorkCalendar:
    return WorkCalendar(tuple(part.strip() for part in categories.split(",") if part.strip()))
