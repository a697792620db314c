"""Exporting to SP4N-LAPOR!: the stack's lapor-worker (services/lapor/exporter.py, consumer
"lapor") pointed at the suite's LAPOR! double (tests/lapor_double.py). What staff do to an
imported report reaches LAPOR! as follow-ups in order and once each: also when LAPOR! is down
for a while (5xx), answers too slowly (the client's timeout), or the worker is killed between
its POST and its own record. A report an operator refers to SP4N-LAPOR is created there."""

from __future__ import annotations

import signal
from typing import Any

import pytest
import requests
from lapor_double import POST_FOLLOWUP, Fault, LaporDouble, lapor_report
from lapor_helpers import (
    TOKENS,
    connector_settings,
    importer,
    lapor_connected,
    lapor_worker,
    metric,
    stamp,
    tracking,
)
from stack_client import submit
from waiting import eventually
from workflow_client import act, bearer

from aduan.infra.messaging import connect, parking_queue_name
from services.lapor.exporter import Exporter

WASTE_TOPIC = {"id": "201", "parent_id": "2", "nama": "Sampah dan Kebersihan"}


@pytest.fixture(scope="module")
def double(stack):
    with LaporDouble(TOKENS) as server, lapor_connected(stack, server):
        yield server


def import_one(settings, db, double: LaporDouble) -> tuple[dict[str, Any], str]:
    """A LAPOR! report about waste (routed to DLH once verified), imported without photos:
    waiting for the operators' review."""
    tracking_id = tracking()
    double.reports["padang"] = [lapor_report(tracking_id, stamp(), topik=WASTE_TOPIC)]
    assert importer(settings, double).run_city("padang").imported == 1
    report = db.reports.find_one({"external.system": "sp4n_lapor", "external.id": tracking_id})
    return report, tracking_id


def refs(report_id: str, *entries: str) -> list[str]:
    """The follow-ups' refs as the exporter names them: `h<n>` the report's history entry n,
    `c<n>` its comment n. An imported report's history: 0 submitted, 1 verifying,
    2 needs_review (no photo), then the staff's steps from 3 on."""
    return [f"aduan:{report_id}:{entry}" for entry in entries]


def in_sync(db, double: LaporDouble, report_id: str, tracking_id: str, count: int
            ) -> list[str]:
    """Waits until LAPOR! holds `count` follow-ups of the report and the connector has none
    waiting; LAPOR!'s refs (a duplicate sent later is for `then_only`)."""
    def settled() -> list[str] | None:
        sync = db.lapor_sync.find_one({"_id": report_id}) or {}
        refs = double.refs(tracking_id)
        done = len(refs) >= count and sync.get("pending") == 0 and not sync.get("lease")
        return refs if done else None

    def found() -> str:
        sync = db.lapor_sync.find_one({"_id": report_id})
        return f"{count} follow-ups of {tracking_id}; LAPOR! has {double.refs(tracking_id)}, " \
               f"the connector {sync}"

    return eventually(settled, 60, found)


def then_only(api: str, settings, db, double: LaporDouble, report: dict[str, Any],
              tracking_id: str, expected: list[str], comment: int) -> None:
    """LAPOR! holds exactly `expected`, proven by a later fact: a staff comment (the report's
    comment number `comment`) posted now reaches LAPOR! after them, and by then nothing else
    came, not an earlier follow-up sent twice."""
    posted = requests.post(f"{api}/reports/{report['code']}/comments", timeout=10,
                           headers=bearer(settings, "operator"),
                           json={"text": "Catatan petugas: masih dipantau."})
    assert posted.status_code == 201, posted.text
    later = refs(report["_id"], f"c{comment}")
    in_sync(db, double, report["_id"], tracking_id, len(expected) + 1)
    assert double.refs(tracking_id) == expected + later


def verify(api: str, settings, code: str) -> None:
    wait_for_status_staff(api, settings, code, {"needs_review"})
    response = act(api, code, "verify", bearer(settings, "operator"), {"note": "Sudah dicek"})
    assert response.status_code == 200, response.text
    wait_for_status_staff(api, settings, code, {"forwarded"})


def wait_for_status_staff(api: str, settings, code: str, statuses: set[str]) -> None:
    def status() -> str | None:
        view = requests.get(f"{api}/staff/reports/{code}", headers=bearer(settings, "operator"),
                            timeout=10).json()
        return view.get("status") if view.get("status") in statuses else None

    eventually(status, 60, f"{code} in {sorted(statuses)}")


def dlh(settings) -> dict[str, str]:
    return bearer(settings, "agency_admin", agency="DLH")


def test_staff_steps_reach_lapor_in_order_once_each_and_never_a_note(stack, settings, db, api,
                                                                      double):
    report, tracking_id = import_one(settings, db, double)
    exported_before = metric(stack, "aduan_lapor_exported_total", city="padang")
    lags_before = metric(stack, "aduan_lapor_export_lag_seconds_count", city="padang")
    verify(api, settings, report["code"])
    accepted = act(api, report["code"], "accept", dlh(settings),
                   {"note": "internal: minta truk", "public_response": "Tim DLH menuju lokasi"})
    assert accepted.status_code == 200, accepted.text
    assert act(api, report["code"], "start", dlh(settings), {}).status_code == 200
    comment = requests.post(f"{api}/reports/{report['code']}/comments", headers=dlh(settings),
                            json={"text": "Pengangkutan dijadwalkan besok pagi."}, timeout=10)
    assert comment.status_code == 201, comment.text
    # verified, forwarded, accepted, in_progress, the comment
    expected = refs(report["_id"], "h3", "h4", "h5", "h6", "c0")
    assert in_sync(db, double, report["_id"], tracking_id, 5) == expected
    sent = double.sent(tracking_id)
    assert [f["status"] for f in sent] == ["diverifikasi", "didisposisikan", "diterima",
                                           "diproses", "tanggapan"]
    assert sent[2]["isi"] == "Tim DLH menuju lokasi"
    assert sent[4]["isi"] == "Pengangkutan dijadwalkan besok pagi."
    assert not any("internal" in f["isi"] or "Sudah dicek" in f["isi"] for f in sent)
    sync = db.lapor_sync.find_one({"_id": report["_id"]})
    assert sync["direction"] == "imported" and sync["last_error"] is None
    assert [e["ref"] for e in sync["exported"]] == expected
    assert metric(stack, "aduan_lapor_exported_total", city="padang") - exported_before == 5
    assert metric(stack, "aduan_lapor_export_lag_seconds_count", city="padang") - \
        lags_before == 5
    # The sync state as the operators' view shows it.
    view = requests.get(f"{api}/reports/{report['code']}/lapor",
                        headers=bearer(settings, "operator"), timeout=10)
    assert view.status_code == 200, view.text
    assert view.json()["tracking_id"] == tracking_id and view.json()["pending"] == 0
    assert [e["ref"] for e in view.json()["exported"]] == expected
    then_only(api, settings, db, double, report, tracking_id, expected, comment=1)


def test_an_outage_at_lapor_delays_follow_ups_but_sends_each_once(stack, settings, db, api,
                                                                   double):
    report, tracking_id = import_one(settings, db, double)
    failures = metric(stack, "aduan_lapor_failures_total", city="padang", direction="export",
                      reason="unavailable")
    double.plan(POST_FOLLOWUP, Fault(status=503), Fault(status=502))
    verify(api, settings, report["code"])
    expected = refs(report["_id"], "h3", "h4")  # verified, forwarded
    assert in_sync(db, double, report["_id"], tracking_id, 2) == expected
    assert metric(stack, "aduan_lapor_failures_total", city="padang", direction="export",
                  reason="unavailable") - failures == 2
    assert db.lapor_sync.find_one({"_id": report["_id"]})["last_error"] is None
    then_only(api, settings, db, double, report, tracking_id, expected, comment=0)


def parked(settings) -> int:
    connection = connect(settings)
    try:
        return connection.channel().queue_declare(parking_queue_name(settings, "lapor"),
                                                  passive=True).method.message_count
    finally:
        connection.close()


def test_an_outage_longer_than_the_retries_parks_and_catching_up_sends_once(
        stack, settings, db, api, double):
    report, tracking_id = import_one(settings, db, double)
    before = parked(settings)
    double.down.add(POST_FOLLOWUP)
    try:
        verify(api, settings, report["code"])  # verified, then routed: two events
        eventually(lambda: parked(settings) >= before + 2, 60, "both events parked")
        sync = db.lapor_sync.find_one({"_id": report["_id"]})
        assert sync["last_error"]["reason"] == "unavailable" and sync["pending"] == 2
        assert double.refs(tracking_id) == []
    finally:
        double.down.discard(POST_FOLLOWUP)
    # LAPOR! is back: the importer's loop catches up (one pass of it, here).
    assert Exporter(connector_settings(settings, double), db).catch_up() == 0
    expected = refs(report["_id"], "h3", "h4")
    assert in_sync(db, double, report["_id"], tracking_id, 2) == expected
    # An operator replays the parked events: they find nothing left to send.
    replay = requests.post(f"{api}/ops/queues/lapor/parked/replay", json={}, timeout=10,
                           headers=bearer(settings, "operator"))
    assert replay.status_code == 200, replay.text
    assert replay.json()["replayed"] >= 2
    eventually(lambda: parked(settings) == before, 60, "the parked events handled")
    then_only(api, settings, db, double, report, tracking_id, expected, comment=0)


def test_a_follow_up_lapor_refuses_waits_for_an_operators_replay(stack, settings, db, api,
                                                                  double):
    report, tracking_id = import_one(settings, db, double)
    before = parked(settings)
    double.refusing.add(POST_FOLLOWUP)
    try:
        verify(api, settings, report["code"])  # each event tries, and is parked at once
        eventually(lambda: parked(settings) >= before + 2, 60, "the refused events parked")

        def blocked() -> dict | None:
            sync = db.lapor_sync.find_one({"_id": report["_id"]}) or {}
            return sync if sync.get("blocked") and not sync.get("lease") else None

        assert eventually(blocked, 60, "the report blocked")["blocked"]["reason"] == \
            "rejected"
        # The catch-up leaves it alone, poll after poll (a try would fail: LAPOR! refuses).
        worker = Exporter(connector_settings(settings, double), db)
        tried: list[str] = []
        worker.export = tried.append  # type: ignore[method-assign]  # what it would send
        worker.catch_up()
        assert report["_id"] not in tried and double.refs(tracking_id) == []
    finally:
        double.refusing.discard(POST_FOLLOWUP)
    # LAPOR! takes them again; an operator replays the parked events: sent in order, once.
    replay = requests.post(f"{api}/ops/queues/lapor/parked/replay", json={}, timeout=10,
                           headers=bearer(settings, "operator"))
    assert replay.status_code == 200, replay.text
    expected = refs(report["_id"], "h3", "h4")
    assert in_sync(db, double, report["_id"], tracking_id, 2) == expected
    assert db.lapor_sync.find_one({"_id": report["_id"]})["blocked"] is None
    then_only(api, settings, db, double, report, tracking_id, expected, comment=0)


def test_a_slow_lapor_is_asked_before_a_follow_up_is_sent_again(stack, settings, db, api,
                                                                double):
    report, tracking_id = import_one(settings, db, double)
    # LAPOR! takes the follow-up but answers after the connector stopped waiting (1 s).
    double.plan(POST_FOLLOWUP, Fault(pause_s=3))
    verify(api, settings, report["code"])
    expected = refs(report["_id"], "h3", "h4")
    assert in_sync(db, double, report["_id"], tracking_id, 2) == expected
    then_only(api, settings, db, double, report, tracking_id, expected, comment=0)


def test_a_worker_killed_between_its_post_and_its_record_sends_nothing_twice(
        stack, settings, db, api, double):
    report, tracking_id = import_one(settings, db, double)
    double.plan(POST_FOLLOWUP, Fault(hold=True))
    wait_for_status_staff(api, settings, report["code"], {"needs_review"})
    assert act(api, report["code"], "verify", bearer(settings, "operator"),
               {}).status_code == 200
    eventually(double.holding.is_set, 60, "the follow-up's POST at LAPOR!")
    stack.stop_process(lapor_worker(stack), signal.SIGKILL)
    double.release()
    stack.start_worker("lapor-worker")
    expected = refs(report["_id"], "h3", "h4")
    assert in_sync(db, double, report["_id"], tracking_id, 2) == expected
    then_only(api, settings, db, double, report, tracking_id, expected, comment=0)


def test_a_report_referred_to_sp4n_lapor_is_created_there_once(stack, settings, db, api,
                                                               double):
    operator = bearer(settings, "operator")
    filed = submit(api, None, {
        "city": "padang", "category": "other", "channel": "call_centre",
        "description": "Penelepon mengeluhkan pungutan liar di kantor samsat provinsi.",
        "location": {"address": "Kantor Samsat, Jl. Khatib Sulaiman"}, "privacy": "public",
        "reporter": {"name": "Siti Rahma", "phone": "+6281299990000"}}, headers=operator)
    assert filed.status_code == 202, filed.text
    code, report_id = filed.json()["code"], filed.json()["id"]
    wait_for_status_staff(api, settings, code, {"needs_review"})
    referred = act(api, code, "forward", operator,
                   {"agencies": ["SP4N-LAPOR"], "public_response": "Bukan kewenangan kota"})
    assert referred.status_code == 200, referred.text

    def created() -> dict | None:
        sync = db.lapor_sync.find_one({"_id": report_id}) or {}
        return sync if sync.get("tracking_id") and not sync.get("lease") else None

    sync = eventually(created, 60, "the report created at LAPOR!")
    assert sync["direction"] == "forwarded"
    [made] = [r for r in double.created if r.get("ref") == report_id]
    assert made["tracking_id"] == sync["tracking_id"] and made["city"] == "padang"
    assert "pelapor" not in made and "Siti" not in str(made) and "+62812" not in str(made)
    assert made["isi"].startswith("Penelepon mengeluhkan")
    # What happens next in Aduan follows it there: an operator's comment.
    comment = requests.post(f"{api}/reports/{code}/comments", headers=operator,
                            json={"text": "Berkas sudah dikirim ke SP4N-LAPOR!."}, timeout=10)
    assert comment.status_code == 201, comment.text
    expected = refs(report_id, "c0")
    assert in_sync(db, double, report_id, sync["tracking_id"], 1) == expected
    then_only(api, settings, db, double, {"_id": report_id, "code": code},
              sync["tracking_id"], expected, comment=1)
    assert len([r for r in double.created if r.get("ref") == report_id]) == 1
