"""Cities, agencies and categories: seed data shipped in aduan/data, kept in MongoDB.

Agencies are of three kinds: `opd` (the city's own agencies), `kecamatan` (one office per
kecamatan polygon in aduan/data/boundaries) and `vertical` (bodies outside the city's authority,
such as PDAM or PLN, to which reports are referred). A category's routing rule is its list of
`agencies` (codes, or `@kecamatan` for the office of the kecamatan the report lies in) or its
`refer_to` (a vertical body); a category with neither goes to the operators' triage queue.

Seeded contacts of city agencies are placeholders under the reserved `.example` domain: each
city's sysadmin sets the real ones through the catalogue API.
"""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from aduan.domain.geo import kecamatan_areas

DATA = Path(__file__).parent.parent / "data"
DUPLICATE_KEY = 11000
KECAMATAN = "@kecamatan"
AGENCY_KINDS = ("opd", "kecamatan", "vertical")


@cache
def cities() -> dict[str, dict[str, Any]]:
    return json.loads((DATA / "cities.json").read_text())


@cache
def seed() -> dict[str, Any]:
    return json.loads((DATA / "catalogue.json").read_text())


def kecamatan_agency_code(kecamatan_code: str) -> str:
    """`13.71.06` → `KEC-137106`."""
    return "KEC-" + kecamatan_code.replace(".", "")


def _placeholder_people(city: str, code: str, head_title: str) -> dict[str, Any]:
    domain = f"{code.lower()}.{city}.example"
    return {
        "contact": {"email": f"pengaduan@{domain}", "phone": None, "address": None},
        "head": {"title": head_title, "name": None, "email": f"kepala@{domain}", "phone": None},
        "liaisons": [{"name": f"Admin penghubung {code}", "email": f"admin@{domain}",
                      "phone": None}],
    }


def seed_agencies(city: str) -> list[dict[str, Any]]:
    data = seed()
    city_name = cities()[city]["name"]
    overrides = data["cities"].get(city, {})
    agencies = []
    for agency in data["agencies"]:
        agencies.append({
            **agency, "kind": "opd", "active": True,
            **_placeholder_people(city, agency["code"], f"Kepala {agency['name_id']} {city_name}"),
        })
    for area in kecamatan_areas(city):
        code = kecamatan_agency_code(area.code)
        agencies.append({
            "code": code, "kind": "kecamatan", "active": True,
            "name_id": f"Kantor Camat {area.name}", "name_en": f"{area.name} district office",
            "kecamatan": {"code": area.code, "name": area.name},
            **_placeholder_people(city, code, f"Camat {area.name}"),
        })
    for body in data["vertical_bodies"]:
        merged = {**body, **overrides.get("vertical_bodies", {}).get(body["code"], {})}
        placeholder = _placeholder_people(city, body["code"], f"Pimpinan {merged['name_id']}")
        agencies.append({
            **merged, "kind": "vertical", "active": True,
            "contact": {**placeholder["contact"], **body.get("contact", {})},
            "head": placeholder["head"], "liaisons": [],
        })
    return agencies


def seed_categories(city: str) -> list[dict[str, Any]]:
    data = seed()
    overrides = data["cities"].get(city, {}).get("categories", {})
    return [{**category, **overrides.get(category["code"], {})}
            for category in data["categories"]]


def ensure_seeded(db: Database) -> None:
    """Inserts the seed catalogue for every city; never overwrites what sysadmins changed."""
    for collection, items in (("agencies", seed_agencies), ("categories", seed_categories)):
        seeds = {f"{city}:{item['code']}": {**item, "city": city}
                 for city in cities() for item in items(city)}
        # Every process seeds at start-up: once all are there, one count is all it costs.
        if db[collection].count_documents({"_id": {"$in": list(seeds)}}) == len(seeds):
            continue
        operations = [UpdateOne({"_id": seed_id}, {"$setOnInsert": seed}, upsert=True)
                      for seed_id, seed in seeds.items()]
        try:
            db[collection].bulk_write(operations, ordered=False)
        except BulkWriteError as err:
            # Several processes seeding at once: whoever inserted first wins, which is fine.
            if any(e.get("code") != DUPLICATE_KEY for e in err.details.get("writeErrors", [])):
                raise
    # Agencies seeded by the skeleton, before kinds existed, were all the city's own.
    db.agencies.update_many({"kind": {"$exists": False}}, {"$set": {"kind": "opd"}})


def category_of(db: Database, report: dict[str, Any]) -> dict[str, Any] | None:
    """The catalogue's document of the report's category (its names, routing rule, SLA)."""
    return db.categories.find_one({"city": report["city"], "code": report.get("category")})


def rule_agencies(category: dict[str, Any]) -> list[str]:
    """The agency codes (or `@kecamatan`) a category routes to; `agency` is the skeleton's
    single-agency form, still read for catalogues seeded before rules took lists."""
    if "agencies" in category:
        return list(category["agencies"] or [])
    return [category["agency"]] if category.get("agency") else []


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
