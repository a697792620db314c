"""Service levels: how many working days each step may take, per category where it overrides
the city-wide settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aduan.infra.calendar import WorkCalendar, calendar_from_setting
from aduan.infra.catalogue import cities
from aduan.infra.config import Settings


class Deadlines:
    def __init__(self, settings: Settings, calendar: WorkCalendar) -> None:
        self.settings = settings
        self.calendar = calendar

    @classmethod
    def from_settings(cls, settings: Settings) -> Deadlines:
        """In the working days of the settings' holiday calendar."""
        return cls(settings, calendar_from_setting(settings.holiday_categories))

    def _days(self, category: dict[str, Any] | None, key: str, default: int) -> int:
        override = ((category or {}).get("sla") or {}).get(key)
        return int(override) if override is not None else default

    def forward_days(self, category: dict[str, Any] | None) -> int:
        return self._days(category, "forward_days", self.settings.sla_forward_days)

    def follow_up_days(self, category: dict[str, Any] | None) -> int:
        return self._days(category, "follow_up_days", self.settings.sla_follow_up_days)

    def forward_due(self, city: str, category: dict[str, Any] | None, start: datetime
                    ) -> datetime:
        return self._add(city, start, self.forward_days(category))

    def follow_up_due(self, city: str, category: dict[str, Any] | None, start: datetime
                      ) -> datetime:
        return self._add(city, start, self.follow_up_days(category))

    def resolution_days(self, category: dict[str, Any] | None) -> int:
        return self._days(category, "resolution_days", self.settings.sla_resolution_days)

    def resolution_due(self, city: str, category: dict[str, Any] | None, start: datetime
                       ) -> datetime:
        return self._add(city, start, self.resolution_days(category))

    def auto_close_at(self, city: str, start: datetime) -> datetime:
        return self._add(city, start, self.settings.auto_close_days)

    def _add(self, city: str, start: datetime, days: int) -> datetime:
        return self.calendar.add_working_days(start, days, cities()[city]["timezone"])
