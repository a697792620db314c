"""Reports through the whole workflow, through the gateway, with every service running."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import piexif
import pytest
import requests
from photo_factory import fresh_padang_photo
from PIL import Image
from stack_client import REPORT, submit, wait_for_status
from waiting import eventually
from workflow_client import act, bearer, bring_to, reporter, workflow

pytestmark = pytest.mark.stack


def routed(api: str, db, category: str = "waste", statuses=("forwarded",)) -> dict:
    receipt = submit(api, fresh_padang_photo(), {**REPORT, "category": category}).json()
    wait_for_status(api, receipt["code"], set(statuses))
    return db.reports.find_one({"code": receipt["code"]})


def test_full_lifecycle_from_submission_to_rating(api, db, settings, store, tap):
    report = routed(api, db)
    code = report["code"]
    # The agency's admin takes every agency step here (accepting is the admins'; an officer
    # acts only once dispatched: tests/integration/test_field_officers.py).
    dlh = bearer(settings, "agency_admin", agency="DLH", user="admin-dlh")

    forwarded = tap.wait(report["_id"], "report.forwarded")[0]
    assert forwarded["agencies"] == ["DLH"] and forwarded["actor_role"] == "system"
    assert report["agencies"][0]["due_at"] is not None  # the follow-up clock runs

    accepted = act(api, code, "accept", dlh, {"note": "Kami tangani"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    # Padang's own view ("city") is Kiniko's.
    assert accepted.json()["stages"] == {"kiniko": "accepted", "sigap": "in_process",
                                         "city": "accepted"}
    assert act(api, code, "start", dlh).json()["status"] == "in_progress"

    no_photo = act(api, code, "resolve", dlh, {"note": "Sudah diangkut"})
    assert no_photo.status_code == 422 and no_photo.json()["error"]["code"] == "evidence_required"
    photo = fresh_padang_photo()
    resolved = act(api, code, "resolve", dlh, {"note": "Sudah diangkut"}, photo=photo)
    assert resolved.status_code == 200, resolved.text
    view = resolved.json()
    assert view["status"] == "resolved" and view["auto_close_at"]
    evidence = view["history"][-1]["photos"][0]
    public = requests.get(evidence["url"], timeout=10)
    assert public.status_code == 200
    assert piexif.load(public.content)["GPS"] == {}  # where the evidence was taken is not published
    assert Image.open(io.BytesIO(public.content)).format == "JPEG"
    stored = db.reports.find_one({"_id": report["_id"]})
    key = stored["history"][-1]["photos"][0]["key"]
    assert key.startswith(f"padang/{report['_id']}/evidence/")
    assert store.exists(store.public_bucket, key)

    closed = act(api, code, "confirm", reporter(settings, report["_id"]), {"note": "Terima kasih"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert "id" not in closed.json()["history"][-1]["by"]  # reporters see roles, not staff ids
    rated = act(api, code, "rate", reporter(settings, report["_id"]), {"score": 5})
    assert rated.status_code == 200 and rated.json()["rating"]["score"] == 5
    again = act(api, code, "rate", reporter(settings, report["_id"]), {"score": 1})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"

    history = workflow(api, code, dlh)["history"]
    steps = [(h["from"], h["to"], h.get("action")) for h in history[3:]]
    assert steps == [("verified", "forwarded", "route"), ("forwarded", "accepted", "accept"),
                     ("accepted", "in_progress", "start"), ("in_progress", "resolved", "resolve"),
                     ("resolved", "closed", "confirm")]
    who = [(h["by"]["kind"], h["by"]["role"], h["by"].get("id")) for h in history[4:]]
    assert who == [("staff", "agency_admin", "admin-dlh")] * 3 + [
        ("reporter", "reporter", None)]
    assert history[4]["note"] == "Kami tangani"
    changes = tap.wait(report["_id"], "report.status_changed", count=4)
    assert [(e["from"], e["status"], e["actor_role"]) for e in changes] == [
        ("forwarded", "accepted", "agency_admin"), ("accepted", "in_progress", "agency_admin"),
        ("in_progress", "resolved", "agency_admin"), ("resolved", "closed", "reporter")]


def test_multi_agency_report_each_agency_with_its_own_status(api, db, settings, tap):
    report = routed(api, db, category="flood")  # PUPR and the kecamatan office
    code = report["code"]
    assert [a["code"] for a in report["agencies"]] == ["PUPR", "KEC-137106"]
    assert tap.wait(report["_id"], "report.forwarded")[0]["agencies"] == ["PUPR", "KEC-137106"]
    pupr = bearer(settings, "agency_admin", agency="PUPR")
    camat = bearer(settings, "agency_admin", agency="KEC-137106")

    assert act(api, code, "accept", pupr).json()["status"] == "accepted"
    view = act(api, code, "accept", camat).json()
    assert view["status"] == "accepted"
    assert [a["status"] for a in view["agencies"]] == ["accepted", "accepted"]
    assert act(api, code, "start", pupr).json()["status"] == "in_progress"
    view = act(api, code, "resolve", pupr, {"note": "Saluran dibersihkan"},
               photo=fresh_padang_photo()).json()
    assert view["status"] == "in_progress"  # the kecamatan office has not finished
    assert [a["status"] for a in view["agencies"]] == ["resolved", "accepted"]
    view = act(api, code, "hand_back", camat, {"note": "Bukan kewenangan kecamatan"}).json()
    assert view["status"] == "resolved"
    assert [a["status"] for a in view["agencies"]] == ["resolved", "handed_back"]
    assert view["history"][-1]["reason"] == "not_our_authority"
    # The second agency's acceptance changed nothing the reporter sees: no event for it.
    statuses = [e["status"] for e in tap.events(report["_id"], "report.status_changed")]
    assert statuses == ["accepted", "in_progress", "resolved"]

    # Handed back, the report is no longer the kecamatan office's: gone from its inbox.
    inbox = requests.get(f"{api}/inbox", headers=camat, timeout=10).json()
    assert code not in [r["code"] for r in inbox["reports"]]
    assert code in [r["code"] for r in requests.get(f"{api}/inbox", headers=pupr,
                                                    timeout=10).json()["reports"]]


def test_vertical_body_is_referred_with_its_contact(api, db, settings, tap):
    report = routed(api, db, category="water", statuses=("referred",))
    referral = report["referral"]
    assert referral["code"] == "PDAM" and referral["name_id"] == "Perumda Air Minum Kota Padang"
    assert referral["contact"]["email"]
    event = tap.wait(report["_id"], "report.referred")[0]
    assert event["referral"]["code"] == "PDAM" and event["status"] == "referred"
    own = workflow(api, report["code"], reporter(settings, report["_id"]))
    assert own["referral"]["name_id"] == "Perumda Air Minum Kota Padang"
    assert own["stages"] == {"kiniko": "done", "sigap": "done", "city": "done"}
    closed = act(api, report["code"], "confirm", reporter(settings, report["_id"]))
    assert closed.json()["status"] == "closed"


def test_no_rule_goes_to_triage_and_an_operator_forwards_to_several(api, db, settings, tap):
    report = routed(api, db, category="other", statuses=("verified",))
    operator = bearer(settings, "operator")
    deadline = time_waited_for_triage(db, report["_id"])
    queue = requests.get(f"{api}/queue", headers=operator, timeout=10).json()["reports"]
    entry = next(r for r in queue if r["code"] == report["code"])
    assert entry["triage"] and entry["triage_reason"] == "no_rule"
    assert entry["forward_due_at"] == deadline.isoformat()

    unknown = act(api, report["code"], "forward", operator, {"agencies": ["NOPE"]})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_agency"
    mixed = act(api, report["code"], "forward", operator, {"agencies": ["DINKES", "PLN"]})
    assert mixed.status_code == 422 and mixed.json()["error"]["code"] == "referral_not_alone"
    view = act(api, report["code"], "forward", operator,
               {"agencies": ["DINKES", "DISDIK"], "note": "Sekolah dan puskesmas"}).json()
    assert view["status"] == "forwarded" and not view["triage"]
    assert [a["code"] for a in view["agencies"]] == ["DINKES", "DISDIK"]
    event = tap.wait(report["_id"], "report.forwarded")[0]
    assert event["agencies"] == ["DINKES", "DISDIK"] and event["actor_role"] == "operator"


def time_waited_for_triage(db, report_id: str, timeout_s: float = 10):
    report = eventually(lambda: (r := db.reports.find_one({"_id": report_id})).get("triage")
                        and r.get("forward_due_at") and r, timeout_s,
                        "the report in the triage queue")
    return report["forward_due_at"]


def test_reroute_when_not_our_authority(api, db, settings, tap):
    report = routed(api, db)
    operator = bearer(settings, "operator")
    dlh = bearer(settings, "agency_admin", agency="DLH")
    assert act(api, report["code"], "accept", dlh).status_code == 200
    needs_note = act(api, report["code"], "reroute", operator, {"agencies": ["PUPR"]})
    assert needs_note.status_code == 422
    view = act(api, report["code"], "reroute", operator,
               {"agencies": ["PUPR"], "note": "Ini urusan drainase"}).json()
    assert view["status"] == "forwarded"
    assert [(a["code"], a["status"]) for a in view["agencies"]] == [
        ("DLH", "withdrawn"), ("PUPR", "forwarded")]
    assert view["history"][-1]["reason"] == "not_our_authority"
    assert view["history"][-1]["withdrawn"] == ["DLH"]
    forwards = tap.wait(report["_id"], "report.forwarded", count=2)
    assert forwards[-1]["agencies"] == ["PUPR"]
    gone = act(api, report["code"], "start", dlh)  # no longer DLH's: as if it did not exist
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "report_not_found"


def test_hand_back_by_the_only_agency_returns_the_report_to_triage(api, db, settings, tap):
    report = routed(api, db)
    dlh = bearer(settings, "agency_admin", agency="DLH")
    view = act(api, report["code"], "hand_back", dlh, {"note": "Lokasi di luar wilayah kami"})
    assert view.status_code == 200, view.text
    assert view.json()["status"] == "verified"
    stored = db.reports.find_one({"_id": report["_id"]})
    assert stored["triage"] and stored["forward_due_at"] > stored["agencies"][0]["forwarded_at"]
    event = tap.wait(report["_id"], "report.status_changed")[0]
    assert (event["from"], event["status"]) == ("forwarded", "verified")
    assert not tap.events(report["_id"], "report.verified")[1:]  # no automatic re-routing
    operator = bearer(settings, "operator")
    again = act(api, report["code"], "forward", operator, {"agencies": ["DLH"]}).json()
    assert [(a["code"], a["status"]) for a in again["agencies"]] == [
        ("DLH", "handed_back"), ("DLH", "forwarded")]
    assert act(api, report["code"], "accept", dlh).json()["status"] == "accepted"


def test_postpone_verify_reject_duplicate_and_archive(api, settings):
    operator = bearer(settings, "operator")
    waiting = bring_to(api, settings, "needs_review")  # a stale photo waits for review
    until = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    view = act(api, waiting["code"], "postpone", operator, {"note": "Menunggu foto tambahan",
                                                            "until": until})
    assert view.json()["status"] == "postponed" and view.json()["forward_due_at"] is None
    view = act(api, waiting["code"], "verify", operator)
    assert view.json()["status"] == "verified" and view.json()["forward_due_at"]

    copy = bring_to(api, settings, "verified")
    itself = act(api, copy["code"], "duplicate", operator, {"of": copy["code"]})
    assert itself.status_code == 422 and itself.json()["error"]["code"] == "duplicate_of_itself"
    missing = act(api, copy["code"], "duplicate", operator, {"of": "PDG-2099-000000001"})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "unknown_report"
    view = act(api, copy["code"], "duplicate", operator, {"of": waiting["code"]}).json()
    assert view["status"] == "duplicate" and view["duplicate_of"] == waiting["code"]

    fake = bring_to(api, settings, "needs_review")
    view = act(api, fake["code"], "reject", operator, {"note": "Foto hasil unduhan"}).json()
    assert view["status"] == "rejected" and view["history"][-1]["action"] == "reject"

    junk = bring_to(api, settings, "verified")
    view = act(api, junk["code"], "archive", operator, {"note": "Bukan pengaduan"}).json()
    assert view["status"] == "archived"
    assert view["stages"] == {"kiniko": None, "sigap": None, "city": None}


def test_reopen_within_the_window_only(api, settings):
    # Resolved now: the reporter's window to reopen runs for days. Once it has passed, the
    # running sweep closes the report within a second; the refusal to reopen it then is proved
    # in tests/unit/test_workflow_refusals.py.
    report = bring_to(api, settings, "resolved")
    own = reporter(settings, report["_id"])
    no_reason = act(api, report["code"], "reopen", own, {})
    assert no_reason.status_code == 422
    view = act(api, report["code"], "reopen", own, {"note": "Sampah menumpuk lagi"}).json()
    assert view["status"] == "reopened"
    assert view["agencies"][0]["status"] == "accepted" and view["agencies"][0]["due_at"]
    dlh = bearer(settings, "agency_admin", agency="DLH")
    assert act(api, report["code"], "start", dlh).json()["status"] == "in_progress"


def test_rating_is_checked(api, db, settings):
    report = bring_to(api, settings, "closed")
    own = reporter(settings, report["_id"])
    for bad in ({"score": 0}, {"score": 6}, {"score": "5"}, {"score": 4.5}, {}):
        response = act(api, report["code"], "rate", own, bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "validation_failed"
    open_report = bring_to(api, settings, "forwarded")
    early = act(api, open_report["code"], "rate", reporter(settings, open_report["_id"]),
                {"score": 3})
    assert early.status_code == 409 and early.json()["error"]["code"] == "illegal_transition"
    assert "rating" not in db.reports.find_one({"_id": report["_id"]})
