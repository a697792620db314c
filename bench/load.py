"""Load benchmark: N concurrent clients submit reports with a photo through the gateway for T
seconds against a local stack this script starts (its own ports, data and queues).

Prints and writes (bench/results/load-*.json): submit throughput and latency percentiles,
submit → forwarded latency (from each report's own history), end-to-end throughput, errors,
lost reports, the peak RSS of every process, and, from the same run, the raw ceilings of the
broker, the database and the object store, so the ratio shows where time goes.

    .venv/bin/python bench/load.py --clients 32 --seconds 30
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from photo_factory import fresh_padang_photo  # noqa: E402

from aduan.config import Settings  # noqa: E402
from aduan.db import get_db  # noqa: E402
from aduan.devstack import WORKERS, Stack, test_profile  # noqa: E402
from aduan.messaging import (  # noqa: E402
    Event,
    Publisher,
    connect,
    declare_topology,
    delete_topology,
    queue_name,
)
from aduan.storage import ObjectStore  # noqa: E402

BENCH_SLOT = 9
FINAL = {"forwarded", "rejected", "needs_review"}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def peak_rss_mib(pids: list[int]) -> dict[str, float]:
    """VmHWM (peak resident set) of each process and of its children, by process name."""
    result: dict[str, float] = {}
    for pid in pids:
        for member in [pid, *_descendants(pid)]:
            try:
                status = Path(f"/proc/{member}/status").read_text()
                cmdline = Path(f"/proc/{member}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            kib = next((int(line.split()[1]) for line in status.splitlines()
                        if line.startswith("VmHWM:")), 0)
            result[f"{member} {cmdline.decode(errors='replace')[:90]}"] = round(kib / 1024, 1)
    return result


def _descendants(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            for child in (task / "children").read_text().split():
                children.append(int(child))
                children.extend(_descendants(int(child)))
        except OSError:
            continue
    return children


def run_clients(api: str, clients: int, seconds: float, photo: bytes) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    accepted: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    report = json.dumps({"category": "waste", "description": "Sampah menumpuk (uji beban)",
                         "location": {"lat": -0.9726, "lon": 100.4057},
                         "reporter": {"email": "beban@example.id"}})

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = session.post(
                    f"{api}/reports",
                    files={"report": (None, report, "application/json"),
                           "photo": ("p.jpg", photo, "image/jpeg")},
                    headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=30)
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == 202:
                        latencies.append(elapsed)
                        accepted.append(response.json()["id"])
                    else:
                        errors[str(response.status_code)] = errors.get(
                            str(response.status_code), 0) + 1
            except requests.RequestException as err:
                with lock:
                    errors[type(err).__name__] = errors.get(type(err).__name__, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    return {"latencies": latencies, "errors": errors, "accepted": accepted, "wall_s": wall}


def end_to_end(settings: Settings, accepted: list[str], drain_s: float) -> dict:
    db = get_db(settings)
    deadline = time.monotonic() + drain_s
    # The bench's database holds only this run's reports (and the warm-up's): counting by
    # status is cheap, where an `$in` of every accepted id, asked again and again, loaded the
    # local server and slowed the very pipeline being measured.
    while time.monotonic() < deadline:
        pending = db.reports.count_documents({"status": {"$nin": sorted(FINAL)}})
        if pending == 0:
            break
        time.sleep(2)
    to_forwarded: list[float] = []
    finished: list[datetime] = []
    statuses: dict[str, int] = {}
    for report in db.reports.find({"_id": {"$in": accepted}}, {"history": 1, "status": 1,
                                                               "created_at": 1}):
        statuses[report["status"]] = statuses.get(report["status"], 0) + 1
        forwarded = next((h["at"] for h in report["history"] if h["to"] == "forwarded"), None)
        if forwarded:
            to_forwarded.append((forwarded - report["created_at"]).total_seconds())
            finished.append(forwarded)
    found = sum(statuses.values())
    final = sum(n for s, n in statuses.items() if s in FINAL)
    first = db.reports.find_one({"_id": {"$in": accepted}}, sort=[("created_at", 1)])
    span = ((max(finished) - first["created_at"]).total_seconds()
            if finished and first else None)
    return {
        "statuses": statuses,
        "lost": len(accepted) - found,
        "not_final_after_drain": found - final,
        "submit_to_forwarded_s": {"p50": percentile(to_forwarded, 50),
                                  "p95": percentile(to_forwarded, 95),
                                  "max": max(to_forwarded) if to_forwarded else None},
        "forwarded_per_s": round(len(finished) / span, 1) if span else None,
    }


def raw_ceilings(settings: Settings, photo: bytes, seconds: float = 3.0) -> dict:
    """Single-threaded rates of the three backing services, measured the way the services
    use them (confirmed persistent publishes, report-sized inserts, photo-sized puts)."""
    results: dict[str, float] = {}
    bench_settings = replace(settings, namespace=f"ceiling{uuid.uuid4().hex[:6]}")
    publisher = Publisher(bench_settings)
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        publisher.publish(Event("report.submitted", {"report_id": "x" * 32}))
        count += 1
    results["broker_confirmed_publish_per_s"] = round(count / seconds, 1)
    connection = connect(bench_settings)
    channel = connection.channel()
    declare_topology(channel, bench_settings)
    consumed, started = 0, time.monotonic()
    for method, _, _ in channel.consume(queue_name(bench_settings, "verification"),
                                        inactivity_timeout=1):
        if method is None:
            break
        channel.basic_ack(method.delivery_tag)
        consumed += 1
    results["broker_consume_ack_per_s"] = round(consumed / (time.monotonic() - started), 1)
    channel.cancel()
    connection.close()
    publisher.close()
    delete_topology(bench_settings, with_exchange=True)

    db = get_db(settings)
    document = {"description": "x" * 200, "history": [{"at": datetime.now(UTC)}] * 4,
                "photos": [{"raw_key": "k" * 60}], "keywords": ["kata"] * 10}
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.bench_inserts.insert_one({**document, "_id": uuid.uuid4().hex})
        count += 1
    results["database_insert_per_s"] = round(count / seconds, 1)
    db.bench_inserts.drop()

    store = ObjectStore(settings)
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        store.put(store.raw_bucket, f"bench/{uuid.uuid4().hex}.jpg", photo, "image/jpeg")
        count += 1
    results["object_store_put_per_s"] = round(count / seconds, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=1,
                        help="copies of each consumer worker")
    parser.add_argument("--drain", type=float, default=60)
    args = parser.parse_args()

    profile = test_profile(BENCH_SLOT)  # test profiles lift the per-address rate limits
    stack = Stack(profile, ROOT / ".run" / "bench",
                  worker_copies={name: args.workers for name in WORKERS})
    stack.down()
    os.environ.update(stack.env())
    settings = Settings.from_env()
    photo = fresh_padang_photo()
    try:
        stack.up()
        api = f"http://127.0.0.1:{profile.http_ports['gateway']}/api/v1"
        run_clients(api, 4, 2, photo)  # warm-up: workers started, connections open
        load = run_clients(api, args.clients, args.seconds, photo)
        flow = end_to_end(settings, load["accepted"], args.drain)
        rss = peak_rss_mib([p.pid for p in stack.processes.values()])
        ceilings = raw_ceilings(settings, photo)
    finally:
        stack.down()

    latencies = load["latencies"]
    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cores": os.cpu_count()},
        "clients": args.clients,
        "seconds": args.seconds,
        "worker_copies": args.workers,
        "photo_bytes": len(photo),
        "submitted_ok": len(latencies),
        "submit_per_s": round(len(latencies) / load["wall_s"], 1),
        "submit_latency_ms": {f"p{q}": round(percentile(latencies, q) * 1000, 1)
                              for q in (50, 95, 99)} if latencies else None,
        "errors": load["errors"],
        **flow,
        "raw_ceilings": ceilings,
        "peak_rss_mib": rss,
        "peak_rss_total_mib": round(sum(rss.values()), 1),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"load-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    summary = {k: v for k, v in result.items() if k != "peak_rss_mib"}
    print(json.dumps(summary, indent=2, default=str))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
