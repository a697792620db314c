"""Notification throughput: email per event, redelivered events, webhook dispatch, signatures.

    ADUAN_TEST_SLOT=3 .venv/bin/python bench/notifications.py [--events 200] [--webhooks 500]

Starts its own throwaway MongoDB-protocol server and SMTP sink (ports of the test slot, folder
.run/bench), runs the real notification code in this process against them and a local HTTP
receiver, prints the figures and writes bench/results/notifications.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from common import write_result  # noqa: E402
from http_receiver import Receiver  # noqa: E402

from aduan.infra.config import Settings  # noqa: E402
from aduan.infra.db import ensure_indexes, get_db  # noqa: E402
from aduan.infra.messaging import Delivery  # noqa: E402
from services.notification import signing, webhooks  # noqa: E402
from services.notification.webhooks import Dispatcher  # noqa: E402
from services.notification.worker import Notifier  # noqa: E402
from tools.devstack import Stack, test_profile  # noqa: E402
from tools.waits import port_open, wait_until  # noqa: E402


def _report(i: int) -> dict:
    now = datetime.now(UTC)
    return {"_id": uuid.uuid4().hex, "code": f"PDG-2026-{900000 + i}", "city": "padang",
            "category": "waste", "description": "Sampah menumpuk di pinggir jalan",
            "status": "submitted", "privacy": "public",
            "location": {"lat": -0.9726, "lon": 100.4057}, "agencies": [],
            "reporter": {"email": f"warga{i}@example.id", "language": "id"},
            "created_at": now, "updated_at": now}


def _event(report: dict, message_id: str) -> Delivery:
    return Delivery(routing_key="report.submitted",
                    body={"report_id": report["_id"], "code": report["code"], "city": "padang",
                          "status": "submitted"},
                    message_id=message_id, correlation_id=None, type="report.submitted",
                    attempts=0)


def bench_email(settings: Settings, db, stack: Stack, events: int) -> dict:
    notifier = Notifier.from_settings(settings)
    reports = [_report(i) for i in range(events)]
    db.reports.insert_many(reports)
    deliveries = [_event(r, uuid.uuid4().hex) for r in reports]
    started = time.perf_counter()
    for delivery in deliveries:
        notifier.handle(delivery)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for delivery in deliveries:  # the broker hands every event over again
        notifier.handle(delivery)
    again = time.perf_counter() - started
    mails = len(list(stack.maildir.glob("*.eml")))
    return {"events": events, "emails_in_sink": mails,
            "emails_per_s": round(events / first, 1),
            "redelivered_events_per_s": round(events / again, 1)}


def bench_webhooks(settings: Settings, db, count: int, concurrency: int) -> dict:
    with Receiver() as receiver:
        db.webhook_subscriptions.insert_one({
            "_id": "bench", "url": receiver.url, "secret": "bench-secret-0123456789",
            "events": ["report.submitted"], "city": "padang", "agency": None, "owner": "city",
            "active": True, "created_at": datetime.now(UTC)})
        report = _report(0)
        subscriptions = webhooks.subscribed(db, "report.submitted")
        for _ in range(count):
            webhooks.schedule(db, uuid.uuid4().hex, "report.submitted", {"status": "submitted"},
                              report, subscriptions)
        started = time.perf_counter()
        dispatcher = Dispatcher.from_settings(replace(settings, webhook_concurrency=concurrency))
        while dispatcher.run_once():
            pass
        dispatcher.close()
        elapsed = time.perf_counter() - started
        sent = list(db.deliveries.find({"channel": "webhook", "result": "sent"},
                                       {"created_at": 1, "sent_at": 1}))
        lags = sorted((d["sent_at"] - d["created_at"]).total_seconds() for d in sent)
        return {"deliveries": count, "sent": len(sent), "received": len(receiver.received),
                "concurrency": concurrency, "deliveries_per_s": round(count / elapsed, 1),
                "lag_p50_s": round(statistics.median(lags), 3),
                "lag_max_s": round(lags[-1], 3)}


def bench_signatures(rounds: int = 20000) -> dict:
    body = json.dumps({"report": {"description": "x" * 800}}).encode()
    started = time.perf_counter()
    for _ in range(rounds):
        header = signing.sign("bench-secret-0123456789", body)
        assert signing.verify_signature("bench-secret-0123456789", header, body)
    return {"body_bytes": len(body),
            "sign_and_verify_per_s": round(rounds / (time.perf_counter() - started))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--webhooks", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    profile = test_profile(int(os.environ.get("ADUAN_TEST_SLOT", "0")))
    stack = Stack(replace(profile, name=f"bench{profile.name}"), ROOT / ".run" / "bench")
    stack.down()
    stack.clear_data()  # a run stopped half-way leaves its reports and mail behind
    stack.run_dir.mkdir(parents=True, exist_ok=True)
    stack.start_mongo()
    stack.start_smtp()
    try:
        wait_until(lambda: port_open("127.0.0.1", profile.mongo_port), 60, "MongoDB server")
        wait_until(lambda: port_open("127.0.0.1", profile.smtp_port), 30, "SMTP sink")
        env = stack.env()
        settings = replace(Settings(), mongo_url=env["ADUAN_MONGO_URL"],
                           mongo_db="aduan_bench", smtp_port=profile.smtp_port,
                           webhook_timeout_s=5.0,
                           # the bench's receiver listens on this machine
                           webhook_private_hosts="127.0.0.1")
        db = get_db(settings)
        ensure_indexes(db)
        results = {
            "email": bench_email(settings, db, stack, args.events),
            "webhooks": bench_webhooks(settings, db, args.webhooks, args.concurrency),
            "signatures": bench_signatures(),
        }
    finally:
        stack.down()
    print(json.dumps(results, indent=2))
    write_result("notifications", results)


if __name__ == "__main__":
    main()
