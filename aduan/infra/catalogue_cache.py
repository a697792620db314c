"""The catalogue's agencies and categories as the consumers read them for each report: one
per-process copy of both collections (`aduan.infra.versioned_cache`), read again when the
catalogue API announces a change, instead of a database read per report and look-up."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from aduan.infra.catalogue import CACHE_NAME
from aduan.infra.versioned_cache import VersionedCache, Versions

NAME = CACHE_NAME  # the counter the catalogue API (services/routing/catalogue_api.py) bumps

Key = tuple[str, str]


def _load(db: Database) -> dict[str, dict[Key, dict[str, Any]]]:
    return {collection: {(doc.get("city"), doc.get("code")): doc
                         for doc in db[collection].find({})}
            for collection in ("agencies", "categories")}


class CatalogueCache:
    """Look-ups answering as `category_of`, `rules.active_agency` and `contacts.agency_doc`
    do. The documents are shared: callers must not change them."""

    def __init__(self, versions: Versions, max_age_s: float = 60.0) -> None:
        self._cache = VersionedCache(versions, NAME, _load, max_age_s)

    def category(self, city: str, code: Any) -> dict[str, Any] | None:
        return self._cache.get()["categories"].get((city, code))

    def category_of(self, report: dict[str, Any]) -> dict[str, Any] | None:
        return self.category(report["city"], report.get("category"))

    def agency(self, city: str, code: str) -> dict[str, Any] | None:
        return self._cache.get()["agencies"].get((city, code))

    def active_agency(self, city: str, code: str) -> dict[str, Any] | None:
        agency = self.agency(city, code)
        return agency if agency is not None and agency.get("active") is not False else None
