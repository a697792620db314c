"""The candidates for possible duplicates by place: the reports of the city whose `place_key`
(category, grid cell and period, `aduan.domain.nearby`) is one of those around the report's
place and window, read through the (city, place_key) index with one equality `$in`, which
MongoDB and SecantusDB alike answer from the index (`aduan.infra.places`, shared with the
reports a resident is shown nearby). `aduan.domain.nearby` keeps those within the radius and
window."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from aduan.domain.nearby import Nearness, place_key, place_keys_around, window_start
from aduan.infra.places import reports_in_cells

# Reports of one category in a few cells of ~110 m over the window's days: usually a handful.
# When a whole street reports one flooded drain, any of them is a possible duplicate and ten are
# listed: reading 50, not 500, keeps such a crowd from costing the database ~70 ms of CPU per
# report (bench/load.py files every report at one place: 156 ms -> see docs/verification.md).
MAX_CANDIDATES = 50
FIELDS = {"code": 1, "city": 1, "category": 1, "status": 1, "created_at": 1, "location": 1}


def report_place_key(report: dict[str, Any]) -> str | None:
    location = report.get("location") or {}
    if not report.get("category") or location.get("lat") is None or location.get("lon") is None:
        return None
    return place_key(report["category"], location["lat"], location["lon"], report["created_at"])


def place_candidates(db: Database, report: dict[str, Any], nearness: Nearness
                     ) -> list[dict[str, Any]]:
    if not nearness.enabled or report_place_key(report) is None:
        return []
    location = report["location"]
    keys = place_keys_around(report["category"], location["lat"], location["lon"],
                             nearness.radius_m, window_start(report, nearness),
                             report["created_at"])
    # `near_by_place` checks the time window and status on what is read.
    return reports_in_cells(db, report["city"], keys, FIELDS, MAX_CANDIDATES)


def report_brief(db: Database, report_id: str) -> dict[str, Any] | None:
    return db.reports.find_one({"_id": report_id}, FIELDS)
