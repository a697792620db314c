"""The SP4N-LAPOR! exporter (consumer "lapor") over the in-memory database and the suite's
LAPOR! double: what it ignores, what it sends once, how it fails (retry or park), the lease
between two exporters, a crashed exporter's unknown send, and forwarding a referred report.

Unit tests of the handler over the in-memory fakes: reports, leases held by a dead exporter
and sends whose outcome is unknown are written as the exporter would find them, states no
public API makes; the stack proves the same paths through the API
(tests/integration/test_lapor_export.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes import fake_db, seeded_fake_db
from lapor_double import CREATE, POST_FOLLOWUP, Fault, LaporDouble

from aduan.infra.config import Settings
from aduan.infra.messaging import Delivery
from aduan.web.errors import PermanentError
from services.lapor.adapter import LaporUnauthorized, LaporUnavailable
from services.lapor.exporter import Exporter, LeaseBusy
from services.lapor.sync import SyncStore

T0 = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
ACTOR = {"kind": "staff", "role": "operator"}


@pytest.fixture()
def double():
    with LaporDouble({"tok": "padang"}) as server:
        yield server


def exporter(double: LaporDouble, db, **changes: Any) -> Exporter:
    values = {"lapor_base_url": double.url, "lapor_tokens": "padang=tok",
              "lapor_timeout_s": 1.0, "lapor_lease_s": 0.5, **changes}
    return Exporter(replace(Settings(), **values), db)


def entry(to: str, minutes: int, **more: Any) -> dict[str, Any]:
    return {"at": T0 + timedelta(minutes=minutes), "to": to, "actor": ACTOR,
            "note": "catatan internal", **more}


def imported_report(db, report_id: str = "r1", **more: Any) -> dict[str, Any]:
    report = {"_id": report_id, "code": f"PDG-{report_id}", "city": "padang",
              "channel": "sp4n_lapor", "external": {"system": "sp4n_lapor", "id": "T1"},
              "type": "complaint", "status": "forwarded", "history": [
                  entry("submitted", 0), entry("needs_review", 1), entry("verified", 2),
                  entry("forwarded", 3, agencies=["DLH"])], **more}
    db.reports.insert_one(report)
    return report


def event(report_id: str = "r1", key: str = "report.forwarded", city: str = "padang"
          ) -> Delivery:
    return Delivery(key, {"report_id": report_id, "city": city, "code": "x"}, "m1", None,
                    key, 0)


def test_nothing_happens_when_off_for_the_city_or_not_linked(double):
    db = fake_db()
    imported_report(db)
    db.reports.insert_one({"_id": "r2", "code": "PDG-r2", "city": "padang", "channel": "app",
                           "status": "verified", "history": [entry("submitted", 0)]})
    exporter(double, db, lapor_base_url="").handle(event())
    exporter(double, db, lapor_tokens="jambi=tok").handle(event())
    exporter(double, db).handle(event("r2"))
    exporter(double, db).handle(event("gone"))
    assert db.lapor_sync.count_documents({}) == 0 and double.received == []


def test_an_imported_report_is_linked_and_its_steps_sent_once(double):
    db = fake_db()
    imported_report(db)
    exporter(double, db).handle(event())
    exporter(double, db).handle(event())  # a redelivery, or the next event
    assert double.refs("T1") == ["aduan:r1:h2", "aduan:r1:h3"]
    assert [f["status"] for f in double.sent("T1")] == ["diverifikasi", "didisposisikan"]
    assert all("internal" not in f["isi"] for f in double.sent("T1"))
    sync = SyncStore(db).get("r1")
    assert (sync["direction"], sync["tracking_id"], sync["last_exported_seq"]) == \
        ("imported", "T1", 3)
    assert sync["pending"] == 0 and sync["lease"] is None and sync["inflight"] is None


def test_an_outage_is_retried_and_a_refusal_parked(double):
    db = fake_db()
    imported_report(db)
    double.plan(POST_FOLLOWUP, Fault(status=503))
    with pytest.raises(LaporUnavailable):
        exporter(double, db).handle(event())
    sync = SyncStore(db).get("r1")
    assert sync["last_error"]["reason"] == "unavailable" and sync["pending"] == 2
    double.plan(POST_FOLLOWUP, Fault(status=422))
    with pytest.raises(PermanentError):
        exporter(double, db).handle(event())
    assert SyncStore(db).get("r1")["last_error"]["reason"] == "rejected"
    exporter(double, db).handle(event())
    assert double.refs("T1") == ["aduan:r1:h2", "aduan:r1:h3"]
    assert SyncStore(db).get("r1")["last_error"] is None


def test_a_held_lease_is_waited_for_and_a_dead_holders_send_is_not_repeated(double):
    db = fake_db()
    imported_report(db)
    store = SyncStore(db)
    store.link("r1", "PDG-r1", "padang", "T1", "imported", T0)
    # Another exporter holds the report, alive (renewing): this one gives up after a lease.
    now = datetime.now(UTC)
    db.lapor_sync.update_one({"_id": "r1"}, {"$set": {
        "lease": {"owner": "other", "until": now + timedelta(hours=1)}}})
    with pytest.raises(LeaseBusy):
        exporter(double, db).handle(event())
    assert store.get("r1")["recheck"] is True
    # The catch-up looks again.
    assert [d["_id"] for d in store.with_pending(datetime.now(UTC))] == ["r1"]
    # It died after its POST of h2 reached LAPOR!, before recording it; its lease ran out.
    double.followups["T1"] = [{"ref": "aduan:r1:h2", "status": "diverifikasi", "isi": "x",
                               "tanggal": "2026-11-02T03:02:00Z"}]
    db.lapor_sync.update_one({"_id": "r1"}, {"$set": {
        "lease": {"owner": "other", "until": now - timedelta(seconds=1)},
        "inflight": {"ref": "aduan:r1:h2", "at": now}}})
    exporter(double, db).handle(event())
    assert double.refs("T1") == ["aduan:r1:h2", "aduan:r1:h3"]
    assert [e["ref"] for e in store.get("r1")["exported"]] == ["aduan:r1:h2", "aduan:r1:h3"]
    assert store.get("r1")["recheck"] is False and store.with_pending(datetime.now(UTC)) == []


def referred_report(db, report_id: str = "r5") -> dict[str, Any]:
    report = {"_id": report_id, "code": f"PDG-{report_id}", "city": "padang",
              "channel": "call_centre", "type": "complaint", "status": "referred",
              "category": "other", "privacy": "public", "description": "Pungutan liar samsat",
              "reporter": {"name": "Siti", "phone": "+6281299990000"},
              "location": {"address": "Jl. Khatib Sulaiman"}, "created_at": T0,
              "referral": {"code": "SP4N-LAPOR"}, "history": [
                  entry("submitted", 0), entry("needs_review", 1),
                  entry("referred", 2, agencies=["SP4N-LAPOR"], public_response="Dirujuk")],
              "comments": [{"by": "operator", "text": "Sebelum dirujuk", "at": T0}]}
    db.reports.insert_one(report)
    return report


def test_a_referred_report_is_created_at_lapor_once_without_its_reporter(double):
    db = seeded_fake_db()
    referred_report(db)
    double.plan(CREATE, Fault(pause_s=2))  # created, but the answer comes too late
    with pytest.raises(LaporUnavailable):
        exporter(double, db).handle(event("r5", "report.referred"))
    exporter(double, db).handle(event("r5", "report.referred"))
    assert len(double.created) == 1 and double.created[0]["ref"] == "r5"
    assert double.created[0]["judul"] == "Aduan PDG-r5: Lainnya"
    assert "Siti" not in str(double.created) and "+62812" not in str(double.created)
    sync = SyncStore(db).get("r5")
    assert (sync["direction"], sync["tracking_id"]) == ("forwarded", "LPR9000")
    # The referral itself and what came before it are the report LAPOR! got, not follow-ups.
    assert double.refs("LPR9000") == []
    db.reports.update_one({"_id": "r5"}, {"$push": {"comments": {
        "by": "operator", "text": "Berkas dikirim", "at": T0 + timedelta(minutes=5)}}})
    exporter(double, db).handle(Delivery("report.commented", {"report_id": "r5",
                                                               "city": "padang"}, "m2", None,
                                         None, 0))
    assert double.refs("LPR9000") == ["aduan:r5:c1"]


def test_a_referral_taken_back_before_it_reached_lapor_is_unlinked(double):
    db = fake_db()
    referred_report(db)
    double.plan(CREATE, Fault(status=503))
    with pytest.raises(LaporUnavailable):
        exporter(double, db).handle(event("r5", "report.referred"))
    db.reports.update_one({"_id": "r5"}, {"$set": {"status": "forwarded", "referral": None}})
    exporter(double, db).handle(event("r5", "report.forwarded"))
    assert SyncStore(db).get("r5") is None and double.created == []


def test_a_refused_token_is_a_failure_of_the_export(double):
    db = fake_db()
    imported_report(db)
    with pytest.raises(LaporUnauthorized):
        exporter(double, db, lapor_tokens="padang=revoked").handle(event())
    assert SyncStore(db).get("r1")["last_error"]["reason"] == "unauthorized"
    assert double.followups == {}


def test_a_follow_up_lapor_refused_is_blocked_for_the_catch_up_until_a_replay(double):
    db = fake_db()
    imported_report(db)
    double.plan(POST_FOLLOWUP, Fault(status=422))
    with pytest.raises(PermanentError):  # parked at once
        exporter(double, db).handle(event())
    store = SyncStore(db)
    assert store.get("r1")["blocked"]["reason"] == "rejected"
    assert store.with_pending(datetime.now(UTC)) == []
    posts = double.calls("/tindak-lanjut")
    assert exporter(double, db).catch_up() == 0
    assert double.calls("/tindak-lanjut") == posts  # not sent again, poll after poll
    # An operator replays the parked event (LAPOR! has taken it meanwhile): sent, unblocked.
    exporter(double, db).handle(event())
    assert double.refs("T1") == ["aduan:r1:h2", "aduan:r1:h3"]
    assert (store.get("r1")["blocked"], store.get("r1")["last_error"]) == (None, None)


def test_the_catch_up_backs_off_a_failing_report_and_takes_the_longest_waiting_first(double):
    db = fake_db()
    for report_id, tracking_id in (("r1", "T1"), ("r2", "T2"), ("r3", "T3")):
        imported_report(db, report_id, external={"system": "sp4n_lapor", "id": tracking_id})
    store = SyncStore(db)
    for minutes, report_id in ((1, "r2"), (2, "r3"), (3, "r1")):
        store.link(report_id, f"PDG-{report_id}", "padang", f"T{report_id[1]}", "imported",
                   T0 + timedelta(minutes=minutes))
        store.set_pending(report_id, 2, T0 + timedelta(minutes=minutes))
    assert [d["_id"] for d in store.with_pending(T0 + timedelta(hours=1), limit=2)] == \
        ["r2", "r3"]
    now = datetime.now(UTC).replace(microsecond=0)  # as MongoDB keeps it: milliseconds
    double.plan(POST_FOLLOWUP, Fault(status=503))  # r2, the first taken, fails
    worker = exporter(double, db, lapor_poll_interval_s=60.0)
    assert worker.catch_up(now) == 1
    assert double.refs("T2") == [] and len(double.refs("T1")) == len(double.refs("T3")) == 2
    assert store.get("r2")["retry_at"] == now + timedelta(seconds=60)
    # The next polls pass it over until its back-off ends; then it is sent.
    assert worker.catch_up(now + timedelta(seconds=30)) == 0 and double.refs("T2") == []
    double.plan(POST_FOLLOWUP, Fault(status=503))
    assert worker.catch_up(now + timedelta(seconds=61)) == 1
    assert store.get("r2")["retry_at"] == now + timedelta(seconds=61 + 120)  # twice as long
    assert worker.catch_up(now + timedelta(seconds=200)) == 0
    assert double.refs("T2") == ["aduan:r2:h2", "aduan:r2:h3"]
    assert (store.get("r2")["retries"], store.get("r2")["retry_at"]) == (0, None)
