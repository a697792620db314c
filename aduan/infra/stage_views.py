"""Which stage view each city shows (`stages` in aduan/data/cities.json, read through
`aduan.domain.stages.stage_view`): the console's stage bar, the workflow view and the
statistics' counts by stage all take it from here."""

from __future__ import annotations

from functools import cache
from typing import Any

from aduan.domain.stages import DEFAULT_VIEW, StageView, stage_view
from aduan.domain.time_zones import zone_name
from aduan.infra.catalogue import cities


@cache
def city_stage_view(city: str) -> StageView:
    """The city's view; a city not served gets the default one."""
    config = cities().get(city)
    return DEFAULT_VIEW if config is None else stage_view(config.get("stages"), name=city)


def console_city_stages() -> dict[str, dict[str, Any]]:
    """Per city, the view it shows and its stages with their names, and its time zone (IANA
    `timezone` and its name, `zone`: WIB, WITA, WIT), for /names.json: the console shows every
    time in the report's city's zone, whatever the browser's."""
    return {city: {"view": city_stage_view(city).name,
                   "stages": city_stage_view(city).names(),
                   "timezone": config.get("timezone", "Asia/Jakarta"),
                   "zone": zone_name(config.get("timezone", "Asia/Jakarta"))}
            for city, config in sorted(cities().items())}
