"""What one database command on a report costs, and what each index of `reports` adds to it.

Starts a throwaway SecantusDB per measurement (`secantusd-py`, on disk in a temporary folder)
unless `--mongo-url` (or ADUAN_MONGO_URL) names a server, fills `reports` with report-like
documents and times, from one client:
- insert, find by `_id`, update by `_id`, find-and-modify by `_id` and an equality look-up on
  an indexed field, with the product's indexes (`aduan.infra.db.INDEXES`), at two collection sizes
  (a cost that grows with the size is a scan);
- an update by `_id` with no secondary index, with each index alone, and with all of them.

    .venv/bin/python bench/database_ops.py [--docs 500] [--mongo-url URL]

Writes bench/results/database_ops.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pymongo import IndexModel, MongoClient
from pymongo.database import Database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import throwaway_mongo, write_result  # noqa: E402

from aduan.infra.db import INDEXES  # noqa: E402


def report_document() -> dict:
    now = datetime.now(UTC)
    report_id = uuid.uuid4().hex
    return {
        "_id": report_id, "code": f"PDG-2026-{report_id[:6]}", "city": "padang",
        "category": "waste", "status": "submitted", "created_at": now, "updated_at": now,
        "description": "Sampah menumpuk di pinggir jalan dekat pasar " * 2,
        "location": {"lat": -0.9726, "lon": 100.4057},
        "geo": {"type": "Point", "coordinates": [100.4057, -0.9726]},
        "keywords": ["sampah", "menumpuk", "pinggir", "jalan", "dekat", "pasar"],
        "agencies": [{"code": "DLH", "due_at": now}],
        "photos": [{"id": uuid.uuid4().hex, "raw_key": "k" * 60, "sha256": "a" * 64}],
        "history": [{"at": now, "from": None, "to": "submitted"}],
        "outbox": [{"message_id": uuid.uuid4().hex, "created_at": now}],
        "idempotency_key": uuid.uuid4().hex,
    }


def mean_ms(operation: Callable[[int], object], count: int) -> float:
    started = time.perf_counter()
    for number in range(count):
        operation(number)
    return round((time.perf_counter() - started) / count * 1000, 3)


def fresh_database(url: str | None, measure: Callable[[Database], dict],
                   indexes: list[IndexModel]) -> dict:
    """Runs `measure` on a new database with these indexes: on a throwaway SecantusDB of its
    own, or on the server given."""
    with throwaway_mongo(url) as address:
        client = MongoClient(address, tz_aware=True)
        db = client[f"aduan_dbops_{uuid.uuid4().hex[:8]}"]
        try:
            if indexes:
                db.reports.create_indexes(indexes)
            return measure(db)
        finally:
            client.drop_database(db.name)
            client.close()


def fill(db: Database, count: int) -> list[dict]:
    documents = [report_document() for _ in range(count)]
    for document in documents:
        db.reports.insert_one(document)
    return documents


def command_costs(docs: int) -> Callable[[Database], dict]:
    def measure(db: Database) -> dict:
        results = {}
        started = time.perf_counter()
        stored = fill(db, docs)
        insert_ms = round((time.perf_counter() - started) / docs * 1000, 3)
        results[f"{docs} reports"] = {"insert": insert_ms, **lookups(db, stored, "first")}
        stored += fill(db, 3 * docs)
        results[f"{4 * docs} reports"] = lookups(db, stored, "second")
        return results
    return measure


def lookups(db: Database, stored: list[dict], round_name: str) -> dict:
    """`round_name` makes every write of a round change the document (an update that sets
    what is there already may cost less)."""
    def nth(n: int) -> dict:
        return stored[n % len(stored)]

    return {
        "find_by_id": mean_ms(lambda n: db.reports.find_one({"_id": nth(n)["_id"]}), 300),
        "update_by_id": mean_ms(lambda n: db.reports.update_one(
            {"_id": nth(n)["_id"]}, {"$set": {"seen": f"{round_name}-update"}}), 300),
        "find_and_modify_by_id": mean_ms(lambda n: db.reports.find_one_and_update(
            {"_id": nth(n)["_id"]}, {"$set": {"seen": f"{round_name}-modify"}}), 100),
        "find_by_indexed_code": mean_ms(
            lambda n: db.reports.find_one({"code": nth(n)["code"]}), 300),
        # The partial unique index earlier versions kept for Idempotency-Key look-ups.
        "find_by_partial_index": mean_ms(lambda n: db.reports.find_one(
            {"idempotency_key": nth(n)["idempotency_key"]}), 100),
    }


def update_cost(docs: int) -> Callable[[Database], dict]:
    def measure(db: Database) -> dict:
        stored = fill(db, docs)
        return {"update_by_id": mean_ms(lambda n: db.reports.update_one(
            {"_id": stored[n % docs]["_id"]}, {"$set": {"seen": n}}), min(300, docs))}
    return measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--mongo-url", default=os.environ.get("ADUAN_MONGO_URL"))
    args = parser.parse_args()
    indexes = INDEXES["reports"]

    partial = IndexModel([("idempotency_key", 1)], unique=True,
                         partialFilterExpression={"idempotency_key": {"$type": "string"}})
    earlier = [partial, IndexModel([("geo", "2dsphere")])]  # what earlier versions kept
    per_size = fresh_database(args.mongo_url, command_costs(args.docs), [*indexes, partial])
    print(json.dumps({"with the product's indexes (ms)": per_size}, indent=2), flush=True)

    def update_ms(only: list[IndexModel]) -> float:
        return fresh_database(args.mongo_url, update_cost(args.docs), only)["update_by_id"]

    per_index = {"no secondary index": update_ms([])}
    for index in [*indexes, *earlier]:
        name = index.document["name"]
        per_index[name] = update_ms([index])
        print(f"update by _id with only {name}: {per_index[name]} ms", flush=True)
    per_index["all"] = update_ms(indexes)
    print(f"update by _id, no secondary index: {per_index['no secondary index']} ms; "
          f"all {len(indexes)}: {per_index['all']} ms")

    result = {
        "when": datetime.now(UTC).isoformat(),
        "server": args.mongo_url.split("@")[-1] if args.mongo_url else "secantusdb (local)",
        "command_ms_by_collection_size": per_size,
        "update_by_id_ms_by_index": per_index,
    }
    path = write_result("database_ops", result)
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
