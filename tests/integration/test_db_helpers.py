"""Database helpers under concurrency, against the real MongoDB-protocol server. What is under
test here is the layer below the API (counters, seeding, `Reports.write`, the outbox, the
indexes), so these tests write their bare reports directly."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from aduan.domain.errors import Conflict
from aduan.domain.lifecycle import Actor, Plan, postponed_due_filter
from aduan.infra.catalogue import ensure_seeded
from aduan.infra.db import ensure_indexes, increment
from aduan.infra.reports import Reports

pytestmark = pytest.mark.stack


def test_concurrent_first_increments_of_one_key_count_every_one(db):
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=16) as pool:
        seen = list(pool.map(lambda _: increment(db.counters, key)["n"], range(64)))
    assert sorted(seen) == list(range(1, 65))
    assert db.counters.find_one({"_id": key})["n"] == 64


def test_seeding_from_several_processes_at_once_is_harmless(db):
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: ensure_seeded(db), range(4)))
    assert db.categories.count_documents({"city": "padang", "code": "waste"}) == 1


@pytest.fixture
def scratch(db):
    """Makes bare reports of a city no service serves, and removes them (and their outbox
    entries, before the relay's delay is up) so that no worker ever sees them."""
    made: list[str] = []

    def make(status: str = "verifying") -> dict:
        now = datetime.now(UTC).replace(microsecond=0)
        report = {"_id": uuid.uuid4().hex, "code": f"T-{uuid.uuid4().hex[:10]}",
                  "city": "nowhere", "status": status, "created_at": now,
                  "photos": [{"id": "p1"}], "verification": {"verdict": None}, "history": [],
                  "outbox": []}
        db.reports.insert_one(report)
        made.append(report["_id"])
        return report

    yield make
    db.reports.delete_many({"_id": {"$in": made}})


def stored(db, report_id: str) -> dict:
    document = db.reports.find_one({"_id": report_id})
    db.reports.update_one({"_id": report_id}, {"$set": {"outbox": []}})
    return document


SYSTEM = Actor(kind="system", id="test")


def write(db, report: dict, plan: Plan) -> tuple[dict | None, list]:
    return Reports(db, None).write(report, plan, SYSTEM, datetime.now(UTC), None)


def test_a_write_returns_exactly_what_the_server_stored(db, scratch):
    report = scratch()
    updated, events = write(db, report, Plan(
        "judge", "verified", "ok",
        set={"verification.verdict": "verified", "photos": [{"id": "p1", "x": 1}],
             # far ahead: the SLA sweep must not touch this report mid-test
             "forward_due_at": report["created_at"] + timedelta(days=3650)}))
    assert updated == stored(db, report["_id"])
    assert updated["version"] == 1 and updated["history"][-1]["to"] == "verified"
    assert [e["message_id"] for e in updated["outbox"]] == [e.message_id for e in events]
    again, _ = write(db, {**updated, "outbox": []}, Plan("route", "forwarded"))
    assert again == stored(db, report["_id"])
    assert again["version"] == 2 and len(again["history"]) == 2


def test_of_concurrent_writes_from_one_read_exactly_one_wins(db, scratch):
    report = scratch()
    targets = ["verified", "rejected", "needs_review"] * 4
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda target: write(db, report, Plan("judge", target))[0],
                                targets))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert stored(db, report["_id"]) == winners[0] and len(winners[0]["history"]) == 1


def test_a_silent_intermediate_status_is_recorded_in_the_same_write(db, scratch):
    report = scratch("submitted")
    started = datetime.now(UTC).replace(microsecond=0)
    updated, events = write(db, report, Plan("judge", "rejected",
                                             through=("verifying", started)))
    document = stored(db, report["_id"])
    assert updated == document and document["version"] == 1
    assert [(h["from"], h["to"]) for h in document["history"]] == [
        ("submitted", "verifying"), ("verifying", "rejected")]
    assert document["history"][0]["at"] == started
    assert [(e.routing_key, e.body["from"]) for e in events] == [("report.rejected", "verifying")]


def _with_outbox(db, report: dict, *message_ids: str) -> None:
    # Dated ahead: the relay of the running stack leaves them alone.
    db.reports.update_one({"_id": report["_id"]}, {"$set": {"outbox": [
        {"message_id": m, "routing_key": "report.x", "body": {}, "correlation_id": None,
         "created_at": datetime.now(UTC) + timedelta(days=1)} for m in message_ids]}})


def _outbox_ids(db, report: dict) -> list[str]:
    return [e["message_id"] for e in db.reports.find_one({"_id": report["_id"]})["outbox"]]


def test_a_consumers_write_takes_the_event_it_handles_out_of_the_outbox(db, scratch):
    report = scratch()
    _with_outbox(db, report, "handled")
    updated, events = Reports(db, None).write(report, Plan("judge", "verified"), SYSTEM,
                                              datetime.now(UTC), None, published="handled")
    assert updated is not None
    assert _outbox_ids(db, report) == [e.message_id for e in events]  # its own event only
    # The publisher's deferred pull then changes nothing: the report is not written again.
    pulled = db.reports.update_many({"_id": {"$in": [report["_id"]]}},
                                    {"$pull": {"outbox": {"message_id": {"$in": ["handled"]}}}})
    assert (pulled.matched_count, pulled.modified_count) == (1, 0)
    # A write without events takes it out too.
    _with_outbox(db, report, "next")
    facts, _ = Reports(db, None).write(updated, Plan("triage", None, set={"kecamatan": "x"}),
                                       SYSTEM, datetime.now(UTC), None, published="next")
    assert facts is not None and _outbox_ids(db, report) == []
    stored(db, report["_id"])


def test_an_event_not_yet_published_stays_in_the_outbox_beside_the_new_one(db, scratch):
    report = scratch()
    _with_outbox(db, report, "handled", "someone-elses")
    updated, events = Reports(db, None).write(report, Plan("judge", "verified"), SYSTEM,
                                              datetime.now(UTC), None, published="handled")
    assert updated is not None and updated["version"] == 1
    assert _outbox_ids(db, report) == ["handled", "someone-elses", events[0].message_id]
    # A report changed since it was read is still not written.
    missed, _ = Reports(db, None).write(report, Plan("judge", "rejected"), SYSTEM,
                                        datetime.now(UTC), None, published="handled")
    assert missed is None and stored(db, report["_id"])["version"] == 1


def test_an_intermediate_status_that_is_not_a_silent_step_is_refused(db, scratch):
    report = scratch("submitted")
    with pytest.raises(Conflict):
        write(db, report, Plan("route", "forwarded", through=("verified", datetime.now(UTC))))
    assert db.reports.find_one({"_id": report["_id"]})["history"] == []


def test_start_up_drops_the_indexes_earlier_versions_made(db):
    db.reports.create_index([("geo", "2dsphere")], name="geo_2dsphere")
    db.reports.create_index([("idempotency_key", 1)], name="idempotency_key_1", unique=True,
                            partialFilterExpression={"idempotency_key": {"$type": "string"}})
    try:
        ensure_indexes(db)
    finally:
        names = {index["name"] for index in db.reports.list_indexes()}
        for leftover in {"geo_2dsphere", "idempotency_key_1"} & names:
            db.reports.drop_index(leftover)
    assert not {"geo_2dsphere", "idempotency_key_1"} & names
    assert "city_1_location.lat_1_location.lon_1" in names
    ensure_indexes(db)  # nothing left to drop: harmless


def test_start_up_makes_again_an_index_an_earlier_version_made_not_sparse(db):
    db.reports.drop_index("postponed_until_1")
    db.reports.create_index([("postponed_until", 1)], name="postponed_until_1")
    ensure_indexes(db)
    indexes = {index["name"]: index for index in db.reports.list_indexes()}
    assert indexes["postponed_until_1"].get("sparse") is True
    assert "sparse" not in indexes["forward_due_at_1"]  # one meant not sparse stays so
    postponed = {"_id": "postponed-sparse", "code": "PDG-SPARSE", "city": "padang",
                 "status": "postponed", "postponed_until": datetime(2020, 1, 1, tzinfo=UTC)}
    db.reports.insert_one(postponed)
    try:
        # The sweep's look-up still finds it (through the sparse index on MongoDB).
        due = db.reports.find(postponed_due_filter(datetime.now(UTC)), {"_id": 1})
        assert "postponed-sparse" in {report["_id"] for report in due}
    finally:
        db.reports.delete_one({"_id": "postponed-sparse"})
