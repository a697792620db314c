"""What the public list's map box costs (`GET /reports?bbox=...`, the public map #/map), as the
collection grows: the exact query intake sends (`services.intake.queries.public_filter`: the
visibility conditions, `location.lat` and `location.lon` ranges, newest first, a page of 50
and the count of all matches), timed on SecantusDB for a city-wide box, a kecamatan-sized box
(~2 km) and a street-sized one (~300 m), and without a box. Beside it, one alternative the
product does not use, for comparison: the box as an equality `$in` over coarse grid cells
(`map_cell`, 0.01 degree, ~1.1 km, stored on each document here only), which SecantusDB answers
from a (city, map_cell) index like the place look-up (aduan/domain/nearby.py). And what a
resident filing is offered nearby (`GET /reports/nearby`: the place index's `$in`).

Starts a throwaway SecantusDB per size (`secantusd-py`, on disk in a temporary folder) unless
`--mongo-url` names a server, creates the product's indexes (`aduan.infra.db.INDEXES`), fills
`reports` with report-like documents spread over Padang (80 % of them; the rest in Depok) over
90 days, most of them public, and times each query `--repeat` times from one client.

    .venv/bin/python bench/map_box.py [--sizes 1000,4000] [--repeat 15] [--mongo-url URL]

Prints the figures and writes bench/results/map_box.json.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import ASCENDING, IndexModel, MongoClient
from pymongo.database import Database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import percentile, throwaway_mongo, write_result  # noqa: E402

from aduan.contracts.queries import PublicListQuery  # noqa: E402
from aduan.domain.nearby import near_for_resident, place_key, resident_keys  # noqa: E402
from aduan.infra.db import INDEXES  # noqa: E402
from aduan.infra.places import reports_in_cells  # noqa: E402
from services.intake.public_api import NEARBY_FIELDS  # noqa: E402
from services.intake.queries import public_filter  # noqa: E402

ZONE = ZoneInfo("Asia/Jakarta")
# (south, west, north, east) of the part of each city the reports are spread over.
AREAS = {"padang": (-1.05, 100.33, -0.80, 100.48), "depok": (-6.45, 106.75, -6.35, 106.88)}
STATUSES = (["forwarded"] * 30 + ["accepted"] * 15 + ["in_progress"] * 10 + ["resolved"] * 10
            + ["closed"] * 15 + ["verified"] * 5 + ["needs_review"] * 5 + ["submitted"] * 3
            + ["rejected"] * 4 + ["archived"] * 3)
PRIVACY = ["public"] * 7 + ["anonymous"] * 2 + ["confidential"]
CATEGORIES = ("waste", "road", "drainage", "flood", "street_light", "parking")
CELL = 0.01
PAGE_SIZE = 50
CENTRE = (-0.9471, 100.4172)  # Padang's centre: the boxes below are around it


def _cell(degrees: float) -> int:
    return math.floor(degrees / CELL)


def map_cell(lat: float, lon: float) -> str:
    return f"{_cell(lat)}|{_cell(lon)}"


def report(rng: random.Random, now: datetime) -> dict[str, Any]:
    city = "padang" if rng.random() < 0.8 else "depok"
    south, west, north, east = AREAS[city]
    # Clustered like a city's reports: around a few busy places, the rest anywhere.
    if rng.random() < 0.5:
        lat = min(north, max(south, rng.gauss(CENTRE[0], 0.01))) if city == "padang" \
            else rng.uniform(south, north)
        lon = min(east, max(west, rng.gauss(CENTRE[1], 0.01))) if city == "padang" \
            else rng.uniform(west, east)
    else:
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
    created = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
    report_id = uuid.uuid4().hex
    category = rng.choice(CATEGORIES)
    return {
        "_id": report_id, "code": f"PDG-2026-{report_id[:3]}-{report_id[3:6]}-{report_id[6:9]}",
        "city": city, "category": category, "status": rng.choice(STATUSES),
        "privacy": rng.choice(PRIVACY), "channel": "app",
        "description": "Sampah menumpuk di pinggir jalan dekat pasar " * 2,
        "location": {"lat": lat, "lon": lon}, "kecamatan": {"code": "13.71.01",
                                                           "name": "Padang Selatan"},
        "place_key": place_key(category, lat, lon, created), "map_cell": map_cell(lat, lon),
        "created_at": created, "updated_at": created,
        "agencies": [{"code": "DLH", "status": "forwarded", "due_at": created}],
        "photos": [{"id": uuid.uuid4().hex, "public_key": "k" * 60}],
        "history": [{"at": created, "from": None, "to": "submitted"}] * 4,
        "keywords": ["sampah", "menumpuk", "pinggir", "jalan", "pasar"],
    }


def box_around(lat: float, lon: float, metres: float) -> str:
    dlat = metres / 2 / 111_320
    dlon = dlat / math.cos(math.radians(lat))
    return f"{lon - dlon:.5f},{lat - dlat:.5f},{lon + dlon:.5f},{lat + dlat:.5f}"


BOXES = {
    "no_box": None,
    "city_box": "100.33000,-1.05000,100.48000,-0.80000",
    "kecamatan_box_2km": box_around(*CENTRE, 2_000),
    "street_box_300m": box_around(*CENTRE, 300),
}


def timed(operation: Callable[[], Any], repeat: int) -> dict[str, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = operation()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 95) or 0, 2), "result": result}


def list_page(db: Database, bbox: str | None) -> Callable[[], Any]:
    """Intake's public list query, as `list_public_reports` sends it."""
    query = PublicListQuery.model_validate({"page_size": PAGE_SIZE, **({"bbox": bbox} if bbox
                                                                       else {})})
    conditions = public_filter(query, "padang", ZONE)

    def run() -> dict[str, int]:
        rows = list(db.reports.find(conditions, {"history": 0, "outbox": 0})
                    .sort([("created_at", -1), ("_id", -1)]).limit(PAGE_SIZE))
        return {"rows": len(rows), "total": db.reports.count_documents(conditions)}
    return run


def cells_page(db: Database, bbox: str) -> Callable[[], Any]:
    """The alternative: the grid cells the box meets, one equality `$in`; the exact box, the
    visibility and the order checked on what is read."""
    min_lon, min_lat, max_lon, max_lat = (float(p) for p in bbox.split(","))
    cells = [f"{row}|{column}" for row in range(_cell(min_lat), _cell(max_lat) + 1)
             for column in range(_cell(min_lon), _cell(max_lon) + 1)]
    visible = public_filter(PublicListQuery.model_validate({}), "padang", ZONE)

    def run() -> dict[str, int]:
        found = [r for r in db.reports.find({"city": "padang", "map_cell": {"$in": cells}},
                                            {"history": 0, "outbox": 0})
                 if r["status"] in visible["status"]["$in"]
                 and r["privacy"] in visible["privacy"]["$in"]
                 and min_lat <= r["location"]["lat"] <= max_lat
                 and min_lon <= r["location"]["lon"] <= max_lon]
        found.sort(key=lambda r: (r["created_at"], r["_id"]), reverse=True)
        return {"rows": len(found[:PAGE_SIZE]), "total": len(found), "cells": len(cells)}
    return run


def nearby(db: Database, now: datetime) -> Callable[[], Any]:
    """What a resident filing at the centre is offered (`GET /reports/nearby`): the place
    index's cells around the point over 30 days, then the checks on what is read."""
    def run() -> dict[str, int]:
        keys = resident_keys("waste", *CENTRE, now)
        candidates = reports_in_cells(db, "padang", keys, NEARBY_FIELDS, 200)
        found = near_for_resident("padang", "waste", *CENTRE, candidates, now)
        return {"keys": len(keys), "read": len(candidates), "total": len(found)}
    return run


def measure(url: str, size: int, repeat: int, seed: int) -> dict[str, Any]:
    client = MongoClient(url, tz_aware=True)
    db = client[f"bench_map_{size}"]
    db.reports.drop()
    db.reports.create_indexes(INDEXES["reports"])
    db.reports.create_indexes([IndexModel([("city", ASCENDING), ("map_cell", ASCENDING)])])
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    for start in range(0, size, 500):
        db.reports.insert_many([report(rng, now) for _ in range(min(500, size - start))])
    filled_s = time.perf_counter() - started
    figures: dict[str, Any] = {"reports": size, "fill_s": round(filled_s, 1), "queries": {}}
    for name, bbox in BOXES.items():
        figures["queries"][name] = timed(list_page(db, bbox), repeat)
    for name, bbox in BOXES.items():
        if bbox is not None:
            figures["queries"][f"{name}_as_cells"] = timed(cells_page(db, bbox), repeat)
    figures["queries"]["nearby_while_filing"] = timed(nearby(db, now), repeat)
    client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,4000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--mongo-url", default=None)
    args = parser.parse_args()
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        with throwaway_mongo(args.mongo_url) as url:
            runs.append(measure(url, size, args.repeat, args.seed))
    print(f"{'query':<30}" + "".join(f"{r['reports']:>12} reports" for r in runs))
    for name in runs[0]["queries"]:
        cells = [r["queries"][name] for r in runs]
        print(f"{name:<30}" + "".join(
            f"{c['median_ms']:>9.1f} ms ({c['result']['total']:>4})" for c in cells))
    path = write_result("map_box", {"measured_at": datetime.now(UTC).isoformat(),
                                    "server": args.mongo_url or "secantusd-py (throwaway)",
                                    "page_size": PAGE_SIZE, "boxes": BOXES, "runs": runs})
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
