"""Possible duplicates of a report: earlier open reports of the same category close by (place),
or with a near-identical photo (photo). Operators see them on the report's page and may mark
the report a duplicate of one in one click; nothing is decided here.

Pure: the verification worker reads the candidates (services/verification/places.py) and the
photo match, and stores what `possible_duplicates` returns with its verdict.

Candidates are found by `place_key`: the category, the cell of a fixed grid (CELL_DEGREES
of latitude by as many of longitude, ~111 m at the equator) the report lies in and the period
(PERIOD_DAYS) it was made in, stored on each judged report and indexed with the city. The cells
that meet the box around a place within the radius, over the periods the window meets, hold
every report that near and that recent, and hardly an older one: a busy street's years of
reports never crowd out this week's. An equality `$in` on one indexed field is what MongoDB and
SecantusDB alike answer from the index (SecantusDB scans the whole collection for a box of two
ranges over (city, location.lat, location.lon), or for `$in` with a range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aduan.domain.geo import EARTH_RADIUS_M
from aduan.domain.lifecycle import TERMINAL
from aduan.domain.visibility import is_public

METRES_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_M / 360
CELL_DEGREES = 0.001
PERIOD_DAYS = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A radius of a few hundred metres meets ~50 cells; past this many, the look-up is skipped
# rather than asking the index for thousands of keys.
MAX_CELLS = 400
# Nobody works on these any more: a duplicate of one would be lost with it.
CLOSED = TERMINAL | {"rejected"}
MAX_LISTED = 10


@dataclass(frozen=True)
class Nearness:
    radius_m: float
    window: timedelta

    @property
    def enabled(self) -> bool:
        return self.radius_m > 0 and self.window > timedelta(0)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (math.sin(dlat / 2) ** 2
         + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(a, 1.0)))


def bounding_box(lat: float, lon: float, radius_m: float
                 ) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lon, max lon) of a box holding every point within `radius_m`."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _cell(degrees: float) -> int:
    return math.floor(degrees / CELL_DEGREES)


def _period(at: datetime) -> int:
    return (at - EPOCH).days // PERIOD_DAYS


def place_key(category: str, lat: float, lon: float, at: datetime) -> str:
    return f"{category}|{_cell(lat)}|{_cell(lon)}|{_period(at)}"


def place_keys_around(category: str, lat: float, lon: float, radius_m: float,
                      since: datetime, until: datetime) -> list[str]:
    """The keys of the cells that meet the box holding every point within `radius_m`, in the
    periods from `since` to `until` (empty past MAX_CELLS cells)."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
    rows = range(_cell(min_lat), _cell(max_lat) + 1)
    columns = range(_cell(min_lon), _cell(max_lon) + 1)
    if len(rows) * len(columns) > MAX_CELLS:
        return []
    periods = range(_period(since), _period(until) + 1)
    return [f"{category}|{row}|{column}|{period}"
            for row in rows for column in columns for period in periods]


def window_start(report: dict[str, Any], nearness: Nearness) -> datetime:
    return report["created_at"] - nearness.window


def near_by_place(report: dict[str, Any], candidates: list[dict[str, Any]],
                  nearness: Nearness) -> list[dict[str, Any]]:
    """The candidates that are earlier open reports of the report's city and category, made
    within the window before it and within the radius, nearest first."""
    here = report["location"]
    since = window_start(report, nearness)
    found = []
    for other in candidates:
        if (other["_id"] == report["_id"] or other.get("city") != report["city"]
                or other.get("category") != report["category"]
                or other.get("status") in CLOSED
                or not since <= other["created_at"] < report["created_at"]):
            continue
        where = other["location"]
        metres = distance_m(here["lat"], here["lon"], where["lat"], where["lon"])
        if metres <= nearness.radius_m:
            found.append((metres, other["created_at"], other))
    found.sort(key=lambda item: (item[0], item[1]))
    return [{"code": other["code"], "report_id": other["_id"], "distance_m": round(metres, 1),
             "reasons": ["place"]} for metres, _, other in found]


def possible_duplicates(report: dict[str, Any], by_place: list[dict[str, Any]],
                        by_photo: dict[str, Any] | None, photo_original: dict[str, Any] | None
                        ) -> list[dict[str, Any]]:
    """The list stored on the report: the photo match first (`by_photo`: {report_id, code,
    distance}; `photo_original`: that report, if it still exists), then the place matches;
    a report found both ways appears once, with both reasons."""
    listed: list[dict[str, Any]] = []
    if (by_photo is not None and photo_original is not None
            and photo_original.get("status") not in CLOSED
            and photo_original.get("city") == report["city"]):
        here, there = report.get("location") or {}, photo_original.get("location") or {}
        # A report may have no point (an address only, or no location): no distance then.
        points = here.get("lat") is not None and there.get("lat") is not None
        listed.append({"code": by_photo["code"], "report_id": by_photo["report_id"],
                       "distance_m": round(distance_m(here["lat"], here["lon"], there["lat"],
                                                      there["lon"]), 1) if points else None,
                       "reasons": ["photo"], "photo_distance": by_photo["distance"]})
    for entry in by_place:
        same = next((e for e in listed if e["report_id"] == entry["report_id"]), None)
        if same is not None:
            same["reasons"].append("place")
        else:
            listed.append(entry)
    return listed[:MAX_LISTED]


# ---- while a resident files ------------------------------------------------------------------
# The public reports of the same category this near and this recent that are still being worked
# on, nearest first: the resident may follow one ("me too", aduan.domain.followers) instead of
# filing the same problem again. Wider and longer than the operators' look-up: a resident
# places a pin less exactly than a phone's GPS, and a pothole stays for weeks.
RESIDENT_RADIUS_M = 250.0
RESIDENT_WINDOW = timedelta(days=30)
RESIDENT_LISTED = 5
# Read through the place index before the checks below (a busy street's other reports).
RESIDENT_CANDIDATES = 200


def resident_keys(category: str, lat: float, lon: float, now: datetime) -> list[str]:
    return place_keys_around(category, lat, lon, RESIDENT_RADIUS_M, now - RESIDENT_WINDOW, now)


def near_for_resident(city: str, category: str, lat: float, lon: float,
                      candidates: list[dict[str, Any]], now: datetime
                      ) -> list[tuple[float, dict[str, Any]]]:
    """(metres, report) of the candidates the public may see, of the city and category, open,
    made within RESIDENT_WINDOW and within RESIDENT_RADIUS_M; nearest first, at most
    RESIDENT_LISTED."""
    since = now - RESIDENT_WINDOW
    found = []
    for other in candidates:
        where = other.get("location") or {}
        if (other.get("city") != city or other.get("category") != category
                or not is_public(other) or other.get("status") in CLOSED
                or where.get("lat") is None or where.get("lon") is None
                or not since <= other["created_at"] <= now):
            continue
        metres = distance_m(lat, lon, where["lat"], where["lon"])
        if metres <= RESIDENT_RADIUS_M:
            found.append((metres, other))
    found.sort(key=lambda item: (item[0], item[1]["created_at"]))
    return [(round(metres, 1), other) for metres, other in found[:RESIDENT_LISTED]]
