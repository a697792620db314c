"""Indonesia's three time zones by their usual names: what messages and the console print after
a local time (a city's zone is `timezone` in aduan/data/cities.json)."""

from __future__ import annotations

ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
              "Asia/Jayapura": "WIT"}


def zone_name(zone: str) -> str:
    """"WIB" for Asia/Jakarta; the zone's own name for one outside Indonesia."""
    return ZONE_NAMES.get(zone, zone)
