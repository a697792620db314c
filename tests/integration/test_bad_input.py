"""Bad input gets a clear 4xx in the one error format, and changes nothing."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from photo_factory import PHOTOS, fresh_padang_photo
from stack_client import REPORT, raw_object_count, submit

pytestmark = pytest.mark.stack


@pytest.fixture
def unchanged(db, store):
    """Asserts the test stored no report and no photo."""
    before = (db.reports.count_documents({}), raw_object_count(store))
    yield
    assert (db.reports.count_documents({}), raw_object_count(store)) == before


def _assert_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "details" in body["error"]
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


@pytest.mark.parametrize(
    "report, status, code",
    [
        ("", 400, "missing_field"),
        ("{not json", 400, "invalid_json"),
        ("[]", 400, "invalid_json"),
        ({**REPORT, "category": {"$ne": None}}, 400, "forbidden_key"),
        ({**REPORT, "$where": "1"}, 400, "forbidden_key"),
        ({**REPORT, "location": {"lat": "-0.97", "lon": 100.4}}, 422, "validation_failed"),
        ({k: v for k, v in REPORT.items() if k != "description"}, 422, "validation_failed"),
        ({**REPORT, "category": "unicorns"}, 422, "unknown_category"),
        ({**REPORT, "city": "atlantis"}, 422, "unknown_city"),
    ],
)
def test_bad_report_fields(api, unchanged, report, status, code):
    _assert_error(submit(api, fresh_padang_photo(), report), status, code)


def test_validation_errors_name_each_field(api, unchanged):
    body = _assert_error(
        submit(api, fresh_padang_photo(), {"category": "waste",
                                           "location": {"lat": True, "lon": "100.4"}}),
        422, "validation_failed")
    fields = {d["field"] for d in body["error"]["details"]}
    assert {"description", "location.lat", "location.lon"} <= fields


def test_missing_photo(api, unchanged):
    _assert_error(submit(api, None), 422, "photo_required")


def test_a_text_file_named_like_a_photo_is_refused(api, unchanged):
    _assert_error(submit(api, b"this is not a photo at all", photo_name="evil.jpg"),
                  415, "unsupported_photo_type")


def test_a_gif_is_refused_whatever_its_declared_type(api, unchanged):
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    _assert_error(submit(api, gif, photo_type="image/jpeg"), 415, "unsupported_photo_type")


def test_a_photo_over_the_size_limit(api, settings, unchanged):
    huge = (PHOTOS / "DSCN0010.jpg").read_bytes() + b"\0" * settings.max_photo_bytes
    _assert_error(submit(api, huge), 413, "photo_too_large")


def test_a_body_that_is_not_multipart(api, unchanged):
    response = requests.post(f"{api}/reports", json=REPORT, timeout=10)
    _assert_error(response, 415, "unsupported_media_type")


def test_unknown_routes_and_methods_use_the_error_format(api):
    _assert_error(requests.get(f"{api}/nothing-here", timeout=10), 404, "not_found")
    _assert_error(requests.delete(f"{api}/reports/PDG-2026-7KQ-4M9-X2A", timeout=10), 405,
                  "method_not_allowed")
    _assert_error(requests.get(f"{api}/reports/NOPE-1", timeout=10), 404, "report_not_found")


def test_a_request_id_sent_by_the_client_is_kept(api):
    response = requests.get(f"{api}/reports/NOPE-1", headers={"X-Request-Id": "abc-123"},
                            timeout=10)
    assert response.headers["X-Request-Id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"


def test_a_retry_with_the_same_idempotency_key_creates_nothing_new(api, db):
    key = uuid.uuid4().hex
    photo = fresh_padang_photo()
    first = submit(api, photo, headers={"Idempotency-Key": key})
    again = submit(api, photo, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert db.reports.count_documents({"idempotency_key": key}) == 1


def test_the_same_idempotency_key_with_another_body_is_a_422(api, db, store):
    key = uuid.uuid4().hex
    photo = fresh_padang_photo()
    assert submit(api, photo, headers={"Idempotency-Key": key}).status_code == 202
    objects = raw_object_count(store)
    other = {**REPORT, "description": "Jalan berlubang di depan sekolah"}
    _assert_error(submit(api, photo, other, headers={"Idempotency-Key": key}), 422,
                  "idempotency_key_reused")
    assert db.reports.count_documents({"idempotency_key": key}) == 1
    assert raw_object_count(store) == objects


def test_concurrent_retries_create_one_report_and_leave_no_orphan_photo(api, db, store):
    key = uuid.uuid4().hex
    photo = fresh_padang_photo()
    objects = raw_object_count(store)
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(
            lambda _: submit(api, photo, headers={"Idempotency-Key": key}), range(6)))
    assert {r.status_code for r in responses} == {202}
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    assert db.reports.count_documents({"idempotency_key": key}) == 1
    assert raw_object_count(store) == objects + 1


def test_more_than_five_photos(api, unchanged):
    photo = fresh_padang_photo()
    files = [("report", (None, json.dumps(REPORT), "application/json"))]
    files += [("photo", (f"p{i}.jpg", photo, "image/jpeg")) for i in range(6)]
    response = requests.post(f"{api}/reports", files=files, timeout=30)
    _assert_error(response, 400, "too_many_photos")


def test_a_request_over_the_total_upload_limit_is_refused_at_the_gateway(api, settings,
                                                                         unchanged):
    oversized = b"\xff\xd8\xff" + b"\0" * (5 * settings.max_photo_bytes + 300 * 1024)
    response = submit(api, oversized)
    _assert_error(response, 413, "payload_too_large")
