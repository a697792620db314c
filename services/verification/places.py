"""The candidates for possible duplicates by place: reports of the city inside a box around the
report's place, read through the (city, location.lat, location.lon) index that the map boxes
use (a plain range query, so it runs alike on MongoDB and SecantusDB, with no geo index to
keep up on every report update). `aduan.domain.nearby` keeps those within the radius."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from aduan.domain.nearby import Nearness, bounding_box, window_start

# Reports of the same category in a box of ~100 m over a few days are a handful; the bound
# keeps a crowd of them (a flood, a festival) from making one judgement read them all.
MAX_CANDIDATES = 200
FIELDS = {"code": 1, "city": 1, "category": 1, "status": 1, "created_at": 1, "location": 1}


def place_candidates(db: Database, report: dict[str, Any], nearness: Nearness
                     ) -> list[dict[str, Any]]:
    location = report.get("location") or {}
    if not nearness.enabled or location.get("lat") is None or location.get("lon") is None:
        return []
    min_lat, max_lat, min_lon, max_lon = bounding_box(location["lat"], location["lon"],
                                                      nearness.radius_m)
    # The status is checked by the caller: a `$ne` makes SecantusDB leave the index (see
    # duplicates.py), and a `$nin` may too.
    query = {"city": report["city"],
             "location.lat": {"$gte": min_lat, "$lte": max_lat},
             "location.lon": {"$gte": min_lon, "$lte": max_lon},
             "category": report.get("category"),
             "created_at": {"$gte": window_start(report, nearness),
                            "$lt": report["created_at"]}}
    return list(db.reports.find(query, FIELDS).limit(MAX_CANDIDATES))


def report_brief(db: Database, report_id: str) -> dict[str, Any] | None:
    return db.reports.find_one({"_id": report_id}, FIELDS)
