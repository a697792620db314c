"""The outbox relay's schedule on the real database server (aduan/infra/outbox.py relay_loop):
an idle relay looks once per relay delay, not once a second, and an event left in the outbox
still goes out within twice the delay, the relay then looking again soon.

The relay runs here in a thread over a database of its own on the stack's server, so that it
neither sees nor takes out the events of the stack's own reports; its publisher records what
it is given (the broker is not what is under test: the look-ups are)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from pymongo import monitoring
from timed_commands import gaps, own_database
from waiting import eventually

from aduan.infra.messaging import Event
from aduan.infra.outbox import outbox_entry, relay_loop

pytestmark = pytest.mark.stack

RELAY_AFTER = timedelta(seconds=1.0)
BUSY_S = 0.1


def _relay_look(event: monitoring.CommandStartedEvent) -> bool:
    """The relay's look-up: a `find` on `reports` by outbox date."""
    return (event.command_name == "find" and event.command.get("find") == "reports"
            and "outbox.created_at" in event.command.get("filter", {}))


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[float, Event]] = []

    def publish(self, event: Event) -> None:
        self.published.append((time.monotonic(), event))


@pytest.fixture
def relay_db(settings):
    with own_database(settings.mongo_url, "relay", {"looks": _relay_look}) as (db, times):
        yield db, times.times["looks"]


def test_an_idle_relay_looks_once_per_delay_and_still_sends_a_left_event_in_time(relay_db):
    db, looks = relay_db
    publisher = RecordingPublisher()
    stop = threading.Event()
    relay = threading.Thread(target=relay_loop, daemon=True,
                             args=(db, publisher, RELAY_AFTER, stop, BUSY_S))
    relay.start()
    try:
        # Idle: looks RELAY_AFTER apart (they were BUSY_S apart, i.e. once a second in
        # production, before).
        eventually(lambda: len(looks) >= 4, 30, "four looks of the idle relay")
        idle = gaps(looks[:4])
        assert min(idle) >= 0.9 * RELAY_AFTER.total_seconds(), idle

        # An event left in the outbox, written directly: only a process that died before
        # publishing it leaves one there, which no API call can do.
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
        after = len([t for t in looks if t <= published_at])
        eventually(lambda: len(looks) >= after + 2, 30, "two looks after the send")
        soon, idle_again = gaps(looks[after - 1:after + 2])
        assert soon < RELAY_AFTER.total_seconds() / 2, (soon, idle_again)
        assert idle_again >= 0.9 * RELAY_AFTER.total_seconds(), (soon, idle_again)
        assert len(publisher.published) == 1
    finally:
        stop.set()
        relay.join(10)
    assert not relay.is_alive()
