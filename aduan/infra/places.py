"""Reports by place: those of a city whose `place_key` (category, grid cell and period,
`aduan.domain.nearby`) is one of `keys`, read through the (city, place_key) index with one
equality `$in`, which MongoDB and SecantusDB alike answer from the index. The one look-up of
the verification worker's possible duplicates (services/verification/places.py) and of the
reports a resident is shown nearby while filing (services/intake/public_api.py)."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database


def reports_in_cells(db: Database, city: str, keys: list[str], fields: dict[str, int],
                     limit: int) -> list[dict[str, Any]]:
    """At most `limit` of the city's reports with one of `keys`, with `fields`. Only the
    index's fields are asked for: SecantusDB leaves the index for any other condition (a time
    range, a status), so the caller checks those on what it reads."""
    if not keys:
        return []
    return list(db.reports.find({"city": city, "place_key": {"$in": keys}}, fields)
                .limit(limit))
