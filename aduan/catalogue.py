"""Cities, agencies and categories: seed data shipped in aduan/data, kept in MongoDB."""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

DATA = Path(__file__).parent / "data"
DUPLICATE_KEY = 11000


@cache
def cities() -> dict[str, dict[str, Any]]:
    return json.loads((DATA / "cities.json").read_text())


@cache
def seed() -> dict[str, list[dict[str, Any]]]:
    return json.loads((DATA / "catalogue.json").read_text())


def ensure_seeded(db: Database) -> None:
    """Inserts the seed catalogue for every city; never overwrites what sysadmins changed."""
    data = seed()
    for collection, key in (("agencies", "agencies"), ("categories", "categories")):
        operations = [
            UpdateOne(
                {"_id": f"{city}:{item['code']}"},
                {"$setOnInsert": {**item, "city": city}},
                upsert=True,
            )
            for city in cities()
            for item in data[key]
        ]
        try:
            db[collection].bulk_write(operations, ordered=False)
        except BulkWriteError as err:
            # Several processes seeding at once: whoever inserted first wins, which is fine.
            if any(e.get("code") != DUPLICATE_KEY for e in err.details.get("writeErrors", [])):
                raise


class CategoryCache:
    """Categories of a city read from MongoDB, refreshed every `ttl_s` seconds."""

    def __init__(self, db: Database, ttl_s: float = 30.0) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._loaded_at = 0.0
        self._by_city: dict[str, dict[str, dict[str, Any]]] = {}

    def get(self, city: str, code: str) -> dict[str, Any] | None:
        if time.monotonic() - self._loaded_at > self._ttl_s:
            by_city: dict[str, dict[str, dict[str, Any]]] = {}
            for category in self._db.categories.find({}, {"_id": 0}):
                by_city.setdefault(category["city"], {})[category["code"]] = category
            self._by_city = by_city
            self._loaded_at = time.monotonic()
        return self._by_city.get(city, {}).get(code)
