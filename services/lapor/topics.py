"""Each city's mapping of SP4N-LAPOR! topics to Aduan categories (collection `lapor_topics`).

LAPOR! classifies a report by topic (an id, with a parent id for sub-topics); the importer
asks `category_for` which of the city's categories that is: the topic's own mapping, else its
parent's (the parent the report names, else the one stored), up the chain, else none, and then
the importer files it under `fallback_category` (operators re-categorise it).

One document per city and topic: {_id: "<city>:<topic_id>", city, topic_id, parent_id, name,
category (a category code of the city, or null: a grouping topic mapped through its
children), seeded, deleted, updated_at, updated_by}. Seeded from aduan/data/lapor_topics.json
(an invented table: see its note) like the catalogue: only what is missing is inserted, so a
sysadmin's edits stay; a deleted topic stays as a tombstone (`deleted: true`) so that seeding
does not bring it back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from aduan.infra.catalogue import cities

SEED = Path(__file__).resolve().parents[2] / "aduan" / "data" / "lapor_topics.json"
COLLECTION = "lapor_topics"
FALLBACK = "other"
# The vertical body (every city's catalogue) an operator forwards a report to when it is outside
# the city's authority: the exporter creates a `report.referred` to it at LAPOR!.
LAPOR_BODY = "SP4N-LAPOR"
MAX_DEPTH = 5  # LAPOR!'s topics are two levels deep; a loop in edited data must not hang
DUPLICATE_KEY = 11000


@cache
def seed_topics() -> list[dict[str, Any]]:
    return json.loads(SEED.read_text())["topics"]


def topic_key(topic_id: str | int | None) -> str | None:
    """LAPOR! sends topic ids as numbers or strings: stored and compared as strings."""
    if topic_id is None:
        return None
    key = str(topic_id).strip()
    return key or None


def doc_id(city: str, topic_id: str) -> str:
    return f"{city}:{topic_id}"


def ensure_seeded(db: Database) -> None:
    """Inserts every city's seed topics that are missing; never changes one that is there."""
    now = datetime.now(UTC)
    seeds = {doc_id(city, t["id"]): {"city": city, "topic_id": t["id"],
                                      "parent_id": t["parent_id"], "name": t["name"],
                                      "category": t["category"], "seeded": True,
                                      "deleted": False, "updated_at": now, "updated_by": None}
             for city in cities() for t in seed_topics()}
    if db[COLLECTION].count_documents({"_id": {"$in": list(seeds)}}) == len(seeds):
        return
    try:
        db[COLLECTION].bulk_write([UpdateOne({"_id": key}, {"$setOnInsert": seed}, upsert=True)
                                   for key, seed in seeds.items()], ordered=False)
    except BulkWriteError as err:
        # Several processes seeding at once: whoever inserted first wins.
        if any(e.get("code") != DUPLICATE_KEY for e in err.details.get("writeErrors", [])):
            raise


_seeded: set[int] = set()


def _seed_once(db: Database) -> None:
    # The importer may run before the lapor service ever started: seed on first use.
    if id(db) not in _seeded:
        ensure_seeded(db)
        _seeded.add(id(db))


def _category_exists(db: Database, city: str, code: str) -> bool:
    return db.categories.count_documents({"city": city, "code": code}, limit=1) > 0


def category_for(db: Database, city: str, topic_id: str | int | None,
                 parent_id: str | int | None = None) -> str | None:
    """The city's category for a LAPOR! topic: the topic's, else its parent's (`parent_id`
    as the report gives it, else the stored one), further up where a parent has none; None when
    nothing maps (also for a mapping to a category the city no longer has)."""
    _seed_once(db)
    key, parent = topic_key(topic_id), topic_key(parent_id)
    seen: set[str] = set()
    for _ in range(MAX_DEPTH):
        if key is None or key in seen:
            return None
        seen.add(key)
        topic = db[COLLECTION].find_one({"_id": doc_id(city, key), "deleted": {"$ne": True}})
        category = topic.get("category") if topic else None
        if category and _category_exists(db, city, category):
            return category
        key, parent = parent or (topic_key(topic.get("parent_id")) if topic else None), None
    return None


def topic_for(db: Database, city: str, category: str | None) -> str | None:
    """A LAPOR! topic of the city's `category` (the mapping read backwards, a sub-topic before
    its parent), for a report forwarded to LAPOR!; None when no topic maps to it."""
    _seed_once(db)
    topic = db[COLLECTION].find_one({"city": city, "category": category,
                                     "deleted": {"$ne": True}},
                                    {"topic_id": 1}, sort=[("parent_id", -1)])
    return str(topic["topic_id"]) if topic else None


def fallback_category(db: Database, city: str) -> str:
    """Where a report whose topic maps to nothing goes: `other`, or the city's first category
    by code if it has no `other`."""
    if _category_exists(db, city, FALLBACK):
        return FALLBACK
    first = db.categories.find_one({"city": city}, {"code": 1}, sort=[("code", 1)])
    return first["code"] if first else FALLBACK
