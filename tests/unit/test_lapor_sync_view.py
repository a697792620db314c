"""What operators read of the SP4N-LAPOR! sync (services/lapor/sync_api.py, sync_metrics.py),
and the SP4N-LAPOR body reaching deployments seeded before it existed.

Over the in-memory fakes: the sync records are written as the exporter leaves them, and a
catalogue seeded before the body existed as an older deployment holds it (no API makes
either); tests/integration/test_lapor_mapping.py reads the same views on the stack."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fakes import NothingRevoked, fake_db, seeded_fake_db
from prometheus_client import CollectorRegistry, generate_latest

from aduan.infra.backends import Backends
from aduan.infra.catalogue import cities, ensure_seeded
from aduan.infra.config import Settings
from aduan.web.auth import Principal, issue_access_token
from services.lapor.app import create_app
from services.lapor.sync_api import sync_view
from services.lapor.sync_metrics import LaporPendingCollector
from services.lapor.topics import LAPOR_BODY

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _report(**changes):
    return {"_id": "r1", "code": "PDG-2026-AAA-BBB-CCC", "city": "padang",
            "history": [{"to": "submitted", "at": NOW - timedelta(hours=3)},
                        {"to": "verified", "at": NOW - timedelta(hours=2)},
                        {"to": "forwarded", "at": NOW - timedelta(minutes=30)}], **changes}


def _sync(**changes):
    return {"_id": "r1", "code": "PDG-2026-AAA-BBB-CCC", "city": "padang",
            "tracking_id": "LPR-1", "direction": "imported", "imported_at": NOW,
            "last_exported_seq": 0, "exported": [], "pending": 0, "last_error": None,
            "inflight": None, "updated_at": NOW, **changes}


def test_a_linked_report_the_connector_has_not_recorded_yet_waits():
    imported = sync_view(_report(external={"system": "sp4n_lapor", "id": "LPR-9"}), None, NOW)
    assert (imported["direction"], imported["tracking_id"], imported["state"]) == (
        "imported", "LPR-9", "waiting")
    forwarded = sync_view(_report(referral={"code": LAPOR_BODY}), None, NOW)
    assert (forwarded["direction"], forwarded["tracking_id"], forwarded["state"]) == (
        "forwarded", None, "waiting")
    # Recorded, not yet created at LAPOR!.
    assert sync_view(_report(), _sync(direction="forwarded", tracking_id=None),
                     NOW)["state"] == "waiting"


def test_the_state_the_follow_ups_and_the_lag():
    sent = [{"seq": 2, "stream": "history", "ref": "r1:h2", "status": "forwarded",
             "kind": "status", "at": NOW}, {"seq": 1, "stream": "history", "ref": "r1:h1",
                                            "status": "verified", "kind": "status", "at": NOW}]
    in_sync = sync_view(_report(), _sync(exported=sent, last_exported_seq=2), NOW)
    assert in_sync["state"] == "in_sync" and in_sync["lag_seconds"] is None
    assert [e["seq"] for e in in_sync["exported"]] == [1, 2]
    assert in_sync["exported"][0]["at"] == NOW.isoformat()
    # Two waiting after the first entry: the lag runs from the oldest of them.
    waiting = sync_view(_report(), _sync(pending=2), NOW)
    assert waiting["state"] == "pending" and waiting["lag_seconds"] == 2 * 3600
    # What waits is read now, by the exporter's rule: a change made since its last run counts,
    # an entry LAPOR! never gets (a note without a public answer) does not.
    later = _report(history=[*_report()["history"],
                             {"to": "verifying", "note": "internal", "at": NOW},
                             {"to": "accepted", "at": NOW - timedelta(minutes=5)}])
    fresh = sync_view(later, _sync(last_exported_seq=2, pending=0), NOW)
    assert (fresh["state"], fresh["pending"], fresh["lag_seconds"]) == ("pending", 1, 300)
    assert sync_view(_report(), _sync(inflight={"ref": "r1:h1", "at": NOW}), NOW)["sending"]
    failing = sync_view(_report(), _sync(pending=1, last_error={"at": NOW, "reason": "timeout"}),
                        NOW)
    assert failing["state"] == "failing"
    assert failing["last_error"] == {"at": NOW.isoformat(), "reason": "timeout"}


def _status(settings: Settings, city: str) -> dict:
    app = create_app(settings, Backends(settings, db=fake_db()))
    app.extensions["aduan_revocations"] = NothingRevoked()
    token = issue_access_token(settings, Principal(f"operator-{city}", "operator", city))
    answer = app.test_client().get("/lapor/status", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_status_says_on_for_the_cities_the_connector_works_for():
    """By the connector's own reading of its settings (services/lapor/adapter.py)."""
    on = Settings(public_base_url="https://aduan.example", lapor_base_url="https://lapor.test",
                  lapor_tokens="padang=abc, jambi= ,depok=,kotamobagu")
    padang, jambi = _status(on, "padang"), _status(on, "jambi")
    assert (padang["connector"], padang["cities"][0]["enabled"]) == ("on", True)
    assert (jambi["connector"], jambi["cities"][0]["enabled"]) == ("on", False)
    blank = _status(replace(on, lapor_base_url="  "), "padang")  # as the connector reads it: off
    assert (blank["connector"], blank["cities"][0]["enabled"]) == ("off", False)


def test_the_pending_gauge_sums_each_city_and_counts_failing_reports():
    db = fake_db()
    db.lapor_sync.insert_many([_sync(_id="a", pending=2), _sync(_id="b", pending=3),
                               _sync(_id="c", city="jambi", pending=0,
                                     last_error={"at": NOW, "reason": "unavailable"})])
    registry = CollectorRegistry()
    registry.register(LaporPendingCollector(db, ttl_s=0))
    text = generate_latest(registry).decode()
    assert 'aduan_lapor_pending{city="padang"} 5.0' in text
    assert 'aduan_lapor_pending{city="depok"} 0.0' in text
    assert 'aduan_lapor_reports_failing{city="jambi"} 1.0' in text
    assert 'aduan_lapor_reports_failing{city="padang"} 0.0' in text


def test_a_deployment_seeded_before_gains_the_lapor_body_and_keeps_its_edits():
    db = seeded_fake_db()
    db.agencies.delete_many({"code": LAPOR_BODY})
    db.agencies.update_one({"city": "padang", "code": "PDAM"}, {"$set": {"name_id": "Edited"}})
    ensure_seeded(db)
    bodies = list(db.agencies.find({"code": LAPOR_BODY}))
    assert sorted(b["city"] for b in bodies) == sorted(cities())
    assert all(b["kind"] == "vertical" and b["active"] for b in bodies)
    assert db.agencies.find_one({"city": "padang", "code": "PDAM"})["name_id"] == "Edited"
    # No category is referred there: an operator forwards by hand.
    assert db.categories.count_documents({"refer_to": LAPOR_BODY}) == 0


def test_the_lapor_body_has_no_email_desk_so_a_referral_there_sends_no_mail():
    from aduan.infra.catalogue import seed_agencies

    for city in cities():
        [body] = [a for a in seed_agencies(city) if a["code"] == LAPOR_BODY]
        assert body["contact"]["email"] is None
        assert body["contact"]["website"] == "https://www.lapor.go.id"


def test_a_report_referred_to_lapor_mails_no_desk_and_tells_the_reporter_how_to_reach_it():
    from aduan.infra.config import Settings
    from services.notification.audiences import Planner

    db = seeded_fake_db()
    body = db.agencies.find_one({"city": "padang", "code": LAPOR_BODY})
    referral = {"code": body["code"], "name_id": body["name_id"], "name_en": body["name_en"],
                "contact": body["contact"]}  # as lifecycle._referral records it
    report = {"_id": "r1", "code": "PDG-2026-AAA-BBB-CCC", "city": "padang",
              "category": "other", "description": "Urusan kementerian", "status": "referred",
              "privacy": "public", "agencies": [], "referral": referral, "comments": [],
              "history": [], "reporter": {"email": "warga@example.id", "language": "id"}}
    notices = Planner(Settings(public_base_url="https://aduan.example"), db).plan(
        "report.referred", {"status": "referred", "referral": referral}, report)
    assert [n for n in notices if n.audience == "vertical_body"] == []
    [told] = [n for n in notices if n.audience == "reporter"]
    assert "SP4N-LAPOR!" in told.email.text and "1708" in told.email.text


def test_a_report_lapor_refused_shows_as_blocked():
    refused = {"at": NOW, "reason": "rejected"}
    view = sync_view(_report(), _sync(last_error=refused, blocked=refused), NOW)
    assert view["state"] == "blocked" and view["blocked"]["reason"] == "rejected"
    assert sync_view(_report(), _sync(), NOW)["blocked"] is None
