"""Published events taken out of the outbox together (aduan/infra/outbox.py defer_pulls), over
the in-memory fake database: one write for many reports, and what a process left behind when it
stopped is published again by the relay, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fakes import FakePublisher, fake_db

from aduan.infra import outbox
from aduan.infra.config import Settings
from aduan.infra.messaging import Event
from aduan.infra.outbox import DeferredPulls, flush, outbox_entry, relay_pass


@pytest.fixture
def db():
    return fake_db()


def stored_with_event(db, report_id: str) -> Event:
    event = Event("report.submitted", {"report_id": report_id})
    # Written straight into the fake: a report as Reports.create leaves it, event in its outbox.
    db.reports.insert_one({"_id": report_id, "code": f"PDG-{report_id}",
                           "outbox": [outbox_entry(event)]})
    return event


def outbox_of(db, report_id: str) -> list[str]:
    return [e["message_id"] for e in db.reports.find_one({"_id": report_id})["outbox"]]


def test_without_deferred_pulls_an_event_leaves_the_outbox_when_published(db):
    event = stored_with_event(db, "r1")
    assert flush(db, "r1", [event], FakePublisher())
    assert outbox_of(db, "r1") == []


def test_deferred_pulls_take_many_reports_events_out_in_one_write(db):
    outbox.defer_pulls(db, interval_s=3600)  # the thread never gets there: pulled by hand
    events = {rid: stored_with_event(db, rid) for rid in ("r1", "r2", "r3")}
    publisher = FakePublisher()
    for rid, event in events.items():
        assert flush(db, rid, [event], publisher)
    assert [outbox_of(db, rid) for rid in events] == [[e.message_id] for e in events.values()]
    writes = []
    update_many = db.reports.update_many
    db.reports.update_many = lambda *a, **k: writes.append(1) or update_many(*a, **k)
    outbox._deferred.pull_now()
    assert writes == [1] and all(outbox_of(db, rid) == [] for rid in events)


def test_an_event_a_stopped_process_left_in_the_outbox_is_published_again_by_the_relay(db):
    pulls = DeferredPulls(db, 3600)
    outbox._deferred = pulls
    event = stored_with_event(db, "r1")
    first = FakePublisher()
    assert flush(db, "r1", [event], first)
    outbox._deferred = None  # the process stopped before its pulls were written
    relay = FakePublisher()
    # A cutoff a second ahead: the fake keeps milliseconds, the entry was made this one.
    assert relay_pass(db, relay, older_than=timedelta(seconds=-1)) == (1, 1)  # found, sent
    assert [e.message_id for e in relay.published] == [event.message_id]
    assert outbox_of(db, "r1") == []


def test_an_event_the_broker_refused_stays_for_the_relay(db):
    outbox.defer_pulls(db, interval_s=3600)
    event = stored_with_event(db, "r1")
    down = FakePublisher()
    down.down = True
    assert not flush(db, "r1", [event], down)
    outbox._deferred.pull_now()
    assert outbox_of(db, "r1") == [event.message_id]


def test_a_pass_takes_out_the_events_added_before_the_previous_pass(db):
    """Each waits one to two intervals: time for its consumer to take it out in its own
    write, after which the pull changes nothing."""
    pulls = DeferredPulls(db, 3600)
    outbox._deferred = pulls
    first = stored_with_event(db, "r1")
    assert flush(db, "r1", [first], FakePublisher())
    pulls.pull_now(aged_only=True)  # r1 was added since the last pass: it waits
    assert outbox_of(db, "r1") == [first.message_id]
    second = stored_with_event(db, "r2")
    assert flush(db, "r2", [second], FakePublisher())
    pulls.pull_now(aged_only=True)
    assert (outbox_of(db, "r1"), outbox_of(db, "r2")) == ([], [second.message_id])
    pulls.pull_now()  # at exit: all of them
    assert outbox_of(db, "r2") == []


def test_an_event_is_pulled_before_the_relay_would_publish_it_again():
    # One to two intervals after it went out, under the relay's delay (5 s; 1 s in tests).
    assert outbox.pull_interval(5.0) == 2.0
    assert 2 * outbox.pull_interval(1.0) < 1.0
    assert outbox.pull_interval(60.0) == 2.0


def test_the_relay_looks_again_soon_only_after_a_look_that_found_events_or_failed():
    delay = timedelta(seconds=5)
    assert outbox.relay_wait(0, False, delay) == 5.0  # idle: nothing written now is due sooner
    assert outbox.relay_wait(3, False, delay) == outbox.BUSY_INTERVAL_S
    assert outbox.relay_wait(0, True, delay) == outbox.BUSY_INTERVAL_S
    assert outbox.relay_wait(0, False, timedelta(seconds=0.2)) == outbox.BUSY_INTERVAL_S


def test_a_relay_pass_the_broker_refused_counts_what_it_found_as_not_sent(db):
    event = stored_with_event(db, "r1")
    down = FakePublisher()
    down.down = True
    # A cutoff a second ahead: the fake keeps milliseconds, the entry was made this one.
    assert outbox.relay_pass(db, down, older_than=timedelta(seconds=-1)) == (1, 0)
    assert outbox.relay_wait(1, False, timedelta(seconds=5)) == outbox.BUSY_INTERVAL_S
    assert outbox_of(db, "r1") == [event.message_id]


def test_the_relay_waits_well_past_a_live_process_s_pulls():
    # A live process pulls a published event 2-4 s after the publish; a saturated database
    # queues that command for seconds (1-3 s for intake's insert at 16 clients on 2 cores).
    # The relay's delay leaves at least 5 s for that, else it publishes the event again.
    relay_after = Settings().outbox_relay_after_s
    assert relay_after - 2 * outbox.pull_interval(relay_after) >= 5.0
