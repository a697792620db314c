"""The routing service's workflow layer (services/routing/actions.py) over fakes: it loads what
the lifecycle's planners need, commits through the reports and carries out the action table's
side effects (public copies published or withdrawn, evidence stored, or removed again when
the action is refused)."""

from __future__ import annotations

from typing import Any

import pytest
from photo_factory import fresh_padang_photo
from prometheus_client import REGISTRY
from routing_world import assignment, place, seeded_db, stored, workflow

from aduan.domain.errors import Conflict, Forbidden, Invalid, NotFound
from aduan.domain.lifecycle import Actor
from aduan.domain.photo_checks import PhotoMetadata
from aduan.infra.images import Rendition
from services.routing.actions import Request
from services.routing.evidence import Evidence

# A photo without metadata: what the evidence checks read does not matter here.
NO_EXIF = PhotoMetadata(False, None, None, None, None, None, None, None, None)

OPERATOR = Actor(kind="staff", id="op-1", role="operator")
REPORTER = Actor(kind="reporter", id=None, role="reporter")


def agency_admin(agency: str | None = "DLH") -> Actor:
    return Actor(kind="staff", id="a-1", role="agency_admin", agency=agency)


@pytest.fixture
def flow():
    return workflow(seeded_db())


def act(flow, report: dict[str, Any], action: str, actor: Actor = OPERATOR,
        evidence: list[Evidence] | None = None, **sent: Any) -> dict[str, Any]:
    return flow.act(report, action, actor, Request(**sent), evidence or [], "req-1")


def refused(error: type[Exception], code: str, call, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code


def test_forward_sends_to_the_named_agencies_with_the_public_response(flow):
    report = place(flow.db, "verified")
    updated = act(flow, report, "forward", agencies=("DLH", "PUPR"), note="internal",
                  public_response="Diteruskan ke DLH dan PUPR")
    assert updated == stored(flow.db, report) | {"outbox": updated["outbox"]}
    assert [(a["code"], a["status"]) for a in updated["agencies"]] == [
        ("DLH", "forwarded"), ("PUPR", "forwarded")]
    last = updated["history"][-1]
    assert (last["action"], last["note"], last["public_response"]) == (
        "forward", "internal", "Diteruskan ke DLH dan PUPR")
    [event] = flow.publisher.published
    assert event.routing_key == "report.forwarded" and event.correlation_id == "req-1"
    assert event.body["agencies"] == ["DLH", "PUPR"]


def test_forward_to_an_unknown_or_inactive_agency_is_invalid(flow):
    report = place(flow.db, "verified")
    # A sysadmin's deactivation (PATCH /agencies), placed: the Workflow is tested alone.
    flow.db.agencies.update_one({"city": "padang", "code": "PUPR"}, {"$set": {"active": False}})
    with pytest.raises(Invalid) as caught:
        act(flow, report, "forward", agencies=("DLH", "PUPR", "NOPE"))
    assert (caught.value.code, caught.value.details) == ("unknown_agency",
                                                         {"agencies": ["PUPR", "NOPE"]})
    assert stored(flow.db, report)["status"] == "verified"


def test_a_vertical_category_is_referred_by_hand_too(flow):
    report = place(flow.db, "needs_review", category="water")
    updated = act(flow, report, "forward", agencies=("PDAM",))
    assert updated["status"] == "referred" and updated["referral"]["code"] == "PDAM"


def test_reroute_takes_the_report_from_the_agency_holding_it(flow):
    report = place(flow.db, "accepted", agencies=[assignment("DLH", "accepted")])
    updated = act(flow, report, "reroute", agencies=("PUPR",), note="drainage")
    assert [(a["code"], a["status"]) for a in updated["agencies"]] == [
        ("DLH", "withdrawn"), ("PUPR", "forwarded")]


def test_duplicate_links_the_original_of_the_same_city(flow):
    original = place(flow.db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    copy = place(flow.db, "verified")
    updated = act(flow, copy, "duplicate", of=original["code"])
    assert updated["duplicate_of"] == {"code": original["code"], "report_id": original["_id"]}
    other = place(flow.db, "verified")
    refused(Invalid, "unknown_report", act, flow, other, "duplicate", of="PDG-2099-000000001")
    refused(Invalid, "duplicate_of_itself", act, flow, other, "duplicate", of=other["code"])
    refused(Invalid, "duplicate_of_duplicate", act, flow, other, "duplicate", of=copy["code"])


def _published_photo(flow, report_id: str) -> dict[str, Any]:
    """A photo with its raw original and its public copies in the store."""
    photo = {"id": "p1", "raw_key": f"padang/{report_id}/p1.jpg",
             "public_key": f"padang/{report_id}/p1.jpg", "thumbnail_key":
             f"padang/{report_id}/p1_thumb.jpg", "public_size": [800, 600]}
    flow.store.put(flow.store.raw_bucket, photo["raw_key"], fresh_padang_photo(), "image/jpeg")
    for key in (photo["public_key"], photo["thumbnail_key"]):
        flow.store.put(flow.store.public_bucket, key, b"jpeg", "image/jpeg")
    return photo


def _overrides(verdict: str) -> float:
    return REGISTRY.get_sample_value("aduan_verification_overrides_total",
                                     {"verdict": verdict}) or 0.0


def test_reject_withdraws_the_public_copies_and_records_the_override(flow):
    report = place(flow.db, "needs_review", verification={"verdict": "needs_review"})
    photo = _published_photo(flow, report["_id"])
    # The verification worker's copies, as it stores them: this tests routing alone.
    flow.db.reports.update_one({"_id": report["_id"]}, {"$set": {"photos": [photo]}})
    report = stored(flow.db, report)
    before = _overrides("rejected")
    updated = act(flow, report, "reject", note="Foto hasil unduhan")
    assert _overrides("rejected") == before + 1  # counted as the verdict's door counts it
    assert updated["status"] == "rejected"
    assert updated["photos"] == [{"id": "p1", "raw_key": photo["raw_key"]}]
    assert updated["verification"]["override"]["from"] == "needs_review"
    assert flow.store.keys(flow.store.public_bucket) == []
    assert flow.store.keys(flow.store.raw_bucket) == [photo["raw_key"]]


def test_a_refused_reject_withdraws_nothing(flow):
    report = place(flow.db, "verified")
    photo = _published_photo(flow, report["_id"])
    # The verification worker's copies, as it stores them: this tests routing alone.
    flow.db.reports.update_one({"_id": report["_id"]}, {"$set": {"photos": [photo]}})
    refused(Conflict, "illegal_transition", act, flow, stored(flow.db, report), "reject",
            note="n")
    assert len(flow.store.keys(flow.store.public_bucket)) == 2


def test_verify_overturning_a_rejection_publishes_the_photos_again(flow):
    report = place(flow.db, "rejected", verification={"verdict": "rejected"})
    photo = _published_photo(flow, report["_id"])
    flow.store.objects[flow.store.public_bucket].clear()
    raw_only = {"id": "p1", "raw_key": photo["raw_key"]}
    # As the photo checks leave a rejected photo: raw only, no public copies.
    flow.db.reports.update_one({"_id": report["_id"]}, {"$set": {"photos": [raw_only]}})
    updated = act(flow, stored(flow.db, report), "verify", note="GPS di tepi batas kota")
    assert updated["status"] == "verified" and updated["forward_due_at"]
    [published] = updated["photos"]
    assert published["public_key"] == f"padang/{report['_id']}/p1.jpg"
    assert flow.store.exists(flow.store.public_bucket, published["thumbnail_key"])
    assert updated["verification"]["override"] == {
        **updated["verification"]["override"], "verdict": "verified", "from": "rejected",
        "by": "op-1"}


def test_verify_of_a_published_report_renders_nothing(flow):
    report = place(flow.db, "needs_review")
    photo = _published_photo(flow, report["_id"])
    # The verification worker's copies, as it stores them: this tests routing alone.
    flow.db.reports.update_one({"_id": report["_id"]}, {"$set": {"photos": [photo]}})
    updated = act(flow, stored(flow.db, report), "verify")
    assert updated["photos"] == [photo] and updated["status"] == "verified"


def _evidence() -> list[Evidence]:
    return [Evidence("e1", Rendition(b"public", b"thumb", 10, 10, 0), NO_EXIF)]


def test_resolve_stores_its_evidence_with_the_resolution(flow):
    report = place(flow.db, "in_progress", agencies=[assignment("DLH", "in_progress")])
    updated = act(flow, report, "resolve", agency_admin(), _evidence(), note="Sudah diangkut")
    assert updated["status"] == "resolved" and updated["auto_close_at"]
    keys = updated["history"][-1]["photos"][0]
    assert keys["key"] == f"padang/{report['_id']}/evidence/e1.jpg"
    assert flow.store.keys(flow.store.public_bucket) == sorted(
        [keys["key"], keys["thumbnail_key"]])


def test_a_refused_resolve_leaves_no_evidence_behind(flow):
    report = place(flow.db, "accepted", agencies=[assignment("DLH", "accepted")])
    refused(Conflict, "illegal_transition", act, flow, report, "resolve", agency_admin(),
            _evidence(), note="n")
    assert flow.store.keys(flow.store.public_bucket) == []


def test_evidence_is_removed_again_when_the_report_changed_meanwhile(flow):
    report = place(flow.db, "in_progress", agencies=[assignment("DLH", "in_progress")])
    # Someone else writes between this read and the write under test: the race itself.
    flow.db.reports.update_one({"_id": report["_id"]}, {"$set": {
        "agencies": [assignment("DLH", "withdrawn"), assignment("PUPR", "forwarded")],
        "status": "forwarded"}, "$inc": {"version": 1}})
    with pytest.raises(NotFound):  # DLH lost the report meanwhile: no longer its to see
        # `report` as it was read before the change
        act(flow, report, "resolve", agency_admin(), _evidence(), note="n")
    assert flow.store.keys(flow.store.public_bucket) == []


def test_agency_actions_need_an_agency(flow):
    report = place(flow.db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    refused(Forbidden, "not_assigned", act, flow, report, "accept", agency_admin(None))
    updated = act(flow, report, "accept", agency_admin())
    assert updated["status"] == "accepted"
    assert updated["history"][-1]["actor"]["agency"] == "DLH"


def test_a_reporter_confirms_or_reopens(flow):
    resolved = place(flow.db, "resolved", agencies=[assignment("DLH", "resolved")])
    reopened = act(flow, resolved, "reopen", REPORTER, note="Masih ada")
    assert reopened["status"] == "reopened" and reopened["agencies"][0]["status"] == "accepted"
    other = place(flow.db, "resolved", agencies=[assignment("DLH", "resolved")])
    assert act(flow, other, "confirm", REPORTER)["status"] == "closed"


def test_a_rating_is_recorded_once(flow):
    report = place(flow.db, "closed")
    rating = flow.rate(report, REPORTER, 5, "Cepat", None)
    assert (rating["score"], rating["comment"]) == (5, "Cepat")
    assert stored(flow.db, report)["rating"]["score"] == 5
    refused(Conflict, "already_rated", flow.rate, report, REPORTER, 1, None, None)  # stale read
    refused(Conflict, "already_rated", flow.rate, stored(flow.db, report), REPORTER, 1, None,
            None)
    assert flow.publisher.published == []  # a rating is no event


def test_not_a_workflow_action(flow):
    report = place(flow.db, "verified")
    refused(Invalid, "unknown_action", act, flow, report, "auto_close")
