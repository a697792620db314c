"""Duplicate-photo look-up against 1,000,000 stored perceptual hashes on a real database.

Starts a throwaway SecantusDB (`secantusd-py`, on disk in a temporary folder) unless
`--mongo-url` (or ADUAN_MONGO_URL) names a server, creates the product's indexes
(`aduan.infra.db.INDEXES`), stores N random 64-bit hashes for one city (plus 5% in another city),
then times `find_duplicate` - the worker's own code - for look-ups that hit (a stored hash
with 0-3 bits flipped) and that miss (a fresh random hash).

    .venv/bin/python bench/duplicate_lookup.py [--hashes 1000000] [--lookups 1000]

Goal: median <= 5 ms. Writes bench/results/duplicate_lookup.json.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import MongoClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import throwaway_mongo, write_result  # noqa: E402

from aduan.infra.db import INDEXES  # noqa: E402
from services.verification.duplicates import (  # noqa: E402
    COLLECTION,
    find_duplicate,
    hash_document,
    informative,
)

CITY = "padang"


def fill(collection, count: int, rng: random.Random) -> tuple[list[int], float]:
    """Stores `count` hashes for CITY and 5% more elsewhere; returns a sample and hashes/s."""
    started = time.perf_counter()
    at = datetime.now(UTC) - timedelta(days=1)
    sample: list[int] = []
    batch: list[dict] = []
    total = count + count // 20
    for index in range(total):
        value = rng.getrandbits(64)
        city = CITY if index < count else "depok"
        report = {"_id": f"r{index}", "code": f"PDG-2026-{index:07d}", "created_at": at}
        batch.append(hash_document(city, report, uuid.uuid4().hex, value))
        if city == CITY and len(sample) < 5000 and informative(value):
            sample.append(value)
        if len(batch) == 10_000:
            collection.insert_many(batch, ordered=False)
            batch = []
            if (index + 1) % 100_000 == 0:
                print(f"  stored {index + 1:>9,} hashes", flush=True)
    if batch:
        collection.insert_many(batch, ordered=False)
    return sample, total / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--mongo-url", default=os.environ.get("ADUAN_MONGO_URL"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop the server we started
    with throwaway_mongo(args.mongo_url) as url:
        measure(args, url)


def measure(args: argparse.Namespace, url: str) -> None:
    rng = random.Random(2026)
    database = f"aduan_bench_{uuid.uuid4().hex[:8]}"
    client = MongoClient(url, tz_aware=True)
    try:
        db = client[database]
        print(f"storing {args.hashes:,} hashes (+5% in another city) in {url} ...")
        sample, rate = fill(db[COLLECTION], args.hashes, rng)
        started = time.perf_counter()
        db[COLLECTION].create_indexes(INDEXES[COLLECTION])  # faster after the bulk load
        index_s = time.perf_counter() - started
        print(f"  {rate:,.0f} hashes/s; indexes built in {index_s:.1f} s")
        now = datetime.now(UTC)
        timings: dict[str, list[float]] = {"hit": [], "miss": []}
        found = {"hit": 0, "miss": 0}
        for index in range(args.lookups):
            kind = "hit" if index % 2 == 0 else "miss"
            if kind == "hit":
                value = rng.choice(sample)
                for bit in rng.sample(range(64), rng.randint(0, 3)):
                    value ^= 1 << bit
            else:
                value = rng.getrandbits(64)
            started = time.perf_counter()
            match = find_duplicate(db, CITY, value, now, "bench", 3)
            timings[kind].append((time.perf_counter() - started) * 1000)
            found[kind] += match is not None
        every = timings["hit"] + timings["miss"]
        result = {
            "bench": "duplicate_lookup",
            "at": datetime.now(UTC).isoformat(),
            "server": url.split("@")[-1] if args.mongo_url else "secantusdb (local, on disk)",
            "stored_hashes": args.hashes,
            "insert_hashes_per_s": round(rate),
            "index_build_s": round(index_s, 1),
            "lookups": args.lookups,
            "median_ms": round(statistics.median(every), 3),
            "p95_ms": round(statistics.quantiles(every, n=20)[-1], 3),
            "p99_ms": round(statistics.quantiles(every, n=100)[-1], 3),
            "hit_median_ms": round(statistics.median(timings["hit"]), 3),
            "miss_median_ms": round(statistics.median(timings["miss"]), 3),
            "hits_found": f"{found['hit']}/{len(timings['hit'])}",
            "misses_found": f"{found['miss']}/{len(timings['miss'])}",
            "goal_median_ms": 5,
        }
        result["goal_met"] = result["median_ms"] <= 5
        print(f"look-ups in {args.hashes:,} hashes ({args.lookups} look-ups):")
        print(f"  median {result['median_ms']:.3f} ms  p95 {result['p95_ms']:.3f} ms  "
              f"p99 {result['p99_ms']:.3f} ms  (goal median <= 5 ms: "
              f"{'met' if result['goal_met'] else 'NOT met'})")
        print(f"  hits: median {result['hit_median_ms']:.3f} ms, found {result['hits_found']};"
              f" misses: median {result['miss_median_ms']:.3f} ms, found "
              f"{result['misses_found']}")
        write_result("duplicate_lookup", result)
    finally:
        client.drop_database(database)
        client.close()


if __name__ == "__main__":
    main()
