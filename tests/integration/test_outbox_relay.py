"""The outbox relay's schedule on the real database server (aduan/infra/outbox.py relay_loop):
an idle relay looks once per relay delay, not once a second, and an event left in the outbox
still goes out within twice the delay, the relay then looking again soon.

The relay runs here in a thread over a database of its own on the stack's server, so that it
neither sees nor takes out the events of the stack's own reports; its publisher records what
it is given (the broker is not what is under test: the look-ups are)."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from itertools import pairwise

import pytest
from pymongo import MongoClient, monitoring
from waiting import eventually

from aduan.infra.messaging import Event
from aduan.infra.outbox import outbox_entry, relay_loop

pytestmark = pytest.mark.stack

RELAY_AFTER = timedelta(seconds=1.0)
BUSY_S = 0.1


class RelayLooks(monitoring.CommandListener):
    """When each of the relay's look-ups (a `find` on `reports` by outbox date) in one
    database started (monotonic seconds)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.times: list[float] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if (event.database_name == self.database and event.command_name == "find"
                and event.command.get("find") == "reports"
                and "outbox.created_at" in event.command.get("filter", {})):
            self.times.append(time.monotonic())

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[float, Event]] = []

    def publish(self, event: Event) -> None:
        self.published.append((time.monotonic(), event))


@pytest.fixture
def relay_db(settings):
    name = f"relay_{uuid.uuid4().hex[:10]}"
    finds = RelayLooks(name)
    client = MongoClient(settings.mongo_url, tz_aware=True, event_listeners=[finds])
    try:
        yield client[name], finds
    finally:
        client.drop_database(name)
        client.close()


def _gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in pairwise(times)]


def test_an_idle_relay_looks_once_per_delay_and_still_sends_a_left_event_in_time(relay_db):
    db, finds = relay_db
    publisher = RecordingPublisher()
    stop = threading.Event()
    relay = threading.Thread(target=relay_loop, daemon=True,
                             args=(db, publisher, RELAY_AFTER, stop, BUSY_S))
    relay.start()
    try:
        # Idle: looks RELAY_AFTER apart (they were BUSY_S apart, i.e. once a second in
        # production, before).
        eventually(lambda: len(finds.times) >= 4, 30, "four looks of the idle relay")
        idle = _gaps(finds.times[:4])
        assert min(idle) >= 0.9 * RELAY_AFTER.total_seconds(), idle

        # An event left in the outbox (its process died before publishing it).
        event = Event("report.submitted", {"report_id": "r-left"})
        written = time.monotonic()
        db.reports.insert_one({"_id": "r-left", "outbox": [outbox_entry(event)]})
        published_at, sent = eventually(lambda: publisher.published and publisher.published[0],
                                        30, "the left event published by the relay")
        assert sent.message_id == event.message_id
        waited = published_at - written
        assert RELAY_AFTER.total_seconds() * 0.9 <= waited <= 2 * RELAY_AFTER.total_seconds() \
            + 0.5, waited
        assert db.reports.find_one({"_id": "r-left"})["outbox"] == []

        # The look that found it is followed by one soon after, then the idle pace again.
        after = len([t for t in finds.times if t <= published_at])
        eventually(lambda: len(finds.times) >= after + 2, 30, "two looks after the send")
        soon, idle_again = _gaps(finds.times[after - 1:after + 2])
        assert soon < RELAY_AFTER.total_seconds() / 2, (soon, idle_again)
        assert idle_again >= 0.9 * RELAY_AFTER.total_seconds(), (soon, idle_again)
        assert len(publisher.published) == 1
    finally:
        stop.set()
        relay.join(10)
    assert not relay.is_alive()
