"""Who may do what: staff tokens and roles, agency scoping, reporter tokens, and the catalogue
that only sysadmins edit."""

from __future__ import annotations

import pytest
import requests
from photo_factory import PHOTOS
from workflow_client import act, bearer, bring_to, reporter

pytestmark = pytest.mark.stack


def test_no_token_is_401_and_a_wrong_role_403(api, db, settings):
    report = bring_to(api, settings, "verified")
    anonymous = act(api, report["code"], "forward", {}, {"agencies": ["DLH"]})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "authentication_required"
    forged = act(api, report["code"], "forward", {"Authorization": "Bearer nonsense"},
                 {"agencies": ["DLH"]})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "invalid_token"
    for role in ("leader", "sysadmin", "officer", "agency_admin"):
        refused = act(api, report["code"], "forward", bearer(settings, role, agency="DLH"),
                      {"agencies": ["DLH"]})
        assert refused.status_code == 403, role
        assert refused.json()["error"]["code"] == "forbidden"
    operator_as_agency = act(api, report["code"], "accept", bearer(settings, "operator"))
    assert operator_as_agency.status_code == 403
    assert db.reports.find_one({"_id": report["_id"]})["status"] == "verified"


def test_other_agency_and_other_city_cannot_act(api, db, settings):
    # A report the caller may not see is, to them, a report that does not exist (issue 16: an
    # agency that does not hold it was answered 403 not_assigned here, 404 by intake).
    report = bring_to(api, settings, "forwarded")  # "waste": routed to DLH
    other = act(api, report["code"], "accept", bearer(settings, "agency_admin", agency="PUPR"))
    assert other.status_code == 404 and other.json()["error"]["code"] == "report_not_found"
    seen = requests.get(f"{api}/reports/{report['code']}/workflow",
                        headers=bearer(settings, "officer", agency="PUPR"), timeout=10)
    assert seen.status_code == 404
    depok = act(api, report["code"], "accept", bearer(settings, "agency_admin", city="depok",
                                                      agency="DLH"))
    assert depok.status_code == 404 and depok.json()["error"]["code"] == "report_not_found"
    depok_operator = act(api, report["code"], "reroute", bearer(settings, "operator",
                                                                city="depok"),
                         {"agencies": ["PUPR"], "note": "n"})
    assert depok_operator.status_code == 404
    assert db.reports.find_one({"_id": report["_id"]})["agencies"][0]["status"] == "forwarded"


def test_reporter_actions_need_the_report_s_own_token(api, db, settings):
    report = bring_to(api, settings, "resolved")
    missing = act(api, report["code"], "confirm", {})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "reporter_token_required"
    other = bring_to(api, settings, "resolved")
    wrong = act(api, report["code"], "confirm", reporter(settings, other["_id"]))
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "invalid_reporter_token"
    staff = act(api, report["code"], "confirm", bearer(settings, "operator"))
    assert staff.status_code == 401
    secret = bring_to(api, settings, "resolved", privacy="confidential")
    hidden = act(api, secret["code"], "confirm", reporter(settings, other["_id"]))
    assert hidden.status_code == 404
    assert db.reports.find_one({"_id": report["_id"]})["status"] == "resolved"


def test_unknown_action_and_bad_bodies(api, db, settings):
    report = bring_to(api, settings, "verified")
    operator = bearer(settings, "operator")
    unknown = act(api, report["code"], "teleport", operator)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_action"
    for body, code in (({"agencies": []}, "validation_failed"),
                       ({"agencies": ["DLH", "DLH"]}, "validation_failed"),
                       ({"agencies": "DLH"}, "validation_failed"),
                       ({"agencies": ["DLH"], "extra": 1}, "validation_failed"),
                       ({"agencies": ["DLH"], "$where": 1}, "forbidden_key")):
        response = act(api, report["code"], "forward", operator, body)
        assert response.status_code in (400, 422) and response.json()["error"]["code"] == code
    text = requests.post(f"{api}/reports/{report['code']}/actions/forward", data="agencies=DLH",
                         headers={**operator, "Content-Type": "text/plain"}, timeout=10)
    assert text.status_code == 415
    broken = requests.post(f"{api}/reports/{report['code']}/actions/forward", data="{",
                           headers={**operator, "Content-Type": "application/json"}, timeout=10)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    nowhere = act(api, "PDG-2099-000000002", "forward", operator, {"agencies": ["DLH"]})
    assert nowhere.status_code == 404
    assert db.reports.find_one({"_id": report["_id"]})["status"] == "verified"


def test_a_bad_evidence_photo_is_refused(api, db, settings):
    report = bring_to(api, settings, "in_progress")  # "waste": DLH works on it
    admin = bearer(settings, "agency_admin", agency="DLH")
    url = f"{api}/reports/{report['code']}/actions/resolve"
    text = requests.post(url, files={"photo": ("x.jpg", b"not an image", "image/jpeg")},
                         data={"data": '{"note": "n"}'}, headers=admin, timeout=10)
    assert text.status_code == 415
    truncated = (PHOTOS / "DSCN0010_truncated60.jpg").read_bytes()
    broken = requests.post(url, files={"photo": ("x.jpg", truncated, "image/jpeg")},
                           data={"data": '{"note": "n"}'}, headers=admin, timeout=10)
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_photo"
    assert db.reports.find_one({"_id": report["_id"]})["status"] == "in_progress"


def test_staff_read_the_catalogue_and_only_sysadmins_edit_it(api, db, settings):
    assert requests.get(f"{api}/agencies", timeout=10).status_code == 401
    agencies = requests.get(f"{api}/agencies", headers=bearer(settings, "officer", agency="DLH"),
                            timeout=10).json()["agencies"]
    kinds = {a["kind"] for a in agencies}
    assert kinds == {"opd", "kecamatan", "vertical"}
    offices = [a for a in agencies if a["kind"] == "kecamatan"]
    assert len(offices) == 11  # every kecamatan of Padang
    lubeg = next(a for a in offices if a["kecamatan"]["name"] == "Lubuk Begalung")
    assert "flood" in lubeg["categories"] and "administration" in lubeg["categories"]
    dlh = next(a for a in agencies if a["code"] == "DLH")
    assert dlh["contact"]["email"] and "waste" in dlh["categories"]
    assert "head" not in dlh and "liaisons" not in dlh  # people are users, not the catalogue's
    pln = next(a for a in agencies if a["code"] == "PLN")
    assert pln["contact"]["phone"] == "123" and pln["categories"] == ["electricity"]
    depok = requests.get(f"{api}/agencies?kind=vertical",
                         headers=bearer(settings, "leader", city="depok"), timeout=10).json()
    assert "Perumda Air Minum Tirta Asasta Kota Depok" in {a["name_id"] for a in depok["agencies"]}

    patch = {"contact": {"email": "pengaduan@dlh.padang.go.id", "phone": "0751 123456"}}
    refused = requests.patch(f"{api}/agencies/DLH", json=patch,
                             headers=bearer(settings, "operator"), timeout=10)
    assert refused.status_code == 403
    sysadmin = bearer(settings, "sysadmin")
    for bad in ({"contact": {"email": "nope"}}, {"head": {"name": "Kepala"}}):
        response = requests.patch(f"{api}/agencies/DLH", json=bad, headers=sysadmin, timeout=10)
        assert response.status_code == 422, bad
    done = requests.patch(f"{api}/agencies/DLH", json=patch, headers=sysadmin, timeout=10)
    assert done.status_code == 200, done.text
    assert done.json()["contact"]["phone"] == "0751 123456"
    stored = db.agencies.find_one({"city": "padang", "code": "DLH"})
    assert stored["contact"]["email"] == "pengaduan@dlh.padang.go.id"
    assert stored["updated_by"] == "sysadmin-padang"
    # Only the desk's website changes: its email and phone stay.
    desk = requests.patch(f"{api}/agencies/DLH", headers=sysadmin, timeout=10,
                          json={"contact": {"website": "https://dlh.padang.go.id"}}).json()
    assert desk["contact"]["email"] == "pengaduan@dlh.padang.go.id"
    assert desk["contact"]["website"] == "https://dlh.padang.go.id"
    unknown = requests.patch(f"{api}/agencies/NOPE", json=patch, headers=sysadmin, timeout=10)
    assert unknown.status_code == 404


def test_sysadmin_sets_a_categorys_resolution_target(api, db, settings):
    sysadmin = bearer(settings, "sysadmin", city="depok")
    public = requests.get(f"{api}/categories?city=depok", timeout=10).json()["categories"]
    lights = next(c for c in public if c["code"] == "street_light")
    assert lights["agencies"] == ["DISHUB"] and lights["sla"]["resolution_days"] == 5
    for days in (0, 366, "7", 1.5):
        bad = requests.patch(f"{api}/categories/street_light", headers=sysadmin, timeout=10,
                             json={"sla": {"resolution_days": days}})
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "validation_failed"), days
    refused = requests.patch(f"{api}/categories/street_light", timeout=10,
                             headers=bearer(settings, "operator", city="depok"),
                             json={"sla": {"resolution_days": 3}})
    assert refused.status_code == 403
    changed = requests.patch(f"{api}/categories/street_light", headers=sysadmin, timeout=10,
                             json={"sla": {"resolution_days": 3, "follow_up_days": 2}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["sla"] == {"resolution_days": 3, "follow_up_days": 2}
    public = requests.get(f"{api}/categories?city=depok", timeout=10).json()["categories"]
    assert next(c for c in public if c["code"] == "street_light")["sla"] == {
        "resolution_days": 3, "follow_up_days": 2}
    padang = requests.get(f"{api}/categories?city=padang", timeout=10).json()["categories"]
    assert next(c for c in padang if c["code"] == "street_light")["sla"] == {"resolution_days": 5}
    back = requests.patch(f"{api}/categories/street_light", headers=sysadmin, timeout=10,
                          json={"sla": {"resolution_days": None, "follow_up_days": None}})
    assert back.status_code == 200 and back.json()["sla"] == {}  # the settings' targets
    requests.patch(f"{api}/categories/street_light", headers=sysadmin, timeout=10,
                   json={"sla": {"resolution_days": 5}})  # as seeded, for the tests after


def test_sysadmin_changes_a_routing_rule_and_new_reports_follow_it(api, db, settings):
    sysadmin = bearer(settings, "sysadmin", city="jambi")
    created = requests.post(f"{api}/agencies", headers=sysadmin, timeout=10, json={
        "code": "DINSOS", "kind": "opd", "name_id": "Dinas Sosial",
        "name_en": "Social Affairs Agency", "contact": {"email": "dinsos@jambi.example"}})
    assert created.status_code == 201, created.text
    twice = requests.post(f"{api}/agencies", headers=sysadmin, timeout=10, json={
        "code": "DINSOS", "kind": "opd", "name_id": "Dinas Sosial", "name_en": "Social"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "agency_exists"
    for body, code in (({"agencies": ["NOPE"]}, "unknown_agency"),
                       ({"agencies": ["PLN"]}, "vertical_body_in_rule"),
                       ({"refer_to": "DLH"}, "not_a_vertical_body"),
                       ({"agencies": ["DLH"], "refer_to": "PLN"}, "conflicting_rule"),
                       ({}, "empty_patch")):
        response = requests.patch(f"{api}/categories/other", json=body, headers=sysadmin,
                                  timeout=10)
        assert response.status_code == 422 and response.json()["error"]["code"] == code, body
    changed = requests.patch(f"{api}/categories/other", headers=sysadmin, timeout=10,
                             json={"agencies": ["DINSOS", "@kecamatan"],
                                   "sla": {"follow_up_days": 2}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["agencies"] == ["DINSOS", "@kecamatan"]
    category = db.categories.find_one({"city": "jambi", "code": "other"})
    assert category["sla"]["follow_up_days"] == 2 and category["refer_to"] is None

    from services.routing.rules import decide

    report = {"city": "jambi", "category": "other", "location": {"lat": -1.6093, "lon": 103.6123}}
    decision = decide(db, report, {"code": "15.71.08", "name": "Jelutung"})
    assert [a["code"] for a in decision.agencies] == ["DINSOS", "KEC-157108"]
    new = requests.post(f"{api}/categories", headers=sysadmin, timeout=10, json={
        "code": "social", "name_id": "Kesejahteraan sosial", "name_en": "Social welfare",
        "agencies": ["DINSOS"], "sla": {"resolution_days": 14}})
    assert new.status_code == 201, new.text
    public = requests.get(f"{api}/categories?city=jambi", timeout=10).json()["categories"]
    social = next(c for c in public if c["code"] == "social")
    assert social["agencies"] == ["DINSOS"] and social["sla"] == {"resolution_days": 14}
    taken = requests.post(f"{api}/categories", headers=sysadmin, timeout=10, json={
        "code": "street_light", "name_id": "Lampu jalan", "name_en": "Street lights"})
    assert taken.status_code == 409  # seeded for every city


def test_workflow_actions_are_counted_in_the_routing_metrics(api, settings, stack):
    report = bring_to(api, settings, "verified")
    act(api, report["code"], "archive", bearer(settings, "operator"), {"note": "uji metrik"})
    act(api, report["code"], "archive", bearer(settings, "operator"), {"note": "lagi"})
    port = stack.profile.http_ports["routing"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert 'aduan_workflow_actions_total{action="archive",outcome="done"}' in text
    assert 'aduan_workflow_actions_total{action="archive",outcome="refused_409"}' in text
