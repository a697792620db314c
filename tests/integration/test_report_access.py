"""Lists for maps and staff, privacy, agency scoping, comments and who may file what."""

from __future__ import annotations

import uuid

import pytest
import requests
from photo_factory import fresh_padang_photo
from stack_client import REPORT, submit, wait_for_status
from staff_accounts import make_staff

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def people(db, api):
    return {
        "operator": make_staff(db, api, "operator"),
        "dlh": make_staff(db, api, "agency_admin", agency="DLH"),
        "pupr": make_staff(db, api, "officer", agency="PUPR"),
        "leader": make_staff(db, api, "leader"),
        "depok_operator": make_staff(db, api, "operator", city="depok"),
    }


def _forwarded(api, **changes) -> dict:
    marker = uuid.uuid4().hex[:10]
    body = {**REPORT, "description": f"Laporan uji {marker} di kota Padang", **changes}
    receipt = submit(api, fresh_padang_photo(), body).json()
    wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    return {**receipt, "marker": marker}


@pytest.fixture(scope="module")
def reports(api, people):
    return {
        "public_waste": _forwarded(api),
        "anonymous_road": _forwarded(api, category="road", privacy="anonymous"),
        "confidential_waste": _forwarded(api, privacy="confidential"),
    }


def _codes(response: requests.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["code"] for item in response.json()["items"]}


def test_public_list_shows_verified_reports_but_nothing_confidential(api, reports):
    codes = _codes(requests.get(f"{api}/reports", params={"page_size": 100}, timeout=10))
    assert reports["public_waste"]["code"] in codes
    assert reports["anonymous_road"]["code"] in codes
    assert reports["confidential_waste"]["code"] not in codes


def test_public_list_filters_and_pages(api, reports):
    roads = _codes(requests.get(f"{api}/reports", params={"category": "road"}, timeout=10))
    assert reports["anonymous_road"]["code"] in roads
    assert reports["public_waste"]["code"] not in roads
    far_away = requests.get(f"{api}/reports", params={"bbox": "106.7,-6.5,106.9,-6.3"},
                            timeout=10)
    assert _codes(far_away) == set()
    around = requests.get(f"{api}/reports", params={"bbox": "100.39,-0.99,100.42,-0.96"},
                          timeout=10)
    assert reports["public_waste"]["code"] in _codes(around)
    for beside in ("100.39,-0.99,100.405,-0.96", "100.406,-0.99,100.42,-0.96",
                   "100.39,-0.99,100.42,-0.973", "100.39,-0.972,100.42,-0.96"):
        near_miss = requests.get(f"{api}/reports", params={"bbox": beside}, timeout=10)
        assert reports["public_waste"]["code"] not in _codes(near_miss), beside
    future = requests.get(f"{api}/reports", params={"from": "2099-01-01"}, timeout=10)
    assert _codes(future) == set()
    first = requests.get(f"{api}/reports", params={"page_size": 1, "page": 1}, timeout=10)
    second = requests.get(f"{api}/reports", params={"page_size": 1, "page": 2}, timeout=10)
    assert first.json()["total"] == second.json()["total"] >= 2
    assert _codes(first) != _codes(second)


def test_public_list_as_geojson_hides_the_reporter(api, reports):
    collection = requests.get(f"{api}/reports", params={"format": "geojson"}, timeout=10).json()
    assert collection["type"] == "FeatureCollection"
    feature = next(f for f in collection["features"]
                   if f["properties"]["code"] == reports["public_waste"]["code"])
    assert feature["geometry"] == {"type": "Point", "coordinates": [100.4057, -0.9726]}
    assert "reporter" not in str(collection) and "warga@example.id" not in str(collection)


@pytest.mark.parametrize(
    "params, code",
    [({"bbox": "1,2,3"}, "validation_failed"), ({"page_size": "1000"}, "validation_failed"),
     ({"status": "$ne"}, "validation_failed"), ({"from": "yesterday"}, "validation_failed"),
     ({"sort": "password"}, "validation_failed"), ({"city": "atlantis"}, "unknown_city"),
     ({"unknown": "1"}, "validation_failed")],
)
def test_bad_list_parameters(api, params, code):
    response = requests.get(f"{api}/reports", params=params, timeout=10)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_an_agency_sees_only_reports_forwarded_to_it(api, people, reports):
    dlh_codes = _codes(requests.get(f"{api}/staff/reports", headers=people["dlh"].headers,
                                    params={"page_size": 100}, timeout=10))
    assert reports["public_waste"]["code"] in dlh_codes
    assert reports["anonymous_road"]["code"] not in dlh_codes
    other = requests.get(f"{api}/staff/reports/{reports['anonymous_road']['code']}",
                         headers=people["dlh"].headers, timeout=10)
    assert other.status_code == 404
    # Asking for another agency's reports changes nothing for agency staff.
    forced = requests.get(f"{api}/staff/reports", headers=people["dlh"].headers,
                          params={"agency": "PUPR"}, timeout=10)
    assert reports["anonymous_road"]["code"] not in _codes(forced)


def test_reporter_identity_follows_the_privacy_level(api, people, reports):
    def reporter(person: str, report: str):
        response = requests.get(f"{api}/staff/reports/{reports[report]['code']}",
                                headers=people[person].headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["reporter"]

    assert reporter("dlh", "public_waste")["email"] == REPORT["reporter"]["email"]
    assert reporter("pupr", "anonymous_road") is None
    assert reporter("dlh", "confidential_waste") is None
    assert reporter("leader", "confidential_waste") is None
    assert reporter("leader", "anonymous_road") is None
    assert reporter("operator", "confidential_waste")["email"] == REPORT["reporter"]["email"]
    assert reporter("operator", "anonymous_road")["email"] == REPORT["reporter"]["email"]


def test_staff_see_only_their_own_city(api, people, reports):
    codes = _codes(requests.get(f"{api}/staff/reports", headers=people["depok_operator"].headers,
                                timeout=10))
    assert reports["public_waste"]["code"] not in codes
    detail = requests.get(f"{api}/staff/reports/{reports['public_waste']['code']}",
                          headers=people["depok_operator"].headers, timeout=10)
    assert detail.status_code == 404


def test_staff_search_by_words_code_and_channel(api, people, reports):
    operator = people["operator"].headers
    by_word = _codes(requests.get(f"{api}/staff/reports", headers=operator,
                                  params={"text": reports["public_waste"]["marker"]}, timeout=10))
    assert by_word == {reports["public_waste"]["code"]}
    by_code = _codes(requests.get(f"{api}/staff/reports", headers=operator,
                                  params={"code": reports["anonymous_road"]["code"]}, timeout=10))
    assert by_code == {reports["anonymous_road"]["code"]}
    walk_in = _codes(requests.get(f"{api}/staff/reports", headers=operator,
                                  params={"channel": "walk_in"}, timeout=10))
    assert not walk_in & {r["code"] for r in reports.values()}


def test_staff_may_file_on_behalf_of_a_resident_but_residents_only_use_apps(api, people, db):
    walk_in = {**REPORT, "channel": "walk_in"}
    refused = submit(api, fresh_padang_photo(), walk_in)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "channel_requires_staff"
    agency = submit(api, fresh_padang_photo(), walk_in, headers=people["dlh"].headers)
    assert agency.status_code == 403
    filed = submit(api, fresh_padang_photo(), walk_in, headers=people["operator"].headers)
    assert filed.status_code == 202
    stored = db.reports.find_one({"code": filed.json()["code"]})
    assert stored["channel"] == "walk_in" and stored["filed_by"]


def test_comments_from_the_reporter_and_the_handling_agency(api, people, reports):
    report = reports["public_waste"]
    url = f"{api}/reports/{report['code']}/comments"
    by_reporter = requests.post(url, json={"text": "Sampahnya makin banyak"}, timeout=10,
                                headers={"X-Reporter-Token": report["token"]})
    assert by_reporter.status_code == 201
    photo = fresh_padang_photo()
    by_agency = requests.post(
        url, headers=people["dlh"].headers, timeout=10,
        files={"comment": (None, '{"text": "Petugas menuju lokasi"}', "application/json"),
               "photo": ("p.jpg", photo, "image/jpeg")})
    assert by_agency.status_code == 201, by_agency.text
    stranger = requests.post(url, json={"text": "spam"}, timeout=10)
    assert stranger.status_code == 403
    other_agency = requests.post(url, json={"text": "x"}, headers=people["pupr"].headers,
                                 timeout=10)
    assert other_agency.status_code == 403
    bad = requests.post(url, json={"text": ""}, timeout=10,
                        headers={"X-Reporter-Token": report["token"]})
    assert bad.status_code == 422

    public = requests.get(f"{api}/reports/{report['code']}", timeout=10).json()
    assert [c["text"] for c in public["comments"]] == ["Sampahnya makin banyak",
                                                       "Petugas menuju lokasi"]
    assert all("photo_url" not in c and "author_id" not in c for c in public["comments"])
    staff = requests.get(f"{api}/staff/reports/{report['code']}", headers=people["dlh"].headers,
                         timeout=10).json()
    photo_url = staff["comments"][1]["photo_url"]
    assert requests.get(photo_url, headers=people["dlh"].headers, timeout=10).status_code == 200
    assert requests.get(photo_url, timeout=10).status_code == 404  # staff only


def test_staff_filter_by_kiniko_stage_and_overdue(api, db, people, reports):
    from datetime import UTC, datetime, timedelta

    operator = people["operator"].headers
    waste = reports["public_waste"]
    not_accepted = _codes(requests.get(f"{api}/staff/reports", headers=operator, timeout=10,
                                       params={"stage": "not_accepted", "page_size": 100}))
    assert waste["code"] in not_accepted
    done = _codes(requests.get(f"{api}/staff/reports", headers=operator, timeout=10,
                               params={"stage": "done", "page_size": 100}))
    assert waste["code"] not in done

    def overdue(headers, flag):
        return _codes(requests.get(f"{api}/staff/reports", headers=headers, timeout=10,
                                   params={"overdue": flag, "page_size": 100}))

    assert waste["code"] in overdue(operator, "false")
    # DLH's follow-up deadline passes (the clock is moved, not the rule).
    db.reports.update_one({"_id": waste["id"], "agencies.code": "DLH"},
                          {"$set": {"agencies.$.due_at": datetime.now(UTC) - timedelta(hours=1)}})
    assert waste["code"] in overdue(operator, "true")
    assert waste["code"] not in overdue(operator, "false")
    assert waste["code"] in overdue(people["dlh"].headers, "true")
    row = next(r for r in requests.get(f"{api}/staff/reports", headers=operator, timeout=10,
                                       params={"code": waste["code"]}).json()["items"])
    assert row["stage"] == "not_accepted"
