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
import importlib.util
import itertools
import json
import os
import queue
import random
import sys
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import requests
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from common import percentile, write_result  # noqa: E402

if importlib.util.find_spec("aduan.devstack") is None:  # this tree's layout
    from aduan.infra.config import Settings
    from aduan.infra.db import get_db
    from aduan.infra.messaging import (
        Event,
        Publisher,
        connect,
        declare_topology,
        delete_topology,
        queue_name,
    )
    from aduan.infra.storage import ObjectStore
    from tools.devstack import WORKERS, Stack, test_profile
else:  # an earlier tree first on PYTHONPATH (bench/compare.py): the modules' old homes
    from aduan.config import Settings  # type: ignore[no-redef]
    from aduan.db import get_db  # type: ignore[no-redef]
    from aduan.devstack import WORKERS, Stack, test_profile  # type: ignore[no-redef]
    from aduan.messaging import (  # type: ignore[no-redef]
        Event,
        Publisher,
        connect,
        declare_topology,
        delete_topology,
        queue_name,
    )
    from aduan.storage import ObjectStore  # type: ignore[no-redef]

BENCH_SLOT = 9  # the default; `--slot` gives a bench its own ports, queues and data
PRODUCTION_TIMINGS = {
    name: str(getattr(Settings, name.lower()))
    for name in ("SLA_SWEEP_INTERVAL_S", "WEBHOOK_POLL_INTERVAL_S", "OUTBOX_RELAY_AFTER_S",
                 "DELIVERY_LEASE_S")
}
FINAL = {"forwarded", "rejected", "needs_review"}


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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[str, float]:
    """CPU time (user + system) used so far by each process and its children, by process name;
    the machine's RabbitMQ node is counted too, as it works for this run alone."""
    members = [m for pid in pids for m in [pid, *_descendants(pid)]]
    members += [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/comm")
                if _read(p).strip() == "beam.smp"]
    result: dict[str, float] = {}
    for member in members:
        stat = _read(Path(f"/proc/{member}/stat"))
        cmdline = _read(Path(f"/proc/{member}/cmdline")).replace("\0", " ")
        if not stat:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        result[f"{member} {_short(cmdline)}"] = ticks / CLOCK_TICKS
    return result


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _short(cmdline: str) -> str:
    """A process's role: the gunicorn app or module it runs, else its program."""
    words = cmdline.split()
    if "secantusd" in cmdline:  # the MongoDB-protocol server, a Python program here
        return "secantusd (database)"
    for marker in ("--name", "-m"):
        if marker in words and words.index(marker) + 1 < len(words):
            following = words[words.index(marker) + 1]
            if following != "gunicorn":
                return following
    if "gunicorn" in cmdline:
        return "gunicorn"
    return Path(words[0]).name if words else "?"


def cpu_per_report(before: dict[str, float], after: dict[str, float], reports: int) -> dict:
    """CPU milliseconds per report by role, and what that allows on this machine's cores."""
    if not reports:
        return {}
    by_role: dict[str, float] = {}
    for key, seconds in after.items():
        role = key.split(" ", 1)[1]
        by_role[role] = by_role.get(role, 0) + seconds - before.get(key, 0)
    total = sum(by_role.values())
    # Roles run by several processes (`--workers 2`): how they split the work.
    roles = [key.split(" ", 1)[1] for key in after]
    copies = {key: seconds - before.get(key, 0) for key, seconds in after.items()
              if roles.count(key.split(" ", 1)[1]) > 1
              and key.split(" ", 1)[1].startswith(("services.", "aduan.infra.outbox"))}
    return {
        "total_ms": round(total * 1000 / reports, 1),
        "by_role_ms": {k: round(v * 1000 / reports, 1)
                       for k, v in sorted(by_role.items(), key=lambda kv: -kv[1]) if v > 0},
        "copies_ms": {k: round(v * 1000 / reports, 1) for k, v in sorted(copies.items())},
        "cpu_bound_ceiling_reports_per_s": round(reports * (os.cpu_count() or 1) / total, 1)
        if total else None,
    }


def database_commands(metrics_root: Path, metric_name: str = "aduan_database_commands_seconds",
                      sample_suffix: str = "_count") -> dict[str, int]:
    """Database commands each service has sent so far (or, with the documents-written counter,
    documents its commands wrote), as `service command collection`."""
    counts: dict[str, int] = {}
    for folder in sorted(p for p in metrics_root.glob("*") if p.is_dir()):
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(folder))
        for metric in registry.collect():
            if metric.name != metric_name:
                continue
            for sample in metric.samples:
                if sample.name.endswith(sample_suffix) and sample.value:
                    key = (f"{folder.name} {sample.labels['command']} "
                           f"{sample.labels['collection']}")
                    counts[key] = counts.get(key, 0) + int(sample.value)
    return counts


# Documents written (inserted, changed, deleted) rather than commands: an update_many writes
# many, an update that changes nothing none.
DOCUMENTS_WRITTEN = ("aduan_database_documents_written", "_total")


def per_report(before: dict[str, int], after: dict[str, int], reports: int) -> dict:
    if not reports:
        return {}
    delta = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}
    by_service: dict[str, float] = {}
    for key, count in delta.items():
        service = key.split()[0]
        by_service[service] = by_service.get(service, 0) + count / reports
    return {
        "total": round(sum(delta.values()) / reports, 2),
        "by_service": {k: round(v, 2) for k, v in sorted(by_service.items())},
        "by_command": {k: round(v / reports, 2)
                       for k, v in sorted(delta.items(), key=lambda kv: -kv[1])},
    }


# Where the photos were taken (tests/photo_factory.py: Lubuk Begalung), and how far from it the
# reports are placed: within the 1 km that verification allows between a photo and the place
# claimed. Residents' reports are spread over a city; a run with every report at one spot
# measures the look-up of possible duplicates by place at its worst (`--one-place`).
PHOTO_PLACE = (-0.9726, 100.4057)
SPREAD_DEGREES = 0.006


def report_places(count: int, one_place: bool) -> list[str]:
    """The report bodies: `count` places around PHOTO_PLACE, or all at it."""
    rng = random.Random(11)
    bodies = []
    for _ in range(1 if one_place else count):
        lat, lon = PHOTO_PLACE
        if not one_place:
            lat += rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES)
            lon += rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES)
        bodies.append(json.dumps({
            "category": "waste", "description": "Sampah menumpuk (uji beban)",
            "location": {"lat": round(lat, 6), "lon": round(lon, 6)},
            "reporter": {"email": "beban@example.id"}}))
    return bodies


def run_clients(api: str, clients: int, seconds: float, photos: list[bytes],
                rate: float | None = None, one_place: bool = False) -> dict:
    """`clients` threads submit for `seconds`: back to back (closed loop), or, with `rate`,
    at that many reports per second in all (open loop: each submission is due at its own
    time, and its latency counts from then, so a slow answer delays the ones behind it and
    that wait shows in the figures instead of lowering the offered load)."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    accepted: list[str] = []
    lock = threading.Lock()
    sent = itertools.count()
    deadline = time.monotonic() + seconds
    due: queue.SimpleQueue[float] = queue.SimpleQueue()
    if rate:
        start = time.perf_counter() + 0.1
        for n in range(int(seconds * rate)):
            due.put(start + n / rate)
    places = report_places(len(photos), one_place)

    def client() -> None:
        session = requests.Session()
        while rate or time.monotonic() < deadline:
            started = time.perf_counter()
            if rate:
                try:
                    started = due.get_nowait()
                except queue.Empty:
                    return
                time.sleep(max(0.0, started - time.perf_counter()))
            number = next(sent)
            try:
                response = session.post(
                    f"{api}/reports",
                    files={"report": (None, places[number % len(places)], "application/json"),
                           "photo": ("p.jpg", photos[number % len(photos)], "image/jpeg")},
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
    # Polled cheaply, as it counts in the CPU measured: first the last reports submitted (by
    # `_id`; the pipeline is about first in, first out), and only once they are through, all
    # of them by status (a scan of the collection on SecantusDB: 65-90 ms at 1,000 reports).
    last = accepted[-20:]
    while time.monotonic() < deadline:
        if last and db.reports.count_documents(
                {"_id": {"$in": last}, "status": {"$in": sorted(FINAL)}}) < len(last):
            time.sleep(2)
            continue
        pending = db.reports.count_documents({"status": {"$nin": sorted(FINAL)}})
        if pending == 0:
            break
        time.sleep(2)
    to_forwarded: list[float] = []
    finished: list[datetime] = []
    statuses: dict[str, int] = {}
    out_of_order = 0
    for report in db.reports.find({"_id": {"$in": accepted}}, {"history": 1, "status": 1,
                                                               "created_at": 1}):
        statuses[report["status"]] = statuses.get(report["status"], 0) + 1
        out_of_order += not in_order(report["history"])
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
        "history_out_of_order": out_of_order,
        "not_final_after_drain": found - final,
        "submit_to_forwarded_s": {"p50": percentile(to_forwarded, 50),
                                  "p95": percentile(to_forwarded, 95),
                                  "max": max(to_forwarded) if to_forwarded else None},
        "forwarded_per_s": round(len(finished) / span, 1) if span else None,
    }


def in_order(history: list[dict]) -> bool:
    """The ordering every report keeps however many copies of each worker run: its history is
    one chain (each step starts where the last ended), in time order."""
    return all(step.get("from") == last["to"] and step["at"] >= last["at"]
               for last, step in itertools.pairwise(history))


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


def varied_padang_photos(count: int) -> list[bytes]:
    from photo_factory import varied_padang_photos as made  # needs this tree's aduan

    return made(count)


def load_photos(folder: Path) -> list[bytes]:
    """The photos bench/compare.py made once for both trees (the factory needs this tree)."""
    return [path.read_bytes() for path in sorted(folder.glob("*.jpg"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=1,
                        help="copies of each consumer worker")
    parser.add_argument("--rate", type=float, default=None,
                        help="offered load in reports/s (open loop); default: back to back")
    parser.add_argument("--photos", type=int, default=3000,
                        help="distinct photos to send (cycled)")
    parser.add_argument("--drain", type=float, default=300)
    parser.add_argument("--one-place", action="store_true",
                        help="every report at the photos' own spot (the look-up by place's worst)")
    parser.add_argument("--slot", type=int, default=BENCH_SLOT,
                        help="the stack's test slot (ports, queue namespace, data folder)")
    parser.add_argument("--photo-dir", type=Path, default=None,
                        help="send these *.jpg files (sorted) instead of generated photos")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the JSON here instead of bench/results/load-<time>.json")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="the stack's folder (default .run/bench, or .run/bench<slot>)")
    args = parser.parse_args()

    profile = test_profile(args.slot)  # test profiles lift the per-address rate limits
    run_dir = args.run_dir or ROOT / ".run" / (
        "bench" if args.slot == BENCH_SLOT else f"bench{args.slot}")
    stack = Stack(profile, run_dir, worker_copies={name: args.workers for name in WORKERS})
    # ...but poll as production does: the test profile's sub-second sweeps and relay delays
    # exist to make fault tests quick, and would load the database beyond a real deployment.
    stack.overrides = {**PRODUCTION_TIMINGS, **stack.overrides}
    stack.down()
    os.environ.update(stack.env())
    settings = Settings.from_env()
    # Every report its own photo (as residents' are); past the pool, repeats are duplicates.
    photos = (load_photos(args.photo_dir) if args.photo_dir
              else varied_padang_photos(args.photos))
    photo = photos[0]
    try:
        stack.up()
        api = f"http://127.0.0.1:{profile.http_ports['gateway']}/api/v1"
        run_clients(api, 4, 2, [photos[-1]])  # warm-up: workers started, connections open
        end_to_end(settings, [], args.drain)
        commands_before = database_commands(stack.run_dir / "metrics")
        written_before = database_commands(stack.run_dir / "metrics", *DOCUMENTS_WRITTEN)
        pids = [p.pid for p in stack.processes.values()]
        cpu_before = cpu_seconds(pids)
        load = run_clients(api, args.clients, args.seconds, photos, args.rate, args.one_place)
        flow = end_to_end(settings, load["accepted"], args.drain)
        commands = per_report(commands_before, database_commands(stack.run_dir / "metrics"),
                              len(load["accepted"]))
        written = per_report(written_before,
                             database_commands(stack.run_dir / "metrics", *DOCUMENTS_WRITTEN),
                             len(load["accepted"]))
        cpu = cpu_per_report(cpu_before, cpu_seconds(pids), len(load["accepted"]))
        rss = peak_rss_mib([p.pid for p in stack.processes.values()])
        ceilings = raw_ceilings(settings, photo)
    finally:
        stack.down()

    latencies = load["latencies"]
    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cores": os.cpu_count()},
        "clients": args.clients,
        "one_place": args.one_place,
        "offered_rate_per_s": args.rate,
        "seconds": args.seconds,
        "worker_copies": args.workers,
        "photo_bytes": len(photo),
        "distinct_photos": len(photos),
        "submitted_ok": len(latencies),
        "submit_per_s": round(len(latencies) / load["wall_s"], 1),
        "submit_latency_ms": {f"p{q}": round(percentile(latencies, q) * 1000, 1)
                              for q in (50, 95, 99)} if latencies else None,
        "errors": load["errors"],
        **flow,
        "database_commands_per_report": commands,
        "database_documents_written_per_report": written,
        "cpu_per_report": cpu,
        "raw_ceilings": ceilings,
        "peak_rss_mib": rss,
        "peak_rss_total_mib": round(sum(rss.values()), 1),
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        path = args.out.resolve()
    else:
        path = write_result("load", result, stamped=True)
    summary = {k: v for k, v in result.items() if k != "peak_rss_mib"}
    summary["database_commands_per_report"] = {
        k: v for k, v in commands.items() if k != "by_command"}
    print(json.dumps(summary, indent=2, default=str))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
