"""Guaranteed events: an event is written into the report document by the same atomic update
that changes the report, then published; a relay publishes whatever is still there later
(broker down, process killed between the write and the publish).

Consumers are idempotent, so the rare event published twice (relay racing a slow publisher)
has no second effect.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pika.exceptions
from pymongo.database import Database

from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.logs import setup_logging
from aduan.infra.messaging import Event, Publisher

log = logging.getLogger(__name__)

COLLECTION = "reports"


def outbox_entry(event: Event) -> dict[str, Any]:
    return {
        "message_id": event.message_id,
        "routing_key": event.routing_key,
        "body": event.body,
        "correlation_id": event.correlation_id,
        "created_at": datetime.now(UTC),
    }


def _event_from_entry(entry: dict[str, Any]) -> Event:
    return Event(
        routing_key=entry["routing_key"],
        body=entry["body"],
        message_id=entry["message_id"],
        correlation_id=entry.get("correlation_id"),
    )


def flush(db: Database, report_id: str, events: list[Event], publisher: Publisher) -> bool:
    """Publishes events already stored in the report's outbox; True when all went out."""
    for event in events:
        try:
            publisher.publish(event)
        except (pika.exceptions.AMQPError, OSError) as err:
            log.warning("event %s left to the relay: %s", event.message_id, err)
            return False
        db[COLLECTION].update_one(
            {"_id": report_id}, {"$pull": {"outbox": {"message_id": event.message_id}}}
        )
    return True


def relay_once(db: Database, publisher: Publisher, older_than: timedelta) -> int:
    """Publishes the outbox entries older than `older_than`; returns how many went out."""
    cutoff = datetime.now(UTC) - older_than
    sent = 0
    pending = db[COLLECTION].find(
        {"outbox.created_at": {"$lt": cutoff}}, {"outbox": 1}
    ).limit(500)
    for report in pending:
        stale = [e for e in report.get("outbox", []) if e["created_at"] < cutoff]
        events = [_event_from_entry(entry) for entry in stale]
        if not flush(db, report["_id"], events, publisher):
            break
        sent += len(events)
    return sent


def run_relay(settings: Settings, interval_s: float = 1.0) -> None:
    setup_logging("outbox-relay", settings.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    metrics.serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    db = get_db(settings)
    publisher = Publisher(settings)
    older_than = timedelta(seconds=settings.outbox_relay_after_s)
    log.info("outbox relay running")
    while not stop.is_set():
        started = time.monotonic()
        try:
            sent = relay_once(db, publisher, older_than)
            if sent:
                log.info("relayed %d events", sent)
        except Exception:  # the relay must outlive any single failure of Mongo or the broker
            log.exception("relay pass failed")
        stop.wait(max(0.0, interval_s - (time.monotonic() - started)))
    publisher.close()


if __name__ == "__main__":
    run_relay(Settings.from_env())
