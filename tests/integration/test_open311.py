"""Open311 GeoReport v2 through the running gateway: every endpoint in JSON and XML, shaped like
the spec's own examples (tests/data/open311), a report filed through it reaching its agency,
privacy, the 90-day rule and errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests
from notification_helpers import mails, text_of
from photo_factory import INSIDE, WIB, camera_photo, fresh_padang_photo
from stack_client import REPORT, submit, wait_for_status
from waiting import eventually

from gateway import api_keys

pytestmark = pytest.mark.stack

SPEC = Path(__file__).parents[1] / "data" / "open311"
LAT, LON = INSIDE["padang"]




def _spec_json(name: str):
    return json.loads((SPEC / f"{name}.json").read_text())


def _tags(element: ElementTree.Element, prefix: str = "") -> set[str]:
    """Every element path of a document, list items counted once."""
    here = f"{prefix}/{element.tag}"
    found = {here}
    for child in element:
        found |= _tags(child, here)
    return found


def _spec_xml_tags(name: str) -> set[str]:
    return _tags(ElementTree.parse(SPEC / f"{name}.xml").getroot())


def _xml(response: requests.Response) -> ElementTree.Element:
    assert response.headers["Content-Type"].startswith("application/xml"), response.headers
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(response.content)


def _post(o311: str, fields: dict, media: bytes | None = None, fmt: str = "json",
          media_type: str = "image/jpeg") -> requests.Response:
    files = {name: (None, str(value)) for name, value in fields.items()}
    if media is not None:
        files["media"] = ("photo.jpg", media, media_type)
    return requests.post(f"{o311}/requests.{fmt}", files=files, timeout=30)


def _form(key: str, **changes) -> dict:
    return {"api_key": key, "jurisdiction_id": "padang", "service_code": "waste",
            "lat": LAT, "long": LON, "address_string": "Jl. Bypass, Lubuk Begalung",
            "description": "Tumpukan sampah di tepi jalan sudah tiga hari",
            "email": "open311.warga@example.id", "first_name": "Siti", "last_name": "Aminah",
            "phone": "+62 812 3456 7890", "device_id": "device-1", "account_id": "acc-7",
            **changes}


def _assert_error(response: requests.Response, status: int, fmt: str = "json") -> str:
    assert response.status_code == status, response.text
    if fmt == "xml":
        root = _xml(response)
        assert root.tag == "errors" and _tags(root) == _spec_xml_tags("errors")
        assert root.find("error/code").text == str(status)
        return root.find("error/description").text
    [error] = response.json()
    assert set(error) == set(_spec_json("errors")[0]) and error["code"] == status
    return error["description"]


# ---- discovery and services ------------------------------------------------------------------

def test_discovery_in_both_formats(o311):
    answer = requests.get(f"{o311}/discovery.json", timeout=10).json()
    spec = _spec_json("discovery")
    assert set(answer) == set(spec)
    assert set(answer["endpoints"][0]) == set(spec["endpoints"][0])
    assert answer["endpoints"][0]["url"].endswith("/open311/v2")
    root = _xml(requests.get(f"{o311}/discovery.xml", timeout=10))
    assert _tags(root) == _spec_xml_tags("discovery")


def test_the_same_endpoints_are_under_api_v1(api, o311):
    assert requests.get(f"{api}/open311/v2/services.json", params={"jurisdiction_id": "padang"},
                        timeout=10).json() == requests.get(
        f"{o311}/services.json", params={"jurisdiction_id": "padang"}, timeout=10).json()


def test_services_are_the_city_categories_shaped_as_the_spec(o311):
    answer = requests.get(f"{o311}/services.json", params={"jurisdiction_id": "padang"},
                          timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    services = {s["service_code"]: s for s in answer.json()}
    spec_fields = set(_spec_json("services")[0])
    assert all(set(s) == spec_fields for s in services.values())
    assert services["waste"]["service_name"] == "Sampah"
    assert services["waste"]["group"] == "Dinas Lingkungan Hidup"
    assert services["waste"]["metadata"] is True and services["waste"]["type"] == "realtime"
    assert "PDAM" in services["water"]["group"] or "Air" in services["water"]["group"]

    root = _xml(requests.get(f"{o311}/services.xml", params={"jurisdiction_id": "13.71"},
                             timeout=10))
    assert _tags(root) == _spec_xml_tags("services")
    assert {s.find("service_code").text for s in root} == set(services)
    assert root.find("service/metadata").text == "true"


def test_english_with_locale_or_accept_language(o311):
    by_locale = requests.get(f"{o311}/services.json",
                             params={"jurisdiction_id": "padang", "locale": "en"}, timeout=10)
    by_header = requests.get(f"{o311}/services.json", params={"jurisdiction_id": "padang"},
                             headers={"Accept-Language": "en-US,en;q=0.9"}, timeout=10)
    for answer in (by_locale, by_header):
        waste = next(s for s in answer.json() if s["service_code"] == "waste")
        assert waste["service_name"] == "Waste" and waste["group"] == "Environment Agency"


def test_a_service_definition_has_one_attribute_the_report_type(o311):
    params = {"jurisdiction_id": "padang"}
    answer = requests.get(f"{o311}/services/waste.json", params=params, timeout=10).json()
    assert set(answer) == set(_spec_json("service_definition"))
    [attribute] = answer["attributes"]
    assert set(attribute) == set(_spec_json("service_definition")["attributes"][0])
    assert (answer["service_code"], attribute["code"], attribute["required"]) \
        == ("waste", "type", False)
    assert attribute["values"][0]["key"] == "complaint"
    root = _xml(requests.get(f"{o311}/services/waste.xml", params=params, timeout=10))
    assert root.tag == "service_definition"
    assert _tags(root) == _spec_xml_tags("service_definition")
    _assert_error(requests.get(f"{o311}/services/nothing.json", params=params, timeout=10), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_jurisdiction_is_required_and_must_exist(o311, fmt):
    missing = _assert_error(requests.get(f"{o311}/services.{fmt}", timeout=10), 400, fmt)
    assert "jurisdiction_id" in missing
    _assert_error(requests.get(f"{o311}/requests.{fmt}", params={"jurisdiction_id": "bandung"},
                               timeout=10), 404, fmt)


def test_an_unknown_format_is_a_404_in_the_open311_format(o311):
    _assert_error(requests.get(f"{o311}/services.csv", params={"jurisdiction_id": "padang"},
                               timeout=10), 404)


# ---- a report through Open311 --------------------------------------------------------------

def test_a_report_filed_through_open311_reaches_its_agency_and_the_reporter_hears(
        o311, api, api_key, db, stack):
    response = _post(o311, _form(api_key), fresh_padang_photo())
    assert response.status_code == 200, response.text
    [created] = response.json()
    assert set(_spec_json("post_response")[0]) <= set(created)
    assert created["account_id"] == "acc-7"
    code = created["service_request_id"]
    assert code.startswith("PDG-") and code in created["service_notice"]

    stored = db.reports.find_one({"code": code})
    assert stored["channel"] == "open311" and stored["privacy"] == "anonymous"
    assert stored["reporter"] == {"name": "Siti Aminah", "email": "open311.warga@example.id",
                                  "phone": "+62 812 3456 7890", "language": "id"}
    assert stored["location"]["address"] == "Jl. Bypass, Lubuk Begalung"

    wait_for_status(api, code, {"forwarded", "rejected", "needs_review"})
    assert db.reports.find_one({"code": code})["status"] == "forwarded"
    [forwarded] = eventually(lambda: mails(stack.maildir, to="open311.warga@example.id",
                                         contains=f"{code}: diteruskan"), what="an email")
    assert "Dinas Lingkungan Hidup" in text_of(forwarded)

    params = {"jurisdiction_id": "padang"}
    [row] = requests.get(f"{o311}/requests/{code}.json", params=params, timeout=10).json()
    assert set(row) == set(_spec_json("requests")[0])
    assert row["service_request_id"] == code and row["status"] == "open"
    assert row["status_notes"].startswith("Laporan Anda sudah diteruskan")
    assert row["agency_responsible"] == "Dinas Lingkungan Hidup"
    assert row["service_name"] == "Sampah" and row["service_code"] == "waste"
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert row[field].endswith("+07:00"), (field, row[field])
    assert datetime.fromisoformat(row["expected_datetime"]) > datetime.now(UTC)
    assert (row["lat"], row["long"]) == (LAT, LON)
    assert row["address"] == "Jl. Bypass, Lubuk Begalung"
    assert requests.get(row["media_url"], timeout=10).status_code == 200
    english = requests.get(f"{o311}/requests/{code}.json", params={**params, "locale": "en"},
                           timeout=10).json()[0]
    assert english["status_notes"].startswith("Your report has been forwarded")
    assert english["agency_responsible"] == "Environment Agency"

    as_xml = requests.get(f"{o311}/requests/{code}.xml", params=params, timeout=10)
    root = _xml(as_xml)
    assert _tags(root) == _spec_xml_tags("requests")
    assert root.find("request/service_request_id").text == code
    for answer in (json.dumps(row), as_xml.text):
        assert "Siti" not in answer and "open311.warga" not in answer and "3456" not in answer

    listed = requests.get(f"{o311}/requests.json", params=params, timeout=10).json()
    assert code in {r["service_request_id"] for r in listed}
    by_id = requests.get(f"{o311}/requests.json",
                         params={**params, "service_request_id": f"{code},PDG-2000-000001"},
                         timeout=10).json()
    assert [r["service_request_id"] for r in by_id] == [code]
    for other in ({"status": "closed"}, {"service_code": "flood"}):
        rows = requests.get(f"{o311}/requests.json", params={**params, **other},
                            timeout=10).json()
        assert code not in {r["service_request_id"] for r in rows}

    token = created["token"]
    for fmt in ("json", "xml"):
        answer = requests.get(f"{o311}/tokens/{token}.{fmt}", params=params, timeout=10)
        if fmt == "json":
            assert answer.json() == [{"service_request_id": code, "token": token}]
            assert set(answer.json()[0]) == set(_spec_json("tokens")[0])
        else:
            assert _tags(_xml(answer)) == _spec_xml_tags("tokens")
    _assert_error(requests.get(f"{o311}/tokens/{'0' * 32}.json", params=params, timeout=10),
                  404)


def test_a_post_answers_in_xml_and_kotamobagu_times_are_wita(o311, api_key):
    lat, lon = INSIDE["kotamobagu"]
    photo = camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=20))
    response = _post(o311, _form(api_key, jurisdiction_id="71.74", lat=lat, long=lon,
                                 address_string=""), photo, fmt="xml")
    assert response.status_code == 200, response.text
    root = _xml(response)
    assert _tags(root) >= _spec_xml_tags("post_response")
    code = root.find("request/service_request_id").text
    assert code.startswith("KTG-")
    # Public by id once verified, like the public list (issue 15).
    def public_row() -> list | None:
        answer = requests.get(f"{o311}/requests/{code}.json", timeout=10,
                              params={"jurisdiction_id": "kotamobagu"})
        return answer.json() if answer.status_code == 200 else None

    [row] = eventually(public_row, what="the request public once verified")
    assert row["requested_datetime"].endswith("+08:00")
    assert row["address"] is None
    # Another city's jurisdiction does not see it.
    _assert_error(requests.get(f"{o311}/requests/{code}.json",
                               params={"jurisdiction_id": "padang"}, timeout=10), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("changes", "status", "words"), [
    ({"api_key": ""}, 400, "api_key"),
    ({"api_key": "adn_nosuchkey_secret"}, 403, "API key"),
    ({"lat": ""}, 400, "lat and long"),
    ({"long": "east"}, 400, "long"),
    ({"attribute[WHISHETN]": "123"}, 400, "attributes"),
    ({"description": "pendek"}, 400, "description"),
    ({"service_code": "unicorns"}, 400, "category"),
    ({"service_code": ""}, 400, "service_code"),
    ({"jurisdiction_id": ""}, 400, "jurisdiction_id"),
    ({"email": "not-an-email"}, 400, "email"),
])
def test_a_refused_post_says_why_and_stores_nothing(o311, api_key, db, fmt, changes, status,
                                                    words):
    before = db.reports.count_documents({})
    response = _post(o311, _form(api_key, **changes), fresh_padang_photo(), fmt=fmt)
    assert words in _assert_error(response, status, fmt)
    assert db.reports.count_documents({}) == before


def test_a_photo_sent_is_checked(o311, api_key, db):
    """Without one the report is filed for review (test_open311_media.py); one that is sent
    must be a picture."""
    before = db.reports.count_documents({})
    _assert_error(_post(o311, _form(api_key), b"not an image at all", media_type="image/jpeg"),
                  415)
    assert db.reports.count_documents({}) == before


def test_an_api_key_in_the_header_works_and_its_rate_limit_holds(o311, db):
    record, key = api_keys.create(db, "tiny-open311-client", "test", 2)
    params = {"jurisdiction_id": "padang", "api_key": key}
    for _ in range(2):
        assert requests.get(f"{o311}/services.json", params=params, timeout=10).ok
    limited = requests.get(f"{o311}/services.xml", params=params, timeout=10)
    _assert_error(limited, 429, "xml")
    assert int(limited.headers["Retry-After"]) >= 1
    api_keys.revoke(db, record["_id"])
    _assert_error(requests.get(f"{o311}/services.json", params=params, timeout=10), 403)


# ---- privacy and the 90-day rule -------------------------------------------------------------

def test_confidential_reports_never_show_and_no_reporter_ever_does(o311, api):
    secret = submit(api, fresh_padang_photo(), {**REPORT, "privacy": "confidential"}).json()
    public = submit(api, fresh_padang_photo(), {**REPORT, "privacy": "public"}).json()
    for receipt in (secret, public):
        wait_for_status(api, receipt["code"], {"forwarded"}, token=receipt["token"])
    params = {"jurisdiction_id": "padang"}
    _assert_error(requests.get(f"{o311}/requests/{secret['code']}.json", params=params,
                               timeout=10), 404)
    by_ids = requests.get(f"{o311}/requests.xml", params={
        **params, "service_request_id": f"{secret['code']},{public['code']}"}, timeout=10)
    codes = [r.find("service_request_id").text for r in _xml(by_ids)]
    assert codes == [public["code"]]
    listed = requests.get(f"{o311}/requests.json", params={**params, "page_size": 200},
                          timeout=10)
    assert secret["code"] not in {r["service_request_id"] for r in listed.json()}
    assert REPORT["reporter"]["email"] not in listed.text + by_ids.text
    assert "Warga" not in by_ids.text
    # A token names the code of a public report only (issue 16: it named any report's).
    _assert_error(requests.get(f"{o311}/tokens/{secret['id']}.json", params=params,
                               timeout=10), 404)
    assert requests.get(f"{o311}/tokens/{public['id']}.json", params=params,
                        timeout=10).json() == [{"service_request_id": public["code"],
                                                "token": public["id"]}]


def test_the_90_day_rule(o311, api, db):
    receipt = submit(api, fresh_padang_photo()).json()
    wait_for_status(api, receipt["code"], {"forwarded"})
    long_ago = datetime.now(UTC) - timedelta(days=100)
    db.reports.update_one({"code": receipt["code"]}, {"$set": {"created_at": long_ago}})
    params = {"jurisdiction_id": "padang", "page_size": 200}

    def codes(**extra) -> set[str]:
        answer = requests.get(f"{o311}/requests.json", params={**params, **extra}, timeout=10)
        assert answer.status_code == 200, answer.text
        return {r["service_request_id"] for r in answer.json()}

    assert receipt["code"] not in codes()  # the last 90 days by default
    window = {"start_date": (long_ago - timedelta(days=1)).isoformat(),
              "end_date": (long_ago + timedelta(days=1)).isoformat()}
    assert receipt["code"] in codes(**window)
    assert receipt["code"] in codes(start_date=window["start_date"])
    assert receipt["code"] not in codes(end_date=window["start_date"])
    for fmt in ("json", "xml"):
        too_long = requests.get(f"{o311}/requests.{fmt}", params={
            **params, "start_date": "2026-01-01", "end_date": "2026-06-01"}, timeout=10)
        assert "90 days" in _assert_error(too_long, 400, fmt)
        bad = requests.get(f"{o311}/requests.{fmt}", params={**params, "start_date": "kemarin"},
                           timeout=10)
        assert "start_date" in _assert_error(bad, 400, fmt)


def test_pages_of_requests(o311, api):
    for _ in range(3):
        receipt = submit(api, fresh_padang_photo()).json()
        wait_for_status(api, receipt["code"], {"forwarded"})
    params = {"jurisdiction_id": "padang", "status": "open", "page_size": 2}
    first = requests.get(f"{o311}/requests.json", params=params, timeout=10).json()
    second = requests.get(f"{o311}/requests.json", params={**params, "page": 2},
                          timeout=10).json()
    assert len(first) == 2
    assert not {r["service_request_id"] for r in first} & {r["service_request_id"]
                                                           for r in second}
    assert all(r["status"] == "open" for r in first + second)


def test_a_retried_post_with_its_idempotency_key_files_one_report(o311, api_key, db):
    photo = fresh_padang_photo()
    files = {name: (None, str(value)) for name, value in _form(api_key).items()}
    files["media"] = ("photo.jpg", photo, "image/jpeg")
    headers = {"Idempotency-Key": f"open311-{datetime.now(UTC).timestamp()}"}
    first = requests.post(f"{o311}/requests.json", files=files, headers=headers, timeout=30)
    again = requests.post(f"{o311}/requests.json", files=files, headers=headers, timeout=30)
    assert first.status_code == again.status_code == 200, again.text
    code = first.json()[0]["service_request_id"]
    assert again.json()[0]["service_request_id"] == code
    assert db.reports.count_documents({"idempotency_key": headers["Idempotency-Key"]}) == 1
