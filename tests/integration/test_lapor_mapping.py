"""The edges of the SP4N-LAPOR! connector (issue 19) on the running stack: the city-editable
topic → category mapping (services/lapor/topics_api.py) and what the importer reads of it
(services/lapor/topics.py), forwarding a report outside the city's authority to the vertical
body SP4N-LAPOR, each linked report's sync state and each city's (services/lapor/sync_api.py),
and the connector's metrics on the lapor service. The last tests run the importer and the
stack's lapor-worker against the suite's LAPOR! double (tests/lapor_double.py): a sysadmin's
mapping is what the next import files by, and an outage at LAPOR! shows on the report, in the
city's status and in the gauges until it clears."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from lapor_double import POST_FOLLOWUP, LaporDouble, lapor_report
from lapor_helpers import (
    TOKENS,
    importer,
    lapor_service_connected,
    metric,
    stamp,
    tracking,
)
from photo_factory import INSIDE
from stack_client import wait_for_status
from waiting import eventually
from workflow_client import act, bearer, bring_to

from aduan.infra.config import Settings
from aduan.infra.intake_client import file_report
from services.lapor.topics import LAPOR_BODY, category_for, fallback_category

pytestmark = pytest.mark.stack


def _topics(api: str, headers: dict[str, str], city: str | None = None) -> requests.Response:
    return requests.get(f"{api}/lapor/topics", headers=headers, timeout=10,
                        params={"city": city} if city else None)


def _put(api: str, topic: str, body: Any, headers: dict[str, str],
         city: str | None = None) -> requests.Response:
    return requests.put(f"{api}/lapor/topics/{topic}", data=json.dumps(body), timeout=10,
                        headers={**headers, "Content-Type": "application/json"},
                        params={"city": city} if city else None)


def _code(response: requests.Response) -> str:
    return response.json()["error"]["code"]


def _topic_id() -> str:
    return f"9{uuid.uuid4().int % 10**8}"


def test_operators_read_the_seeded_mapping_and_other_roles_do_not(api: str, settings: Settings):
    listed = _topics(api, bearer(settings, "operator"))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["city"] == "padang" and body["fallback_category"] == "other"
    by_id = {t["topic_id"]: t for t in body["topics"]}
    assert by_id["201"]["category"] == "waste" and by_id["201"]["parent_id"] == "2"
    assert by_id["201"]["category_name"] == "Sampah" and by_id["201"]["seeded"] is True
    for role in ("agency_admin", "leader", "officer"):
        refused = _topics(api, bearer(settings, role, agency="DLH" if role != "leader" else None))
        assert refused.status_code == 403, (role, refused.text)
    assert requests.get(f"{api}/lapor/topics", timeout=10).status_code == 401


def test_a_sysadmin_maps_a_topic_and_the_importer_reads_it(api: str, settings: Settings, db):
    sysadmin = bearer(settings, "sysadmin")
    topic, child = _topic_id(), _topic_id()
    assert category_for(db, "padang", topic) is None
    done = _put(api, topic, {"category": "road", "name": "Jembatan"}, sysadmin)
    assert done.status_code == 200, done.text
    assert done.json() | {"updated_at": None} == {
        "topic_id": topic, "parent_id": None, "name": "Jembatan", "category": "road",
        "category_name": "Jalan rusak", "seeded": False, "updated_at": None}
    assert category_for(db, "padang", topic) == "road"
    # A sub-topic LAPOR! sends that the city never mapped: its parent's category.
    assert category_for(db, "padang", child, topic) == "road"
    # A sub-topic mapped on its own wins over its parent; re-mapping changes only the category.
    assert _put(api, child, {"category": "drainage", "parent_id": topic}, sysadmin
                ).status_code == 200
    assert category_for(db, "padang", child, topic) == "drainage"
    assert _put(api, topic, {"category": "flood"}, sysadmin).json()["name"] == "Jembatan"
    # Removed: the sub-topic falls back to the parent, the parent to nothing (the importer
    # then files under the fallback); seeding does not bring a removed topic back.
    assert requests.delete(f"{api}/lapor/topics/{child}", headers=sysadmin,
                           timeout=10).status_code == 204
    assert category_for(db, "padang", child, topic) == "flood"
    assert requests.delete(f"{api}/lapor/topics/{child}", headers=sysadmin,
                           timeout=10).status_code == 404
    assert requests.delete(f"{api}/lapor/topics/201", headers=sysadmin,
                           timeout=10).status_code == 204
    listed = {t["topic_id"] for t in _topics(api, sysadmin).json()["topics"]}
    assert "201" not in listed and child not in listed and topic in listed
    assert category_for(db, "padang", "201", "2") == "environment"
    assert category_for(db, "padang", "201") is None
    assert fallback_category(db, "padang") == "other"
    # Mapped again: back.
    assert _put(api, "201", {"category": "waste", "parent_id": "2"}, sysadmin
                ).status_code == 200
    assert category_for(db, "padang", "201") == "waste"


def test_bad_mappings_are_refused_and_change_nothing(api: str, settings: Settings, db):
    sysadmin = bearer(settings, "sysadmin")
    before = list(db.lapor_topics.find({"city": "padang"}).sort("_id", 1))
    cases = [
        ("101", {"category": "no_such_category"}, 422, "unknown_category"),
        ("101", {"category": "road", "$set": {"category": "waste"}}, 400, "forbidden_key"),
        ("101", {"category": "road", "owner": "me"}, 422, None),
        ("101", {"name": "tanpa kategori"}, 422, None),
        ("101", {"category": "road", "parent_id": "101"}, 422, "topic_own_parent"),
        ("101", {"category": "road", "name": "bad\x1b[2Jname"}, 422, "control_character"),
        ("101", [1, 2], 400, "invalid_json"),
        ("bad id!", {"category": "road"}, 404, "topic_not_found"),
    ]
    for topic, body, status, code in cases:
        refused = _put(api, topic, body, sysadmin)
        assert refused.status_code == status, (body, refused.text)
        if code:
            assert _code(refused) == code, refused.text
    text = requests.put(f"{api}/lapor/topics/101", data="category=road", timeout=10,
                        headers={**sysadmin, "Content-Type": "text/plain"})
    assert text.status_code == 415, text.text
    for role in ("operator", "leader"):
        refused = _put(api, "101", {"category": "road"}, bearer(settings, role))
        assert refused.status_code == 403, refused.text
        assert requests.delete(f"{api}/lapor/topics/101", headers=bearer(settings, role),
                               timeout=10).status_code == 403
    assert list(db.lapor_topics.find({"city": "padang"}).sort("_id", 1)) == before


def test_each_city_edits_its_own_mapping(api: str, settings: Settings, db):
    topic = _topic_id()
    jambi = bearer(settings, "sysadmin", city="jambi")
    assert _put(api, topic, {"category": "health"}, jambi).status_code == 200
    # The city a sysadmin names is not theirs to choose: their own.
    assert _put(api, topic, {"category": "fire"}, jambi, city="padang").status_code == 200
    assert category_for(db, "jambi", topic) == "fire"
    assert category_for(db, "padang", topic) is None
    assert topic not in {t["topic_id"] for t in
                         _topics(api, bearer(settings, "operator")).json()["topics"]}
    assert requests.delete(f"{api}/lapor/topics/{topic}", timeout=10,
                           headers=bearer(settings, "sysadmin")).status_code == 404
    admin = bearer(settings, "platform_admin", city="")
    assert _topics(api, admin).status_code == 422  # which city?
    assert _put(api, topic, {"category": "education"}, admin, city="padang").status_code == 200
    assert category_for(db, "padang", topic) == "education"
    assert category_for(db, "jambi", topic) == "fire"
    assert _topics(api, admin, city="jambi").json()["city"] == "jambi"


def _lapor_report(**changes: Any) -> dict[str, Any]:
    return {"city": "padang", "category": "road", "type": "complaint",
            "description": f"Jalan berlubang {uuid.uuid4().hex[:8]} dekat sekolah",
            "location": {"lat": INSIDE["padang"][0], "lon": INSIDE["padang"][1]}, **changes}


def test_a_report_forwarded_to_lapor_and_one_imported_show_their_sync_state(
        api: str, settings: Settings):
    operator = bearer(settings, "operator")
    report = bring_to(api, settings, "verified")
    assert requests.get(f"{api}/reports/{report['code']}/lapor", headers=operator,
                        timeout=10).json()["error"]["code"] == "report_not_linked"
    forwarded = act(api, report["code"], "forward", operator,
                    {"agencies": [LAPOR_BODY], "note": "Kewenangan pemerintah pusat"})
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["status"] == "referred"
    state = requests.get(f"{api}/reports/{report['code']}/lapor", headers=operator, timeout=10)
    assert state.status_code == 200, state.text
    assert state.json()["direction"] == "forwarded" and state.json()["code"] == report["code"]
    # Leaders and sysadmins of the city read it; agencies, and another city's staff, do not.
    for headers, status in ((bearer(settings, "leader"), 200),
                            (bearer(settings, "sysadmin"), 200),
                            (bearer(settings, "agency_admin", agency="DLH"), 403),
                            (bearer(settings, "operator", city="jambi"), 404)):
        seen = requests.get(f"{api}/reports/{report['code']}/lapor", headers=headers,
                            timeout=10)
        assert seen.status_code == status, (headers, seen.text)

    tracking = f"LPR-{uuid.uuid4().hex[:10].upper()}"
    with requests.Session() as session:
        receipt = file_report(session, settings.intake_url, 20, "sp4n_lapor",
                              _lapor_report(external_id=tracking), [],
                              f"lapor:padang:{tracking}")
    wait_for_status(api, receipt["code"], {"needs_review"}, token=receipt["token"])
    state = requests.get(f"{api}/reports/{receipt['code']}/lapor", headers=operator,
                         timeout=10).json()
    assert state["direction"] == "imported" and state["tracking_id"] == tracking


def test_the_connector_status_per_city_and_its_metrics(api: str, settings: Settings, stack):
    status = requests.get(f"{api}/lapor/status", headers=bearer(settings, "operator"),
                          timeout=10)
    assert status.status_code == 200, status.text
    cities = status.json()["cities"]
    assert [c["city"] for c in cities] == ["padang"]
    assert {"imported", "forwarded", "pending", "failing", "recent_errors",
            "last_import", "enabled"} <= set(cities[0])
    every = requests.get(f"{api}/lapor/status", timeout=10,
                         headers=bearer(settings, "platform_admin", city="")).json()
    assert [c["city"] for c in every["cities"]] == ["depok", "jambi", "kotamobagu", "padang"]
    assert requests.get(f"{api}/lapor/status", timeout=10, headers=bearer(
        settings, "agency_admin", agency="DLH")).status_code == 403
    port = stack.profile.http_ports["lapor"]
    scraped = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert 'aduan_lapor_pending{city="padang"}' in scraped
    assert 'aduan_lapor_reports_failing{city="jambi"}' in scraped


@pytest.fixture(scope="module")
def lapor(stack):
    """The stack's lapor-worker and lapor service pointed at the LAPOR! double."""
    with LaporDouble(TOKENS) as server, lapor_service_connected(stack, server):
        yield server


def _import(settings: Settings, db, lapor: LaporDouble, **changes: Any) -> dict[str, Any]:
    tracking_id = tracking()
    lapor.reports["padang"] = [lapor_report(tracking_id, stamp(), **changes)]
    assert importer(settings, lapor).run_city("padang").imported == 1
    return db.reports.find_one({"external.system": "sp4n_lapor", "external.id": tracking_id})


def test_the_next_import_files_by_the_mapping_a_sysadmin_just_edited(settings: Settings, db,
                                                                     api: str, lapor):
    sysadmin = bearer(settings, "sysadmin")
    parent, child = _topic_id(), _topic_id()
    assert _put(api, parent, {"category": "street_light", "name": "Fasilitas umum"},
                sysadmin).status_code == 200
    # A sub-topic the city never mapped, under the parent it just mapped: the parent's.
    report = _import(settings, db, lapor,
                     topik={"id": child, "parent_id": parent, "nama": "Lampu taman"})
    assert report["category"] == "street_light"
    assert _put(api, child, {"category": "parking", "parent_id": parent},
                sysadmin).status_code == 200
    assert _import(settings, db, lapor, topik={"id": child, "parent_id": parent})[
        "category"] == "parking"
    # Neither mapped: the city's fallback, for the operators to re-categorise.
    assert _import(settings, db, lapor, topik={"id": _topic_id(), "parent_id": _topic_id()})[
        "category"] == fallback_category(db, "padang") == "other"


def _view(api: str, settings: Settings, code: str) -> dict[str, Any]:
    response = requests.get(f"{api}/reports/{code}/lapor", headers=bearer(settings, "operator"),
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_outage_shows_on_the_report_the_status_and_the_gauges_until_it_clears(
        stack, settings: Settings, db, api: str, lapor):
    operator = bearer(settings, "operator")
    lapor.down.add(POST_FOLLOWUP)
    try:
        # About waste: DLH's once verified.
        code = _import(settings, db, lapor, topik={"id": "201", "parent_id": "2"})["code"]
        eventually(lambda: requests.get(f"{api}/staff/reports/{code}", headers=operator,
                                        timeout=10).json()["status"] == "needs_review", 60,
                   f"{code} waiting for review")
        verified = act(api, code, "verify", operator, {"note": "Sudah dicek"})
        assert verified.status_code == 200, verified.text
        failing = eventually(lambda: (v := _view(api, settings, code))["state"] == "failing"
                             and v, 60, f"{code} failing to reach LAPOR!")
        assert failing["last_error"]["reason"] == "unavailable" and failing["pending"] >= 1
        assert failing["lag_seconds"] is not None
        status = requests.get(f"{api}/lapor/status", headers=operator, timeout=10).json()
        [padang] = status["cities"]
        assert status["connector"] == "on" and padang["enabled"] is True
        assert padang["failing"] >= 1 and padang["pending"] >= 1
        assert code in [e["code"] for e in padang["recent_errors"]]
        # The gauges are read from the database at most every 15 s.
        eventually(lambda: metric(stack, "aduan_lapor_reports_failing", city="padang") >= 1
                   and metric(stack, "aduan_lapor_pending", city="padang") >= 1, 60,
                   "the failing report in the gauges")
    finally:
        lapor.down.discard(POST_FOLLOWUP)
    # LAPOR! is back: the next change sends what waited, in order, and the state clears.
    forwarded = eventually(lambda: requests.get(f"{api}/staff/reports/{code}", headers=operator,
                                                timeout=10).json()["status"] == "forwarded",
                           60, f"{code} forwarded")
    assert forwarded
    accepted = act(api, code, "accept", bearer(settings, "agency_admin", agency="DLH"),
                   {"public_response": "Tim kami menuju lokasi"})
    assert accepted.status_code == 200, accepted.text
    cleared = eventually(lambda: (v := _view(api, settings, code))["state"] == "in_sync" and v,
                         60, f"{code} in sync again")
    assert cleared["last_error"] is None and cleared["pending"] == 0
    assert len(cleared["exported"]) == 3  # verified, forwarded, accepted
    assert lapor.refs(cleared["tracking_id"]) == [e["ref"] for e in cleared["exported"]]
