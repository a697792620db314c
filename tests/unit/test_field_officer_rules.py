"""Field officers: an agency admin dispatches its assignment to officers of the agency, an
officer records visits and resolves, each officer's times are kept on the assignment and in
the history, and evidence photos that fail the photo checks flag the assignment. The pure
planners (aduan/domain/lifecycle.py) and the workflow over fakes (services/routing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from routing_world import (
    DEADLINES,
    SETTINGS,
    assignment,
    place,
    routing_client,
    seeded_db,
    stored,
    workflow,
)

from aduan.contracts.queries import StaffListQuery
from aduan.domain import lifecycle
from aduan.domain.errors import Conflict, Forbidden, Invalid
from aduan.domain.lifecycle import (
    ACTIONS,
    STATUSES,
    TRANSITIONS,
    Actor,
    allowed_actions,
    officer_resolution,
    plan_agency,
    plan_dispatch,
    plan_events,
    plan_visit,
)
from aduan.domain.photo_checks import EvidenceLimits, PhotoMetadata, evidence_reasons
from aduan.infra.images import Rendition
from aduan.web.auth import Principal, issue_access_token
from services.intake.queries import staff_filter
from services.routing.actions import Request
from services.routing.evidence import Evidence

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
ADMIN = Actor("staff", "admin-1", "agency_admin", "DLH")
ANI = Actor("staff", "ani", "officer", "DLH")
BUDI = Actor("staff", "budi", "officer", "DLH")
CITRA = Actor("staff", "citra", "officer", "DLH")  # of the agency, not dispatched
USERS = {"ani": {"_id": "ani", "name": "Ani"}, "budi": {"_id": "budi", "username": "budi"}}
PLACE = (-0.9726, 100.4057)  # routing_world's reports are here


def report(status: str = "forwarded", sub: str = "forwarded", **fields: Any) -> dict[str, Any]:
    return {"_id": "r1", "code": "PDG-2026-AAA-BBB-CCC", "city": "padang", "status": status,
            "created_at": NOW - timedelta(days=1), "location": {"lat": PLACE[0], "lon": PLACE[1]},
            "agencies": [assignment("DLH", sub, **fields)]}


def applied(current: dict[str, Any], plan: lifecycle.Plan) -> dict[str, Any]:
    """The report as the plan leaves it (what Reports.write computes)."""
    return {**current, **plan.set, "status": plan.target or current["status"]}


def dispatch(current: dict[str, Any], *names: str, at: datetime = NOW) -> lifecycle.Plan:
    return plan_dispatch(current, at, ADMIN, [USERS[n] for n in names], None,
                         deadlines=DEADLINES, category=None)


def dispatched(*names: str, status: str = "accepted") -> dict[str, Any]:
    current = report(status, "forwarded" if status == "forwarded" else status)
    return applied(current, dispatch(current, *names))


# ---- dispatch ------------------------------------------------------------------------------

def test_dispatching_a_forwarded_assignment_accepts_it_and_gives_each_officer_an_entry():
    plan = dispatch(report(), "ani", "budi")
    mine = plan.set["agencies"][0]
    assert plan.target == "accepted" and mine["status"] == "accepted"
    assert mine["accepted_at"] == NOW
    assert mine["officers"] == [
        {"id": "ani", "name": "Ani", "assigned_at": NOW, "first_visit_at": None,
         "resolved_at": None, "status": "assigned"},
        {"id": "budi", "name": "budi", "assigned_at": NOW, "first_visit_at": None,
         "resolved_at": None, "status": "assigned"}]
    assert {k: plan.details[k] for k in ("action", "agency", "officers", "added", "removed")
            } == {"action": "dispatch", "agency": "DLH", "officers": ["ani", "budi"],
                  "added": ["ani", "budi"], "removed": []}
    # The reporter hears that the agency took the report up; the officers that they have it.
    keys = [e.key for e in plan_events(report(), plan, ADMIN, NOW)]
    assert keys == ["report.status_changed", "report.dispatched"]
    assert plan_events(report(), plan, ADMIN, NOW)[1].data == {
        "agency": "DLH", "officers": ["ani", "budi"], "removed": []}


def test_re_dispatching_removes_the_officers_no_longer_named_and_keeps_the_others():
    first = dispatched("ani")
    later = NOW + timedelta(hours=2)
    plan = dispatch(first, "budi", at=later)
    officers = {o["id"]: o for o in plan.set["agencies"][0]["officers"]}
    assert officers["ani"]["status"] == "removed" and officers["ani"]["removed_at"] == later
    assert officers["budi"] == {"id": "budi", "name": "budi", "assigned_at": later,
                                "first_visit_at": None, "resolved_at": None,
                                "status": "assigned"}
    # Nothing the reporter sees changed: only the officers hear.
    assert plan.target == "accepted"
    assert [e.key for e in plan_events(first, plan, ADMIN, later)] == ["report.dispatched"]
    assert plan.details["removed"] == ["ani"] and plan.details["added"] == ["budi"]
    again = dispatch(applied(first, plan), "budi", "ani", at=later)
    officers = {o["id"]: o for o in again.set["agencies"][0]["officers"]}
    assert officers["ani"]["status"] == "assigned" and officers["ani"]["assigned_at"] == later
    assert officers["budi"]["assigned_at"] == later  # kept as it was


def test_only_the_agency_admin_dispatches():
    with pytest.raises(Forbidden):
        plan_dispatch(report(), NOW, ANI, [USERS["budi"]], None, deadlines=DEADLINES,
                      category=None)
    assert "dispatch" in allowed_actions(report(), ADMIN)
    assert "dispatch" not in allowed_actions(report(), ANI)


@pytest.mark.parametrize("status", sorted(set(STATUSES) - ACTIONS["dispatch"].starts))
def test_dispatch_is_refused_where_the_report_is_not_with_agencies(status):
    with pytest.raises(Conflict):
        dispatch(report(status, "forwarded"), "ani")


@pytest.mark.parametrize("status", sorted(set(STATUSES) - ACTIONS["visit"].starts))
def test_visit_is_refused_where_the_report_is_not_with_agencies(status):
    current = dispatched("ani")
    with pytest.raises(Conflict):
        plan_visit({**current, "status": status}, NOW, ANI, "x", deadlines=DEADLINES,
                   category=None)


def test_the_staff_list_of_an_officers_tasks_is_its_dispatched_reports_only():
    query = StaffListQuery.model_validate({"assigned_to": "me"})
    ani = Principal("ani", "officer", "padang", "DLH")
    conditions = staff_filter(query, ani, UTC, NOW)
    tasks = [c for c in conditions["$and"] if c == lifecycle.officer_tasks_filter("DLH", "ani")]
    assert tasks and conditions["$and"][0]["city"] == "padang"
    with pytest.raises(ValueError):
        StaffListQuery.model_validate({"assigned_to": "budi"})


def test_a_resolved_assignment_is_not_dispatched():
    current = report("in_progress", "resolved")
    current["agencies"].append(assignment("PUPR", "in_progress"))
    with pytest.raises(Conflict):
        dispatch(current, "ani")
    assert "dispatch" not in allowed_actions(current, ADMIN)


def test_dispatch_and_visit_add_no_edge_to_the_state_machine():
    """They move an assignment as accept and start do, or not at all."""
    without = {name: action for name, action in ACTIONS.items()
               if name not in lifecycle.OFFICER_ACTIONS}
    original, lifecycle.ACTIONS = lifecycle.ACTIONS, without
    try:
        assert lifecycle._graph() == TRANSITIONS
    finally:
        lifecycle.ACTIONS = original


# ---- visits --------------------------------------------------------------------------------

def test_an_officers_first_visit_starts_the_work_and_is_its_first_visit():
    current = dispatched("ani", "budi")
    photos = [{"id": "p1", "key": "k", "thumbnail_key": "t"}]
    plan = plan_visit(current, NOW + timedelta(hours=1), ANI, "Sudah dicek", photos=photos,
                      deadlines=DEADLINES, category=None)
    mine = plan.set["agencies"][0]
    assert plan.target == "in_progress" and mine["status"] == "in_progress"
    ani = next(o for o in mine["officers"] if o["id"] == "ani")
    assert ani["status"] == "visited" and ani["first_visit_at"] == NOW + timedelta(hours=1)
    assert plan.details["officer"] == "ani" and plan.details["photos"] == photos
    # A second visit keeps the first one's time and changes no status: no event.
    after = applied(current, plan)
    second = plan_visit(after, NOW + timedelta(hours=5), ANI, "Masih dikerjakan",
                        deadlines=DEADLINES, category=None)
    ani = next(o for o in second.set["agencies"][0]["officers"] if o["id"] == "ani")
    assert ani["first_visit_at"] == NOW + timedelta(hours=1)
    assert second.target == "in_progress" and plan_events(after, second, ANI, NOW) == []
    assert second.details["agency_from"] == second.details["agency_to"] == "in_progress"


def test_only_an_officer_the_report_is_dispatched_to_records_a_visit():
    current = dispatched("ani")
    with pytest.raises(Forbidden) as refused:
        plan_visit(current, NOW, CITRA, "x", deadlines=DEADLINES, category=None)
    assert refused.value.code == "not_your_task"
    assert "visit" in allowed_actions(current, ANI)
    assert "visit" not in allowed_actions(current, CITRA)
    assert "visit" not in allowed_actions(current, ADMIN)
    # Nobody dispatched yet: there is no officer's visit to record.
    with pytest.raises(Forbidden):
        plan_visit(report("accepted", "accepted"), NOW, ANI, "x", deadlines=DEADLINES,
                   category=None)


def test_officers_not_dispatched_to_a_report_do_not_act_on_it_but_its_admin_does():
    current = dispatched("ani")
    assert "start" not in allowed_actions(current, CITRA)
    assert "start" in allowed_actions(current, ANI) and "start" in allowed_actions(current, ADMIN)
    with pytest.raises(Forbidden):
        lifecycle.check_officer(current, CITRA)
    lifecycle.check_officer(current, ANI)
    lifecycle.check_officer(current, ADMIN)


@pytest.mark.parametrize("current", [report(), report("accepted", "accepted")])
def test_an_officer_does_nothing_on_a_report_dispatched_to_nobody(current):
    assert allowed_actions(current, ANI) == []  # it may still comment (intake)
    with pytest.raises(Forbidden) as refused:
        lifecycle.check_officer(current, ANI)
    assert refused.value.code == "not_your_task"
    assert "hand_back" in allowed_actions(current, ADMIN)


def test_an_officer_removed_from_a_report_no_longer_acts_on_it():
    first = dispatched("ani")
    current = applied(first, dispatch(first, "budi"))
    assert allowed_actions(current, ANI) == []
    assert allowed_actions(current, BUDI) == ["start", "visit"]


def test_taking_a_report_up_and_handing_it_back_are_the_agency_admins():
    for action in ("accept", "hand_back"):
        assert lifecycle.may_take(action, ADMIN) and not lifecycle.may_take(action, ANI)
    # Even an officer the report is dispatched to does not hand it back.
    assert "hand_back" not in allowed_actions(dispatched("ani"), ANI)


# ---- resolution and its evidence -----------------------------------------------------------

def _resolved_by(current: dict[str, Any], actor: Actor, reasons: list[str]) -> lifecycle.Plan:
    plan = plan_agency(current, NOW, "resolve", "DLH", "Selesai", deadlines=DEADLINES,
                       category=None)
    return officer_resolution(plan, actor, NOW, reasons)


def test_an_officers_resolution_is_its_resolved_at_and_good_evidence_flags_nothing():
    current = dispatched("ani", "budi", status="in_progress")
    plan = _resolved_by(current, ANI, [])
    mine = plan.set["agencies"][0]
    ani = next(o for o in mine["officers"] if o["id"] == "ani")
    budi = next(o for o in mine["officers"] if o["id"] == "budi")
    assert ani["status"] == "resolved" and ani["resolved_at"] == NOW
    assert ani["first_visit_at"] == NOW  # resolving on the spot is a visit
    assert budi["status"] == "assigned" and budi["resolved_at"] is None
    assert "evidence_flag" not in mine and plan.details["officer"] == "ani"
    assert [e.key for e in plan_events(current, plan, ANI, NOW)] == ["report.status_changed"]


def test_failed_evidence_flags_the_assignment_but_the_resolution_goes_through():
    current = dispatched("ani", status="in_progress")
    plan = _resolved_by(current, ANI, ["far_from_report", "stale_photo"])
    mine = plan.set["agencies"][0]
    assert plan.target == "resolved" and mine["status"] == "resolved"
    assert mine["evidence_flag"] == {"officer": "ani", "reasons": ["far_from_report",
                                                                   "stale_photo"], "at": NOW}
    assert plan.details["evidence_reasons"] == ["far_from_report", "stale_photo"]
    events = plan_events(current, plan, ANI, NOW)
    assert [e.key for e in events] == ["report.status_changed", "report.evidence_flagged"]
    assert events[1].data == {"agency": "DLH", "officer": "ani",
                              "reasons": ["far_from_report", "stale_photo"]}


# ---- the evidence checks -------------------------------------------------------------------

def meta(lat: float | None = PLACE[0], lon: float | None = PLACE[1],
         taken: datetime | None = NOW - timedelta(minutes=5), **fields: Any) -> PhotoMetadata:
    values: dict[str, Any] = {"has_exif": True, "lat": lat, "lon": lon, "captured_at": taken,
                              "captured_at_source": "offset", "make": "NIKON",
                              "model": "E5700", "software": None, "orientation": 1}
    return PhotoMetadata(**(values | fields))


@pytest.mark.parametrize("photo, reasons", [
    (meta(), []),
    (meta(lat=PLACE[0] + 0.002), []),  # ~220 m
    (meta(lat=PLACE[0] + 0.004), ["far_from_report"]),  # ~440 m
    (meta(taken=NOW - timedelta(days=3)), ["stale_photo"]),
    (meta(taken=NOW + timedelta(hours=1)), ["future_capture_time"]),
    (meta(taken=None), ["capture_time_missing"]),
    (meta(lat=None, lon=None), ["gps_missing"]),
    (meta(make=None, model=None, software="Snapseed"), ["camera_missing", "edited_software"]),
    (PhotoMetadata(False, None, None, None, None, None, None, None, None), ["exif_missing"]),
])
def test_evidence_is_checked_as_reports_photos_are_against_the_reports_place(photo, reasons):
    assert evidence_reasons(photo, NOW, PLACE, EvidenceLimits(max_distance_m=300)) == reasons


# ---- through the workflow (services/routing over fakes) ------------------------------------

@pytest.fixture()
def flow():
    flow = workflow(seeded_db())
    # The users the gateway keeps (its own door writes them; routing only reads them).
    flow.db.users.insert_many([
        {"_id": "ani", "username": "ani", "name": "Ani", "role": "officer", "city": "padang",
         "agency": "DLH"},
        {"_id": "budi", "username": "budi", "role": "officer", "city": "padang",
         "agency": "DLH"},
        {"_id": "gone", "username": "gone", "role": "officer", "city": "padang",
         "agency": "DLH", "disabled": True},
        {"_id": "dedi", "username": "dedi", "role": "officer", "city": "padang",
         "agency": "PUPR"},
        {"_id": "eka", "username": "eka", "role": "agency_admin", "city": "padang",
         "agency": "DLH"},
    ])
    return flow


def photo(metadata: PhotoMetadata) -> list[Evidence]:
    return [Evidence("e1", Rendition(b"public", b"thumb", 10, 10, 0), metadata)]


@pytest.mark.parametrize("named", [["dedi"], ["gone"], ["eka"], ["nobody"], ["ani", "dedi"]])
def test_only_active_officers_of_the_agency_are_dispatched(flow, named):
    current = place(flow.db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    with pytest.raises(Invalid) as refused:
        flow.act(current, "dispatch", ADMIN, Request(officers=tuple(named)), [], None)
    assert refused.value.code == "unknown_officer"
    assert refused.value.details == {"officers": [n for n in named if n != "ani"]}
    assert stored(flow.db, current)["status"] == "forwarded"


def test_dispatch_visit_and_resolve_through_the_workflow(flow):
    current = place(flow.db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    flow.act(current, "dispatch", ADMIN, Request(officers=("ani", "budi")), [], None)
    assert flow.publisher.bodies("report.dispatched")[-1]["officers"] == ["ani", "budi"]
    now = datetime.now(UTC)
    fresh = meta(taken=now - timedelta(minutes=10))
    after = flow.act(stored(flow.db, current), "visit", ANI, Request(note="Dicek"),
                     photo(fresh), None)
    assert after["status"] == "in_progress"
    assert after["history"][-1]["photos"][0]["id"] == "e1"
    with pytest.raises(Forbidden):
        flow.act(after, "resolve", CITRA, Request(note="x"), photo(fresh), None)
    far = meta(lat=PLACE[0] + 0.01, taken=now - timedelta(minutes=10))
    done = flow.act(after, "resolve", BUDI, Request(note="Selesai"), photo(far), None)
    mine = done["agencies"][0]
    assert done["status"] == "resolved"
    assert mine["evidence_flag"]["officer"] == "budi"
    assert mine["evidence_flag"]["reasons"] == ["far_from_report"]
    assert flow.publisher.bodies("report.evidence_flagged")[-1]["reasons"] == [
        "far_from_report"]
    times = {o["id"]: o for o in mine["officers"]}
    assert times["budi"]["resolved_at"] and times["ani"]["first_visit_at"]
    assert [e.get("officer") for e in done["history"][-2:]] == ["ani", "budi"]


# ---- over HTTP (the routing app over fakes) ------------------------------------------------

def bearer(user: str, role: str, agency: str | None) -> dict[str, str]:
    principal = Principal(user, role, "padang", agency)
    return {"Authorization": f"Bearer {issue_access_token(SETTINGS, principal)}"}


@pytest.fixture()
def client(flow):
    return routing_client(flow.db)


def test_the_admin_lists_its_agencys_active_officers_and_no_other_agencys(client):
    listed = client.get("/agencies/DLH/officers", headers=bearer("eka", "agency_admin", "DLH"))
    assert listed.status_code == 200
    assert listed.get_json()["officers"] == [
        {"id": "ani", "name": "Ani", "username": "ani"},
        {"id": "budi", "name": "budi", "username": "budi"}]
    other = client.get("/agencies/PUPR/officers", headers=bearer("eka", "agency_admin", "DLH"))
    assert other.status_code == 403


def test_an_officer_sees_its_tasks_with_what_it_may_do(client, flow):
    mine = place(flow.db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    others = place(flow.db, "forwarded", agencies=[assignment("DLH", "forwarded")])
    place(flow.db, "forwarded", agencies=[assignment("DLH", "forwarded")])  # not dispatched
    admin = bearer("eka", "agency_admin", "DLH")
    for report_, officers in ((mine, ["ani"]), (others, ["budi"])):
        done = client.post(f"/reports/{report_['code']}/actions/dispatch",
                           json={"officers": officers}, headers=admin)
        assert done.status_code == 200, done.get_json()
    refused = client.post(f"/reports/{mine['code']}/actions/dispatch",
                          json={"officers": ["ani"]}, headers=bearer("ani", "officer", "DLH"))
    assert refused.status_code == 403
    tasks = client.get("/tasks", headers=bearer("ani", "officer", "DLH")).get_json()["items"]
    assert [t["code"] for t in tasks] == [mine["code"]]
    assert tasks[0]["officer"]["status"] == "assigned"
    # The task page asks for the answer of an information request, a photo of a complaint.
    assert tasks[0]["type"] == "complaint"
    assert [a["name"] for a in tasks[0]["actions"]] == ["start", "visit"]
    for action, body in (("hand_back", {"note": "Bukan tugas kami"}), ("accept", {})):
        refused = client.post(f"/reports/{mine['code']}/actions/{action}", json=body,
                              headers=bearer("ani", "officer", "DLH"))
        assert refused.status_code == 403
        assert refused.get_json()["error"]["code"] == "not_your_action"
    undispatched = client.post(f"/reports/{others['code']}/actions/hand_back",
                               json={"note": "x"}, headers=bearer("citra", "officer", "DLH"))
    assert undispatched.status_code == 403
    visit = client.post(f"/reports/{mine['code']}/actions/visit",
                        json={"note": "Sudah dicek"}, headers=bearer("ani", "officer", "DLH"))
    assert visit.status_code == 200, visit.get_json()
    stolen = client.post(f"/reports/{others['code']}/actions/start", json={},
                         headers=bearer("ani", "officer", "DLH"))
    assert stolen.status_code == 403 and stolen.get_json()["error"]["code"] == "not_your_task"
    assert client.get("/tasks", headers=bearer("eka", "agency_admin", "DLH")).status_code == 403
    inbox = {r["code"]: r for r in client.get("/inbox", headers=admin).get_json()["reports"]}
    assert inbox[mine["code"]]["officers"] == ["Ani"]
    assert inbox[others["code"]]["officers"] == ["budi"]
    assert inbox[mine["code"]]["evidence_flagged"] is False


def test_a_reopened_report_is_the_officers_to_do_again():
    current = dispatched("ani", "budi", status="in_progress")
    resolved = applied(current, _resolved_by(current, ANI, []))
    plan = lifecycle.plan_reopen(resolved, NOW + timedelta(days=1), "Masih ada",
                                 deadlines=DEADLINES, category=None)
    officers = {o["id"]: o for o in plan.set["agencies"][0]["officers"]}
    assert officers["ani"]["status"] == "visited" and officers["ani"]["resolved_at"] == NOW
    assert officers["budi"]["status"] == "assigned"
    assert "visit" in allowed_actions(applied(resolved, plan), ANI)
