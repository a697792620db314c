"""Soak: submit N reports while consumer workers are killed (SIGKILL) and restarted at random;
then check every report reached a final state with each transition once in its history and
one email per event. Prints and writes figures to bench/results/soak-*.json.

    .venv/bin/python bench/soak.py --reports 2000 --clients 16
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from common import write_result  # noqa: E402
from photo_factory import varied_padang_photos  # noqa: E402

from aduan.infra.config import Settings  # noqa: E402
from aduan.infra.db import get_db  # noqa: E402
from aduan.infra.messaging import delete_topology  # noqa: E402
from tools.devstack import Stack, test_profile  # noqa: E402

SOAK_SLOT = 8
FINAL = {"forwarded", "rejected", "needs_review"}
KILLABLE = ("verification-worker", "routing-worker", "notification-worker", "outbox-relay")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--kill-every", type=float, default=8.0,
                        help="mean seconds between two kills (a restart costs a few seconds)")
    parser.add_argument("--drain", type=float, default=300)
    args = parser.parse_args()

    profile = test_profile(SOAK_SLOT)
    stack = Stack(profile, ROOT / ".run" / "soak")
    stack.down()
    os.environ.update(stack.env())
    settings = Settings.from_env()
    delete_topology(settings)  # a soak stopped half-way leaves messages of its reports behind
    db = get_db(settings)
    photos = varied_padang_photos(args.reports)  # each report its own photo, as residents'
    report = json.dumps({"category": "waste", "description": "Sampah menumpuk (uji soak)",
                         "location": {"lat": -0.9726, "lon": 100.4057},
                         "reporter": {"email": "soak@example.id"}})
    accepted: list[str] = []
    errors: Counter[str] = Counter()
    kills: Counter[str] = Counter()
    lock = threading.Lock()
    remaining = iter(range(args.reports))
    done = threading.Event()

    def client() -> None:
        session = requests.Session()
        while True:
            with lock:
                number = next(remaining, None)
                if number is None:
                    return
            key = os.urandom(8).hex()
            for _attempt in range(5):  # a client retries with the same key, as apps do
                try:
                    response = session.post(
                        f"http://127.0.0.1:{profile.http_ports['gateway']}/api/v1/reports",
                        files={"report": (None, report, "application/json"),
                               "photo": ("p.jpg", photos[number], "image/jpeg")},
                        headers={"Idempotency-Key": key}, timeout=60)
                except requests.RequestException as err:
                    errors[type(err).__name__] += 1
                    continue
                if response.status_code == 202:
                    with lock:
                        accepted.append(response.json()["id"])
                    break
                errors[str(response.status_code)] += 1

    def killer() -> None:
        rng = random.Random(2026)
        while not done.wait(rng.uniform(0.25, 1.75) * args.kill_every):
            worker = rng.choice(KILLABLE)
            name = next((n for n in list(stack.processes) if n.startswith(worker)), None)
            if name:
                stack.stop_process(name, sig=signal.SIGKILL)
                kills[worker] += 1
                stack.start_worker(worker)

    started = time.monotonic()
    try:
        stack.up()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        chaos = threading.Thread(target=killer)
        chaos.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        submit_s = time.monotonic() - started
        # The soak's database holds only its own reports: counting them all is cheap, where an
        # `$in` of every accepted id, asked every second, loaded the local server noticeably.
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline and db.reports.count_documents(
                {"status": {"$in": sorted(FINAL)}}) < len(accepted):
            time.sleep(5)
        done.set()
        chaos.join()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and db.deliveries.count_documents(
                {"result": "sent"}) < 2 * len(accepted):
            time.sleep(5)
        statuses: Counter[str] = Counter()
        repeated_transitions = 0
        for doc in db.reports.find({"_id": {"$in": accepted}}, {"history": 1, "status": 1}):
            statuses[doc["status"]] += 1
            steps = Counter((h["from"], h["to"]) for h in doc["history"])
            repeated_transitions += sum(n - 1 for n in steps.values())
        emails = Counter(d["report_id"] for d in db.deliveries.find(
            {"report_id": {"$in": accepted}, "result": "sent"}))
    finally:
        done.set()
        stack.down()
    result = {
        "when": datetime.now(UTC).isoformat(),
        "reports_requested": args.reports,
        "accepted": len(accepted),
        "submit_seconds": round(submit_s, 1),
        "errors_retried": dict(errors),
        "kills": dict(kills),
        "final_states": dict(statuses),
        "not_final": len(accepted) - sum(n for s, n in statuses.items() if s in FINAL),
        "lost": len(accepted) - sum(statuses.values()),
        "repeated_transitions": repeated_transitions,
        "reports_with_other_than_two_emails": sum(1 for rid in accepted if emails[rid] != 2),
    }
    path = write_result("soak", result, stamped=True)
    print(json.dumps(result, indent=2))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
