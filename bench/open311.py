"""Open311 `GET requests` through the gateway's own code, on a real database of N reports.

Starts a throwaway SecantusDB (unless `--mongo-url` or ADUAN_MONGO_URL names a server), seeds
the catalogue, stores N Padang reports spread over the last 120 days (statuses and privacy
mixed, 10% confidential, half with a public photo), then times whole requests through the
gateway app (Flask test client: API-key/rate-limit hook, then intake's public list over HTTP,
served here by the intake app on a local port, then rows in JSON or XML).

    .venv/bin/python bench/open311.py [--reports 5000] [--repeat 20]

Goal: median <= 100 ms for a page of 50 in either format. Writes bench/results/open311.json.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import throwaway_mongo, write_result  # noqa: E402

STATUSES = ["verified", "forwarded", "accepted", "in_progress", "resolved", "closed",
            "referred", "submitted", "rejected"]
GOAL_MEDIAN_MS = 100


def fill(db, count: int, rng: random.Random) -> list[str]:
    now = datetime.now(UTC)
    codes, batch = [], []
    for index in range(count):
        created = now - timedelta(minutes=rng.randint(0, 120 * 24 * 60))
        code = f"PDG-2026-{index:06d}"
        codes.append(code)
        photos = [{"id": "p", "public_key": f"padang/{index}/p.jpg"}] if index % 2 else []
        batch.append({
            "_id": uuid.uuid4().hex, "code": code, "city": "padang",
            "category": rng.choice(["waste", "road", "flood", "street_light"]),
            "description": "Laporan uji untuk pengukuran Open311 " * 3,
            "status": rng.choice(STATUSES),
            "privacy": "confidential" if index % 10 == 0 else rng.choice(["public",
                                                                         "anonymous"]),
            "location": {"lat": -0.97, "lon": 100.4, "address": "Jl. Uji"},
            "reporter": {"name": "Warga", "email": "warga@example.id"},
            "photos": photos, "created_at": created, "updated_at": created,
            "agencies": [{"code": "DLH", "name": "Dinas Lingkungan Hidup",
                          "due_at": created + timedelta(days=5)}],
            "history": [], "outbox": [],
        })
        if len(batch) == 5000:
            db.reports.insert_many(batch)
            batch = []
    if batch:
        db.reports.insert_many(batch)
    return codes


def timed(client, path: str, params: dict, repeat: int) -> dict:
    timings = []
    rows = 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, query_string=params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        rows = response.get_data().count(b"<request>") or len(response.get_json() or [])
    return {"rows": rows, "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(statistics.quantiles(timings, n=20)[-1], 2)}


def intake_list_baseline(db, repeat: int) -> dict:
    """The public list's own query (services/intake/queries.py), straight on the database: what
    the storage costs any list, Open311 or not."""
    from zoneinfo import ZoneInfo

    from services.intake.queries import PublicListQuery, public_filter

    conditions = public_filter(PublicListQuery(), "padang", ZoneInfo("Asia/Jakarta"))
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = list(db.reports.find(conditions, {"history": 0, "outbox": 0})
                    .sort([("created_at", -1), ("_id", -1)]).limit(50))
        timings.append((time.perf_counter() - started) * 1000)
    return {"rows": len(rows), "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(statistics.quantiles(timings, n=20)[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--mongo-url", default=os.environ.get("ADUAN_MONGO_URL"))
    args = parser.parse_args()
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop the server we started
    with throwaway_mongo(args.mongo_url) as url:
        measure(args, url)


def measure(args: argparse.Namespace, url: str) -> None:
    database = f"aduan_bench_{uuid.uuid4().hex[:8]}"
    os.environ.update({"ADUAN_MONGO_URL": url, "ADUAN_MONGO_DB": database,
                       "ADUAN_RATE_LIMIT_PER_IP": "100000000"})
    from werkzeug.serving import make_server

    from aduan.infra.catalogue import ensure_seeded
    from aduan.infra.config import Settings
    from aduan.infra.db import ensure_indexes, get_db
    from gateway.app import create_app
    from services.intake.app import create_app as create_intake
    from tests.fakes import FakePublisher, FakeStore

    # Open311 reads intake's public list over HTTP: a real intake on a local port (its photos
    # and events are not part of what is measured).
    intake = make_server("127.0.0.1", 0, create_intake(store=FakeStore(),
                                                       publisher=FakePublisher()),
                         threaded=True)
    threading.Thread(target=intake.serve_forever, daemon=True).start()
    os.environ["ADUAN_INTAKE_URL"] = f"http://127.0.0.1:{intake.server_port}"
    db = get_db(Settings.from_env())
    try:
        ensure_indexes(db)
        ensure_seeded(db)
        print(f"storing {args.reports:,} reports in {url} ...")
        started = time.perf_counter()
        codes = fill(db, args.reports, random.Random(2026))
        print(f"  stored in {time.perf_counter() - started:.1f} s")
        client = create_app().test_client()
        base = "/open311/v2/requests"
        padang = {"jurisdiction_id": "padang"}
        cases = {
            "page_of_50_json": (f"{base}.json", padang),
            "page_of_50_xml": (f"{base}.xml", padang),
            "page_of_200_json": (f"{base}.json", {**padang, "page_size": 200}),
            "closed_waste_json": (f"{base}.json", {**padang, "status": "closed",
                                                   "service_code": "waste"}),
            "page_20_of_50_json": (f"{base}.json", {**padang, "page": 20}),
            "50_ids_json": (f"{base}.json", {**padang,
                                             "service_request_id": ",".join(codes[-50:])}),
            "one_request_xml": (f"{base}/{codes[1]}.xml", padang),
        }
        result: dict = {"bench": "open311", "at": datetime.now(UTC).isoformat(),
                        "server": url if args.mongo_url else "secantusdb (local, on disk)",
                        "reports": args.reports, "repeat": args.repeat, "cases": {}}
        for name, (path, params) in cases.items():
            result["cases"][name] = figures = timed(client, path, params, args.repeat)
            print(f"  {name:<20} {figures['rows']:>4} rows  median {figures['median_ms']:>7.2f}"
                  f" ms  p95 {figures['p95_ms']:>7.2f} ms")
        result["cases"]["baseline_intake_list_query"] = figures = intake_list_baseline(
            db, args.repeat)
        print(f"  {'intake_list_baseline':<20} {figures['rows']:>4} rows  median "
              f"{figures['median_ms']:>7.2f} ms  p95 {figures['p95_ms']:>7.2f} ms")
        result["goal_median_ms"] = GOAL_MEDIAN_MS
        result["goal_met"] = all(result["cases"][name]["median_ms"] <= GOAL_MEDIAN_MS
                                 for name in ("page_of_50_json", "page_of_50_xml"))
        print(f"goal (page of 50, median <= {GOAL_MEDIAN_MS} ms): "
              f"{'met' if result['goal_met'] else 'NOT met'}")
        write_result("open311", result)
    finally:
        db.client.drop_database(database)


if __name__ == "__main__":
    main()
