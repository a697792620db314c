"""Cities, agencies and categories: seed data shipped in aduan/data/catalogues, kept in MongoDB.

Each city has its own catalogue (`catalogues/<city>.json`: its agencies, vertical bodies and the
rule of every category; where the names come from is in `catalogues/SOURCE.md`); the categories'
names and resolution targets are shared (`catalogues/categories.json`).

Agencies are of three kinds: `opd` (the city's own agencies), `kecamatan` (one office per
kecamatan polygon in aduan/data/boundaries) and `vertical` (bodies outside the city's authority,
such as PDAM or PLN, to which reports are referred). A category's routing rule is its list of
`agencies` (codes, or `@kecamatan` for the office of the kecamatan the report lies in) or its
`refer_to` (a vertical body); a category with neither goes to the operators' triage queue.

An agency's `contact` is its external complaints desk (email, phone, address, website); the
people who work there are users (db.users). Seeded desks of city agencies are placeholders under
the reserved `.example` domain: each city's sysadmin sets the real ones through the catalogue API.

Seeding only inserts what is missing (`ensure_seeded`): a deployment seeded from an older
catalogue gains the agencies and categories added since, and keeps every document it already has
as it is (a sysadmin's edits, and also the older seed's names and rules, which the sysadmin
changes through the API where the city's own differ).
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
from aduan.infra.versioned_cache import bump

CACHE_NAME = "catalogue"  # aduan/infra/catalogue_cache.py's copies are read again when bumped

DATA = Path(__file__).parent.parent / "data"
CATALOGUES = DATA / "catalogues"
DUPLICATE_KEY = 11000
KECAMATAN = "@kecamatan"
AGENCY_KINDS = ("opd", "kecamatan", "vertical")


@cache
def cities() -> dict[str, dict[str, Any]]:
    return json.loads((DATA / "cities.json").read_text())


@cache
def shared_categories() -> list[dict[str, Any]]:
    return json.loads((CATALOGUES / "categories.json").read_text())["categories"]


@cache
def city_catalogue(city: str) -> dict[str, Any]:
    return json.loads((CATALOGUES / f"{city}.json").read_text())


def seeded_opd_codes() -> frozenset[str]:
    """The codes of the cities' own agencies (not kecamatan offices or vertical bodies) in the
    seed catalogues, all cities together."""
    return frozenset(agency["code"] for city in cities()
                     for agency in city_catalogue(city)["agencies"])


def kecamatan_agency_code(kecamatan_code: str) -> str:
    """`13.71.06` → `KEC-137106`."""
    return "KEC-" + kecamatan_code.replace(".", "")


def _placeholder_contact(city: str, code: str) -> dict[str, Any]:
    return {"email": f"pengaduan@{code.lower()}.{city}.example", "phone": None, "address": None}


def seed_agencies(city: str) -> list[dict[str, Any]]:
    catalogue = city_catalogue(city)
    agencies = [{**agency, "kind": "opd", "active": True,
                 "contact": _placeholder_contact(city, agency["code"])}
                for agency in catalogue["agencies"]]
    for area in kecamatan_areas(city):
        code = kecamatan_agency_code(area.code)
        agencies.append({
            "code": code, "kind": "kecamatan", "active": True,
            "name_id": f"Kantor Camat {area.name}", "name_en": f"{area.name} district office",
            "kecamatan": {"code": area.code, "name": area.name},
            "contact": _placeholder_contact(city, code),
        })
    agencies += [{**body, "kind": "vertical", "active": True,
                  "contact": {**_placeholder_contact(city, body["code"]),
                              **body.get("contact", {})}}
                 for body in catalogue["vertical_bodies"]]
    return agencies


def seed_categories(city: str) -> list[dict[str, Any]]:
    """The shared categories with the city's rule for each: `agencies` or `refer_to`, and any
    SLA of its own (merged over the shared targets)."""
    rules = city_catalogue(city)["rules"]
    categories = []
    for category in shared_categories():
        rule = rules[category["code"]]
        seeded = {**category, **{k: v for k, v in rule.items() if k != "sla"}}
        seeded.setdefault("agencies", [])
        if "sla" in category or "sla" in rule:
            seeded["sla"] = {**category.get("sla", {}), **rule.get("sla", {})}
        categories.append(seeded)
    return categories


def ensure_seeded(db: Database) -> None:
    """Inserts whatever of every city's seed catalogue is missing; never changes a document
    that is there, whether a sysadmin edited it or an older seed made it."""
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
        # Processes already running keep a copy (aduan/infra/catalogue_cache.py).
        bump(db, CACHE_NAME)
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
    """Categories of a city read from MongoDB, refreshed every `ttl_s` seconds, and a city's
    again when a code is not among them: a category a sysadmin has just made is taken at once,
    by every process (an edit of an existing one shows within `ttl_s`)."""

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
        found = self._by_city.get(city, {}).get(code)
        if found is None:
            # One look-up on the (city, code) index; unknown codes are refused anyway.
            found = self._db.categories.find_one({"city": city, "code": code}, {"_id": 0})
            if found is not None:
                self._by_city = {**self._by_city,
                                 city: {**self._by_city.get(city, {}), code: found}}
        return found
