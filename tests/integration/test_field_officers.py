"""Field officers through the gateway, with every service running: the city's sysadmin adds an
agency admin and two officers of the agency holding a report (and one officer of another
agency) through the user API; the admin dispatches the report, an officer sees it in its
tasks, records a visit and resolves with an evidence photo. A fresh photo taken at the report's
place flags nothing; an old one taken far away still resolves the report, flagged for the
admin. Every officer's times are kept on the assignment and in the history; who the officers
are, their evidence flag and the escalations to the agency stay inside it (and the city's
staff): the reporter and another agency holding the report too see none of them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from photo_factory import INSIDE, WIB, camera_photo, fresh_padang_photo
from staff_accounts import Staff, city_sysadmin, staff_through_api
from workflow_client import act, bearer, bring_to, workflow

pytestmark = pytest.mark.stack

LAT, LON = INSIDE["padang"]  # where bring_to's reports are


@dataclass(frozen=True)
class Agency:
    code: str
    admin: Staff
    ani: Staff
    budi: Staff
    ids: dict[str, str]  # user ids by name
    stranger: Staff  # an officer of another agency
    stranger_id: str
    other: str  # that other agency


@pytest.fixture(scope="module")
def agency(api: str, settings) -> Agency:
    # The agency routing sends a waste report to (the seeded Padang rules), read off a report.
    holder = bring_to(api, settings, "forwarded")["workflow"]["agencies"][0]["code"]
    sysadmin = city_sysadmin(api, "padang")
    admin, _ = staff_through_api(api, sysadmin, "agency_admin", "padang", holder,
                                 name="Admin Lapangan")
    ani, ani_user = staff_through_api(api, sysadmin, "officer", "padang", holder,
                                      name="Ani Petugas")
    budi, budi_user = staff_through_api(api, sysadmin, "officer", "padang", holder,
                                        name="Budi Petugas")
    agencies = requests.get(f"{api}/agencies", headers=sysadmin.headers, timeout=10).json()
    other = next(a["code"] for a in agencies["agencies"]
                 if a["code"] != holder and a.get("kind") != "vertical")
    stranger, stranger_user = staff_through_api(api, sysadmin, "officer", "padang", other,
                                                name="Dedi Lain")
    return Agency(holder, admin, ani, budi, {"ani": ani_user["id"], "budi": budi_user["id"]},
                  stranger, stranger_user["id"], other)


def _ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def _mine(view: dict[str, Any], agency: Agency) -> dict[str, Any]:
    return next(a for a in view["agencies"] if a["code"] == agency.code)


def _officer(view: dict[str, Any], agency: Agency, name: str) -> dict[str, Any]:
    return next(o for o in _mine(view, agency)["officers"] if o["id"] == agency.ids[name])


def _tasks(api: str, officer: Staff) -> list[str]:
    return [t["code"] for t in _ok(requests.get(f"{api}/tasks", headers=officer.headers,
                                                timeout=10))["items"]]


def test_the_admin_picks_from_its_agencys_officers(api, agency):
    listed = _ok(requests.get(f"{api}/agencies/{agency.code}/officers",
                              headers=agency.admin.headers, timeout=10))
    ids = {o["id"]: o["name"] for o in listed["officers"]}
    assert ids[agency.ids["ani"]] == "Ani Petugas" and agency.ids["budi"] in ids
    assert agency.stranger_id not in ids


def test_dispatched_officers_visit_and_resolve_with_good_evidence(api, settings, agency, tap):
    report = bring_to(api, settings, "forwarded", agency=agency.code)
    code = report["code"]
    ani, budi = agency.ids["ani"], agency.ids["budi"]

    dispatched = _ok(act(api, code, "dispatch", agency.admin.headers,
                         {"officers": [ani, budi], "note": "Tolong dicek hari ini"}))
    # Dispatching is the agency taking the report up.
    assert dispatched["status"] == "accepted"
    assert {o["id"]: o["status"] for o in _mine(dispatched, agency)["officers"]} == {
        ani: "assigned", budi: "assigned"}
    event = tap.wait(report["_id"], "report.dispatched")[0]
    assert event["agency"] == agency.code and event["officers"] == [ani, budi]
    assert code in _tasks(api, agency.ani) and code in _tasks(api, agency.budi)

    # Not the admin's to visit, nor an officer's to dispatch.
    admin_visit = act(api, code, "visit", agency.admin.headers, {"note": "x"})
    assert admin_visit.status_code == 403, admin_visit.text
    assert act(api, code, "dispatch", agency.ani.headers,
               {"officers": [ani]}).status_code == 403

    visited = _ok(act(api, code, "visit", agency.ani.headers,
                      {"note": "Sudah dicek, sampah diangkut besok"}, photo=fresh_padang_photo()))
    assert visited["status"] == "in_progress"
    first_visit = _officer(visited, agency, "ani")["first_visit_at"]
    assert first_visit and _officer(visited, agency, "ani")["status"] == "visited"
    assert visited["history"][-1]["photos"]  # the visit's photo, as evidence

    resolved = _ok(act(api, code, "resolve", agency.ani.headers,
                       {"note": "Sudah diangkut"}, photo=fresh_padang_photo()))
    mine = _mine(resolved, agency)
    assert resolved["status"] == "resolved" and mine["status"] == "resolved"
    assert not mine.get("evidence_flag")  # the flag would be in the same write
    entry = _officer(resolved, agency, "ani")
    assert entry["status"] == "resolved" and entry["first_visit_at"] == first_visit
    assert entry["assigned_at"] <= entry["first_visit_at"] <= entry["resolved_at"]
    assert _officer(resolved, agency, "budi")["resolved_at"] is None
    # The history names each officer's step, for the per-officer figures.
    steps = [(e.get("action"), e.get("officer"), tuple(e.get("officers") or ()))
             for e in workflow(api, code, agency.admin.headers)["history"]]
    assert ("dispatch", None, (ani, budi)) in steps
    assert ("visit", ani, ()) in steps and ("resolve", ani, ()) in steps


def test_evidence_taken_long_ago_far_away_is_flagged_for_the_admin(api, settings, agency, tap):
    report = bring_to(api, settings, "forwarded", agency=agency.code)
    code = report["code"]
    budi = agency.ids["budi"]
    _ok(act(api, code, "dispatch", agency.admin.headers, {"officers": [budi]}))
    _ok(act(api, code, "visit", agency.budi.headers, {"note": "Dicek"}))
    # Three days old, ~1.1 km north of the report: both checks fail.
    old_far = camera_photo(LAT + 0.01, LON, datetime.now(WIB) - timedelta(days=3))
    resolved = _ok(act(api, code, "resolve", agency.budi.headers, {"note": "Selesai"},
                       photo=old_far))
    assert resolved["status"] == "resolved"  # the resolution stands
    flag = _mine(workflow(api, code, agency.admin.headers), agency)["evidence_flag"]
    assert flag["officer"] == budi
    assert set(flag["reasons"]) == {"far_from_report", "stale_photo"}
    event = tap.wait(report["_id"], "report.evidence_flagged")[0]
    assert event["agency"] == agency.code and event["officer"] == budi
    assert set(event["reasons"]) == {"far_from_report", "stale_photo"}


def test_only_the_agencys_active_officers_are_dispatched_and_only_they_act(api, settings,
                                                                         agency):
    report = bring_to(api, settings, "forwarded", agency=agency.code)
    code = report["code"]
    wrong = act(api, code, "dispatch", agency.admin.headers,
                {"officers": [agency.ids["ani"], agency.stranger_id]})
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["error"]["code"] == "unknown_officer"
    assert wrong.json()["error"]["details"]["officers"] == [agency.stranger_id]
    assert workflow(api, code, agency.admin.headers)["status"] == "forwarded"  # nothing written

    _ok(act(api, code, "dispatch", agency.admin.headers, {"officers": [agency.ids["ani"]]}))
    # An officer of the agency the report is not dispatched to reads it but does not act.
    assert code not in _tasks(api, agency.budi)
    refused = act(api, code, "start", agency.budi.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_your_task"
    # An officer of another agency does not even see it.
    assert act(api, code, "visit", agency.stranger.headers,
               {"note": "x"}).status_code == 404
    # Re-dispatching to Budi removes Ani: now it is Budi's task and no longer Ani's.
    again = _ok(act(api, code, "dispatch", agency.admin.headers,
                    {"officers": [agency.ids["budi"]]}))
    statuses = {o["id"]: o["status"] for o in _mine(again, agency)["officers"]}
    assert statuses == {agency.ids["ani"]: "removed", agency.ids["budi"]: "assigned"}
    assert code in _tasks(api, agency.budi) and code not in _tasks(api, agency.ani)
    _ok(act(api, code, "start", agency.budi.headers))


def test_the_reporter_and_another_agency_see_nothing_of_the_agencys_officers(api, settings,
                                                                            agency):
    # Held by the officers' agency and another one: an operator forwards it to both.
    report = bring_to(api, settings, "verified")
    code = report["code"]
    operator = bearer(settings, "operator")
    _ok(act(api, code, "forward", operator, {"agencies": [agency.code, agency.other]}))
    ani = agency.ids["ani"]
    _ok(act(api, code, "dispatch", agency.admin.headers, {"officers": [ani]}))
    secret_note = "Eskalasi untuk dinas ini saja"
    _ok(act(api, code, "escalate", operator, {"agency": agency.code, "note": secret_note}))
    _ok(act(api, code, "visit", agency.ani.headers, {"note": "Dicek"}))
    old_far = camera_photo(LAT + 0.01, LON, datetime.now(WIB) - timedelta(days=3))
    _ok(act(api, code, "resolve", agency.ani.headers, {"note": "Selesai"}, photo=old_far))

    inside = workflow(api, code, agency.admin.headers)  # the agency's own admin sees it all
    assert [o["id"] for o in _mine(inside, agency)["officers"]] == [ani]
    assert _mine(inside, agency)["evidence_flag"]["officer"] == ani
    assert [e["note"] for e in inside["escalations"]] == [secret_note]

    outsiders = {"reporter": {"X-Reporter-Token": report["token"]},
                 "officer of the other agency": agency.stranger.headers,
                 "head of the other agency": bearer(settings, "agency_head",
                                                    agency=agency.other)}
    for who, headers in outsiders.items():
        view = workflow(api, code, headers)
        mine = _mine(view, agency)
        assert mine["status"] == "resolved", who  # what the agency did is no secret
        assert "officers" not in mine and "evidence_flag" not in mine, who
        assert view.get("escalations", []) == [], who
        text = json.dumps(view)
        for secret in (ani, "Ani Petugas", "far_from_report", "stale_photo", secret_note):
            assert secret not in text, (who, secret)
