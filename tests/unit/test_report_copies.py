"""When a consumer may act on the copy of the report its event carries
(aduan/infra/report_snapshots.py `carried`) and where that copy travels: only a fresh first
delivery is trusted (a retried, redelivered, replayed or late event reads the report); the
copy is added as the event is published, never stored in the report's outbox, and the relay
sends late events without it. Over the in-memory fake database (tests/fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes import FakeEmail, FakePublisher, FakeSms, FakeWebhooks, fake_db
from test_follower_notices import FOLLOWERS, SETTINGS, _report

from aduan.domain import lifecycle
from aduan.domain.lifecycle import Actor
from aduan.infra.messaging import Delivery, Event
from aduan.infra.outbox import DeferredPulls, outbox_entry, relay_pass
from aduan.infra.report_snapshots import FIELD, carried, snapshot_in, with_snapshot
from aduan.infra.reports import Reports
from services.notification.senders import Senders
from services.notification.worker import Notifier

NOW = datetime.now(UTC)
OPERATOR = Actor(kind="staff", id="op-1", role="operator")


def delivery(body: dict[str, Any], attempts: int = 0, **flags: bool) -> Delivery:
    return Delivery(routing_key="report.status_changed", body=body, message_id="m1",
                    correlation_id=None, type=None, attempts=attempts, **flags)


def test_only_a_fresh_first_delivery_s_copy_is_used():
    report = _report(status="in_progress")
    body = with_snapshot({"report_id": "r1", "status": "in_progress"}, report)
    assert carried(delivery(body)) == report
    assert carried(delivery(body, attempts=1)) is None
    assert carried(delivery(body, redelivered=True)) is None
    assert carried(delivery(body, replayed=True)) is None  # attempts reset by a replay
    old = with_snapshot({"report_id": "r1"}, report, now=NOW - timedelta(seconds=30))
    assert carried(delivery(old)) is None  # waited in a backlog: the report may have changed
    assert snapshot_in(old) == report  # still readable, just not trusted
    assert carried(delivery({"report_id": "r1", FIELD: "{}"})) is None


def _notifier_over(stored: dict[str, Any]) -> tuple[Notifier, FakeEmail]:
    db = fake_db()
    # Written straight into the fake: the report as it is now, after its follower left
    # (the API path, POST/DELETE of a follow, is tests/integration/test_followers.py's).
    db.reports.insert_one(stored)
    email = FakeEmail()
    return Notifier(SETTINGS, db, Senders(email, FakeSms(), FakeWebhooks())), email


@pytest.mark.parametrize("flags", [{"replayed": True}, {"redelivered": True}])
def test_a_replayed_event_does_not_tell_a_follower_who_has_left(flags):
    now_report = _report(status="in_progress", followers=[])  # unfollowed since
    notifier, email = _notifier_over(now_report)
    copy = _report(status="in_progress", followers=FOLLOWERS)  # as the step left it
    body = with_snapshot({"report_id": "r1", "code": copy["code"], "from": "forwarded",
                          "status": "in_progress"}, copy)
    notifier.handle(delivery(body, **flags))
    assert email.to("tetangga@example.id") == []
    notifier.handle(Delivery(routing_key="report.status_changed", body=body,
                             message_id="m2", correlation_id=None, type=None, attempts=0))
    assert len(email.to("tetangga@example.id")) == 1  # a fresh event: its copy is used


def test_the_outbox_holds_events_without_the_copy_and_the_published_one_carries_it():
    db = fake_db()
    report = {"_id": "r1", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang",
              "category": "waste", "status": "verified", "created_at": NOW - timedelta(days=1),
              "version": 3, "history": [], "outbox": [], "agencies": [], "photos": []}
    db.reports.insert_one(report)  # the fake holds what earlier steps left
    plan = lifecycle.plan_postpone(report, NOW, "waiting", timezone="Asia/Jakarta",
                                   until=(NOW + timedelta(days=7)).date())
    publisher = FakePublisher()
    publisher.down = True  # the events stay in the outbox, as stored
    updated, events = Reports(db, publisher).write(report, plan, OPERATOR, NOW, None)
    assert updated is not None and events
    [entry] = db.reports.find_one({"_id": "r1"})["outbox"]
    assert FIELD not in entry["body"] and entry["message_id"] == events[0].message_id
    assert snapshot_in(events[0].body)["status"] == "postponed"


def test_the_relay_sends_a_late_event_without_the_copy_an_earlier_version_stored():
    db = fake_db()
    report = _report(status="submitted")
    event = Event("report.submitted", with_snapshot({"report_id": "r1"}, report))
    entry = {**outbox_entry(event), "created_at": NOW - timedelta(minutes=1)}
    db.reports.insert_one({**report, "outbox": [entry]})  # as an earlier version left it
    publisher = FakePublisher()
    assert relay_pass(db, publisher, timedelta(seconds=5)) == (1, 1)  # found, sent
    [sent] = publisher.published
    assert sent.message_id == event.message_id and FIELD not in sent.body


def test_deferred_pulls_keep_at_most_max_pending_reports_the_oldest_left_to_the_relay():
    db = fake_db()
    pulls = DeferredPulls(db, 3600, max_pending=2)
    for report_id in ("r1", "r2", "r3"):
        pulls.add(report_id, [f"m-{report_id}"])
    assert list(pulls._pending) == ["r2", "r3"]
