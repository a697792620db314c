"""Committing a lifecycle plan (aduan/infra/reports.py) over an in-memory database and broker:
one conditional write with history and outbox, the events published and pulled from the
outbox (left there while the broker is down), and re-planning when someone else changed the
report in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes import FakePublisher, fake_db

from aduan.domain import lifecycle
from aduan.domain.errors import Conflict, NotFound
from aduan.domain.lifecycle import Actor, Plan, plan_archive, plan_rate
from aduan.infra.report_snapshots import snapshot_in
from aduan.infra.reports import Reports

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
OPERATOR = Actor(kind="staff", id="op-1", role="operator")


def plan_postpone(report: dict[str, Any], now: datetime, note: str) -> Plan:
    """A status change to commit: postponed for a week."""
    return lifecycle.plan_postpone(report, now, note, until=(now + timedelta(days=7)).date(),
                                   timezone="Asia/Jakarta")


def _report(status: str = "verified", **fields: Any) -> dict[str, Any]:
    return {"_id": "r1", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang", "category": "waste",
            "status": status, "created_at": NOW - timedelta(days=1), "version": 3,
            "history": [], "outbox": [], "agencies": [], "photos": [], **fields}


@pytest.fixture
def db():
    database = fake_db()
    # A unit test over the in-memory fake (tests/fakes.py): it holds what earlier steps left.
    database.reports.insert_one(_report())
    return database


def _stored(db) -> dict[str, Any]:
    return db.reports.find_one({"_id": "r1"})


def test_a_status_change_is_one_write_with_history_and_its_event_published(db):
    publisher = FakePublisher()
    plan = plan_postpone(_stored(db), NOW, "waiting for a photo")
    updated = Reports(db, publisher).commit(_stored(db), plan, OPERATOR, NOW, "req-1")
    stored = _stored(db)
    assert updated is not None and updated["status"] == stored["status"] == "postponed"
    assert stored["version"] == 4 and stored["forward_due_at"] is None
    [entry] = stored["history"]
    assert (entry["from"], entry["to"], entry["note"], entry["action"]) == (
        "verified", "postponed", "waiting for a photo", "postpone")
    assert entry["actor"] == {"kind": "staff", "id": "op-1", "role": "operator", "agency": None}
    [event] = publisher.published
    assert event.routing_key == "report.status_changed" and event.correlation_id == "req-1"
    facts = {k: v for k, v in event.body.items() if k != "report"}
    assert facts == {"report_id": "r1", "code": "PDG-2026-7KQ-4M9-X2A", "city": "padang",
                     "from": "verified", "status": "postponed", "actor_role": "operator",
                     "occurred_at": NOW.isoformat()}
    assert stored["outbox"] == []  # published: pulled from the outbox
    # The event carries the report as the write left it: its consumers need not read it.
    assert snapshot_in(event.body) == {k: v for k, v in stored.items() if k != "outbox"}


def test_a_plan_made_on_a_stale_read_writes_nothing(db):
    publisher = FakePublisher()
    stale = _stored(db)
    reports = Reports(db, publisher)
    assert reports.commit(stale, plan_postpone(stale, NOW, "n"), OPERATOR, NOW, None)
    again = plan_archive(stale, NOW, "n")  # still valid on the stale copy
    assert reports.commit(stale, again, OPERATOR, NOW, None) is None
    assert _stored(db)["status"] == "postponed" and len(publisher.published) == 1


def test_with_the_broker_down_the_event_waits_in_the_outbox(db):
    publisher = FakePublisher()
    publisher.down = True
    updated = Reports(db, publisher).commit(_stored(db), plan_postpone(_stored(db), NOW, "n"),
                                            OPERATOR, NOW, None)
    assert updated is not None and publisher.published == []
    [waiting] = _stored(db)["outbox"]
    assert waiting["routing_key"] == "report.status_changed"
    assert updated["outbox"] == [waiting]  # what the write stored, exactly


def test_a_plan_without_a_status_change_is_written_where_its_conditions_hold(db):
    # A closed report, placed: the conditions of the plan under test must fail on it.
    db.reports.update_one({"_id": "r1"}, {"$set": {"status": "closed"}})
    reports = Reports(db, FakePublisher())
    plan = plan_rate(_stored(db), NOW, 5, None)
    rated = reports.commit(_stored(db), plan, OPERATOR, NOW, None)
    assert rated is not None and _stored(db)["rating"]["score"] == 5
    assert _stored(db)["version"] == 3 and _stored(db)["history"] == []
    assert reports.commit(_stored(db), plan, OPERATOR, NOW, None) is None  # rated already


def test_an_illegal_status_change_is_refused_before_any_write(db):
    with pytest.raises(Conflict) as refused:
        Reports(db, FakePublisher()).commit(_stored(db), Plan("verify", "closed"), OPERATOR,
                                            NOW, None)
    assert refused.value.code == "illegal_transition"
    assert _stored(db)["status"] == "verified"


def _another_writer_first(db, change: dict[str, Any], planner):
    """A planner that, the first time, lets someone else change the report before it plans."""
    calls: list[str] = []

    def planning(report: dict[str, Any], now: datetime) -> Plan:
        if not calls:
            # Someone else writes between this read and the write under test: the race itself.
            db.reports.update_one({"_id": "r1"}, {"$set": change, "$inc": {"version": 1}})
        calls.append(report["status"])
        return planner(report, now)

    return planning, calls


def test_perform_plans_again_when_the_report_changed_and_the_action_still_holds(db):
    planner, calls = _another_writer_first(db, {"triage": True},
                                           lambda r, now: plan_postpone(r, now, "n"))
    updated = Reports(db, FakePublisher()).perform("r1", planner, OPERATOR, None)
    assert updated["status"] == "postponed" and updated["triage"] is True
    assert calls == ["verified", "verified"]


def test_perform_refuses_what_someone_else_made_impossible_meanwhile(db):
    planner, calls = _another_writer_first(db, {"status": "archived"},
                                           lambda r, now: plan_postpone(r, now, "n"))
    with pytest.raises(Conflict) as refused:
        Reports(db, FakePublisher()).perform("r1", planner, OPERATOR, None)
    assert refused.value.code == "concurrent_update"
    assert refused.value.details == {"status": "archived", "refused": "illegal_transition"}
    assert calls == ["verified", "archived"]


def test_perform_refuses_at_once_what_was_never_possible(db):
    # Closed before the action: a status no API door reaches for this test's report.
    db.reports.update_one({"_id": "r1"}, {"$set": {"status": "closed"}})
    with pytest.raises(Conflict) as refused:
        Reports(db, FakePublisher()).perform("r1", lambda r, now: plan_postpone(r, now, "n"),
                                             OPERATOR, None)
    assert refused.value.code == "illegal_transition"


def test_perform_gives_up_on_a_report_that_keeps_changing(db):
    def planner(report: dict[str, Any], now: datetime) -> Plan:
        # Someone else writes between this read and the write under test: the race itself.
        db.reports.update_one({"_id": "r1"}, {"$inc": {"version": 1}})
        return plan_postpone(report, now, "n")

    with pytest.raises(Conflict) as refused:
        Reports(db, FakePublisher()).perform("r1", planner, OPERATOR, None)
    assert refused.value.code == "concurrent_update"
    assert _stored(db)["status"] == "verified"


def test_perform_on_a_missing_report(db):
    with pytest.raises(NotFound):
        Reports(db, FakePublisher()).perform("nope", lambda r, now: plan_postpone(r, now, "n"),
                                             OPERATOR, None)


def test_a_comment_ending_a_clock_is_written_only_on_the_version_read(db):
    # A unit test over the in-memory fake: the report as an earlier forward to DLH left it.
    db.reports.update_one({"_id": "r1"}, {"$set": {"status": "accepted", "agencies": [
        {"code": "DLH", "status": "accepted", "due_at": NOW + timedelta(days=5),
         "responded_at": None}]}})
    read = _stored(db)
    comment = {"id": "c1", "text": "Sudah dijadwalkan", "at": NOW, "agency": "DLH"}
    admin = Actor(kind="staff", id="adm", role="agency_admin", agency="DLH")
    stale = {**read, "version": 2}
    reports = Reports(db, FakePublisher())
    assert reports.commit(stale, lifecycle.plan_comment(stale, comment, "DLH"), admin, NOW,
                          None) is None
    updated = reports.commit(read, lifecycle.plan_comment(read, comment, "DLH"), admin, NOW,
                             None)
    # Its report.commented went out through the outbox (the after-image still holds it).
    assert updated is not None and {**updated, "outbox": []} == _stored(db)
    assert reports.publisher.keys() == ["report.commented"]
    assert updated["version"] == 4 and updated["comments"] == [comment]
    assert (updated["agencies"][0]["due_at"], updated["agencies"][0]["responded_at"]) == (
        None, NOW)
