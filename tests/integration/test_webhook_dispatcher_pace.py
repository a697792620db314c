"""The webhook dispatcher's pace on the real database server (services/notification/
dispatcher.py run): an idle dispatcher spreads its look-ups out to IDLE_FACTOR poll intervals,
takes a delivery that fell due meanwhile within that, and looks again at once after a look
that found work, then at the poll interval.

The dispatcher runs here in a thread over a database of its own on the stack's server, so that
it never takes the stack's own deliveries. The delivery put in line belongs to a subscription
that does not exist: the attempt cancels it without sending anything (the sender here fails
the test if called)."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime

import pytest
from pymongo import monitoring
from timed_commands import gaps, own_database
from waiting import eventually

from services.notification.dispatcher import IDLE_FACTOR, run
from services.notification.webhooks import Dispatcher

pytestmark = pytest.mark.stack

POLL_S = 0.2


def _due_look(event: monitoring.CommandStartedEvent) -> bool:
    """A look-up for due deliveries: a `find` on `deliveries` by due time."""
    return (event.command_name == "find" and event.command.get("find") == "deliveries"
            and "next_attempt_at" in event.command.get("filter", {}))


def _claim(event: monitoring.CommandStartedEvent) -> bool:
    return event.command_name == "findAndModify"


class NoSender:
    def post(self, *_args, **_kwargs):
        raise AssertionError("nothing should be sent: the subscription does not exist")


@pytest.fixture
def dispatcher_db(settings):
    with own_database(settings.mongo_url, "dispatch",
                      {"looks": _due_look, "claims": _claim}) as (db, times):
        yield db, times


def test_an_idle_dispatcher_looks_less_often_and_still_takes_a_due_delivery(settings,
                                                                             dispatcher_db):
    db, times = dispatcher_db
    looks, claims = times.times["looks"], times.times["claims"]
    cap = IDLE_FACTOR * POLL_S
    dispatcher = Dispatcher(dataclasses.replace(settings, webhook_poll_interval_s=POLL_S,
                                                webhook_concurrency=1), db, NoSender())
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(dispatcher, stop), daemon=True)
    thread.start()
    try:
        # Idle: POLL_S, twice that, four times, then IDLE_FACTOR times (was POLL_S each).
        eventually(lambda: len(looks) >= 6, 30, "six looks of the idle dispatcher")
        idle = gaps(looks[:6])
        assert idle[0] < 0.6 * cap, idle
        assert min(idle[-2:]) >= 0.9 * cap, idle

        # Written here, not through the API: the dispatcher runs over a database of its own,
        # and the delivery must fall due at a moment the test picks, mid-idle.
        now = datetime.now(UTC)
        put = time.monotonic()
        db.deliveries.insert_one({
            "_id": "m1:webhook:gone", "report_id": "r1", "city": "depok",
            "event": "report.forwarded", "message_id": "m1", "channel": "webhook",
            "subscription_id": "gone", "payload": "{}", "result": "pending", "attempts": 0,
            "next_attempt_at": now, "created_at": now, "updated_at": now})
        eventually(lambda: (db.deliveries.find_one({"_id": "m1:webhook:gone"}) or {})
                   .get("result") == "cancelled", 30, "the due delivery attempted")
        claimed = claims[0]
        assert claimed - put <= cap + 0.5, claimed - put

        # The look that found it is followed by one at once, then at POLL_S again.
        found = max(i for i, t in enumerate(looks) if t < claimed)
        eventually(lambda: len(looks) >= found + 3, 30, "two looks after the attempt")
        at_once, then = gaps(looks[found:found + 3])
        assert at_once < POLL_S and then < 0.6 * cap, (at_once, then)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
