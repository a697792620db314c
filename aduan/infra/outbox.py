"""Guaranteed events: an event is written into the report document by the same atomic update
that changes the report, then published; a relay publishes whatever is still there later
(broker down, process killed between the write and the publish).

Consumers are idempotent, so the rare event published twice (relay racing a slow publisher)
has no second effect.

Taking a published event out of the outbox is one more write per report. Most need none: the
verification and routing workers take the event they handle out of the outbox in the write
they make to the report anyway (`Reports.write`, `published`). A busy process (`defer_pulls`:
the intake service and the verification and routing workers) gathers the rest and takes them
out in one update for many reports, those published one to two `interval_s` before (2 s:
`pull_interval`): by then a consumer has most often taken them out already,
and a report left unchanged is not written; the longer the interval, the fewer such updates.
One that stops before that leaves a few events to the relay, which publishes them again (so
once more; consumers are idempotent), never loses one.

The relay has work only after a crash or a broker outage, so it looks every `relay_after_s`
(10 s in production) while its looks find nothing, and every second while they find events (or
fail): an event left in the outbox goes out `relay_after_s` to twice that after it was written
(10-20 s in production, 1-2 s with the test profile's 1 s), and an idle relay costs one look-up
per `relay_after_s`, not one a second (`relay_wait`). The delay is well past the deferred
pulls' 2-4 s so that a saturated database, which queues commands for seconds, does not make the
relay publish again events a live process has published and is about to pull (with 5 s it did:
40-60 events per 20 s run at 16 clients, each handled again by its consumers).
"""

from __future__ import annotations

import atexit
import logging
import os
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
from aduan.infra.report_snapshots import without_snapshot
from aduan.infra.shutdown import stop_on_signals

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
        # Sent late by definition: without a copy of the report (one stored by an earlier
        # version), so that its consumers read the report as it now is.
        body=without_snapshot(entry["body"]),
        message_id=entry["message_id"],
        correlation_id=entry.get("correlation_id"),
    )


def flush(db: Database, report_id: str, events: list[Event], publisher: Publisher) -> bool:
    """Publishes events already stored in the report's outbox and takes those that went out
    out of it (now, or with the process's deferred pulls); True when all went out."""
    published: list[str] = []
    try:
        for event in events:
            try:
                publisher.publish(event)
            except (pika.exceptions.AMQPError, OSError) as err:
                log.warning("event %s left to the relay: %s", event.message_id, err)
                return False
            published.append(event.message_id)
    finally:
        _pull(db, report_id, published)
    return True


def _pull(db: Database, report_id: str, message_ids: list[str]) -> None:
    if not message_ids:
        return
    deferred = _deferred
    if deferred is not None and deferred.db == db and deferred.pid == os.getpid():
        deferred.add(report_id, message_ids)
        return
    db[COLLECTION].update_one(
        {"_id": report_id}, {"$pull": {"outbox": {"message_id": {"$in": message_ids}}}})


# Reports whose pulls are kept while the database is away; past it the oldest are dropped
# (their events stay in the outbox and the relay publishes them once more).
MAX_PENDING = 10_000


class DeferredPulls:
    """Published events' outbox entries, taken out together by a thread every `interval_s`:
    those added before its previous pass, so each waits one to two intervals, time for the
    consumer of the event to take it out in its own write (then the update changes nothing)."""

    def __init__(self, db: Database, interval_s: float, max_pending: int = MAX_PENDING
                 ) -> None:
        self.db = db
        self.max_pending = max_pending
        self.pid = os.getpid()
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._aged: dict[str, list[str]] = {}  # added before the previous pass: taken next
        self._pending: dict[str, list[str]] = {}  # added since
        self._thread: threading.Thread | None = None

    def add(self, report_id: str, message_ids: list[str]) -> None:
        with self._lock:
            self._pending.setdefault(report_id, []).extend(message_ids)
            self._trim()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="outbox-pulls",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval_s)
            try:
                self.pull_now(aged_only=True)
            except Exception:  # MongoDB away for a moment: kept for the next pass
                log.exception("outbox pulls failed")

    def pull_now(self, aged_only: bool = False) -> None:
        """Takes out the events added before the previous pass (`aged_only`: the thread's
        pass, which then ages those added since) or all of them (at exit, and in tests)."""
        with self._lock:
            pending = self._aged
            if aged_only:
                self._aged = self._pending
            else:
                _merge(pending, self._pending)
                self._aged = {}
            self._pending = {}
        if not pending:
            return
        try:
            self.db[COLLECTION].update_many(
                {"_id": {"$in": list(pending)}},
                {"$pull": {"outbox": {"message_id": {"$in": [m for ids in pending.values()
                                                                for m in ids]}}}})
        except Exception:
            with self._lock:
                # Kept before what came in meanwhile (dicts keep insertion order: oldest first).
                self._aged = _merge(pending, self._aged)
                self._trim()
            raise

    def _trim(self) -> None:
        """Drops the oldest reports' pulls past `max_pending` (under the lock)."""
        excess = len(self._aged) + len(self._pending) - self.max_pending
        if excess > 0:
            from_aged = min(excess, len(self._aged))
            for report_id in list(self._aged)[:from_aged]:
                del self._aged[report_id]
            for report_id in list(self._pending)[:excess - from_aged]:
                del self._pending[report_id]
            log.warning("outbox pulls of %d reports dropped: left to the relay", excess)


def _merge(into: dict[str, list[str]], more: dict[str, list[str]]) -> dict[str, list[str]]:
    for report_id, ids in more.items():
        into.setdefault(report_id, []).extend(ids)
    return into


_deferred: DeferredPulls | None = None


def pull_interval(relay_after_s: float) -> float:
    """The deferred pulls' interval: an event waits one to two of them, under the relay's delay
    (`relay_after_s`) after which it would be published again; at most 2 s."""
    return max(0.05, min(2.0, relay_after_s * 0.4))


def defer_pulls(db: Database, interval_s: float = 0.5) -> None:
    """From now on, this process takes published events out of the outbox every
    `interval_s`, in one write for all its reports, rather than one write per report."""
    global _deferred
    _deferred = DeferredPulls(db, interval_s)
    atexit.register(_pull_at_exit, _deferred)


def _pull_at_exit(deferred: DeferredPulls) -> None:
    try:
        deferred.pull_now()
    except Exception as err:  # the relay publishes what is left, once more
        log.warning("outbox pulls left to the relay at exit: %s", err)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def relay_pass(db: Database, publisher: Publisher, older_than: timedelta) -> tuple[int, int]:
    """Publishes the outbox entries older than `older_than`: (how many it found, how many went
    out; fewer when the broker refused one)."""
    cutoff = datetime.now(UTC) - older_than
    found = sent = 0
    # The lower bound keeps the look-up to the index's dates: without it SecantusDB walks the
    # index from its start, where every report with an empty outbox sits, and reads them all
    # (72-91 ms a second at 1,000 reports, growing; 1.9 ms with it). Same result on MongoDB.
    pending = db[COLLECTION].find(
        {"outbox.created_at": {"$gte": EPOCH, "$lt": cutoff}}, {"outbox": 1}
    ).limit(500)
    for report in pending:
        stale = [e for e in report.get("outbox", []) if e["created_at"] < cutoff]
        events = [_event_from_entry(entry) for entry in stale]
        found += len(events)
        if not flush(db, report["_id"], events, publisher):
            break
        sent += len(events)
    return found, sent


# How soon the relay looks again after a look that found events or failed.
BUSY_INTERVAL_S = 1.0


def relay_wait(found: int, failed: bool, older_than: timedelta,
               busy_s: float = BUSY_INTERVAL_S) -> float:
    """Seconds until the relay's next look: `busy_s` after a look that found events (more may
    be waiting behind its batch of 500, or the broker refused one) or failed; otherwise the
    relay's delay itself, since an event written after this look is not due before then."""
    if found or failed:
        return busy_s
    return max(busy_s, older_than.total_seconds())


def relay_loop(db: Database, publisher: Publisher, older_than: timedelta,
               stop: threading.Event, busy_s: float = BUSY_INTERVAL_S) -> None:
    """Looks for events left in the outbox until `stop` is set (`relay_wait` between looks)."""
    while not stop.is_set():
        started = time.monotonic()
        found, failed = 0, False
        try:
            found, sent = relay_pass(db, publisher, older_than)
            if sent:
                log.info("relayed %d events", sent)
        except Exception:  # the relay must outlive any single failure of Mongo or the broker
            log.exception("relay pass failed")
            failed = True
        wait = relay_wait(found, failed, older_than, busy_s)
        stop.wait(max(0.0, wait - (time.monotonic() - started)))


def run_relay(settings: Settings) -> None:
    setup_logging("outbox-relay", settings.log_level)
    stop = stop_on_signals(threading.Event())
    metrics.serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    db = get_db(settings)
    publisher = Publisher(settings)
    older_than = timedelta(seconds=settings.outbox_relay_after_s)
    log.info("outbox relay running")
    relay_loop(db, publisher, older_than, stop)
    publisher.close()


if __name__ == "__main__":
    run_relay(Settings.from_env())
