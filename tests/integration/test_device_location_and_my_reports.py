"""Issue 20 through the real stack: the phone's own location reading as a second proof beside
the photo (verification compares the two and the report's point), and "my reports" after the
one-time-code recovery (the same reporter's other reports, by the contact the code went to).
Set up through the public API; the verdict is read where the verifier wrote it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from notification_helpers import mails, one_time_code, submit_depok
from photo_factory import INSIDE, WIB, camera_photo, moved_north
from stack_client import REPORT
from upload_client import big_padang_photo, file_report, uploaded
from waiting import eventually

pytestmark = pytest.mark.stack

PADANG = INSIDE["padang"]


def judged(db, report_id: str) -> dict[str, Any]:
    return eventually(lambda: db.reports.find_one(
        {"_id": report_id, "verification": {"$exists": True}}), 30, "the verdict")


def with_reading(point: tuple[float, float], accuracy_m: float) -> dict[str, Any]:
    return {**REPORT, "device_location": {
        "lat": point[0], "lon": point[1], "accuracy_m": accuracy_m,
        "taken_at": datetime.now(UTC).isoformat()}}


def test_a_reading_where_the_photo_was_taken_backs_it_and_is_kept(api, db):
    reading = moved_north(PADANG, 30)
    filed = file_report(api, [uploaded(api, big_padang_photo())], with_reading(reading, 12))
    assert filed.status_code == 202, filed.text
    report = judged(db, filed.json()["id"])
    verdict = report["verification"]
    # (The tests share one sample photo: a near-identical earlier one is only flagged.)
    assert (verdict["verdict"], verdict["reasons"]) == ("verified", [])
    assert set(verdict["flags"]) <= {"possible_duplicate"}
    kept = report["device_location"]
    assert (kept["lat"], kept["lon"], kept["accuracy_m"]) == (*reading, 12.0)


def test_a_reading_far_from_the_photo_sends_the_report_to_review(api, db):
    far = moved_north(PADANG, 5000)  # the photo says Padang; the phone was 5 km away
    filed = file_report(api, [uploaded(api, big_padang_photo())], with_reading(far, 20))
    assert filed.status_code == 202, filed.text
    report = judged(db, filed.json()["id"])
    assert report["status"] == "needs_review"
    assert report["verification"]["reasons"] == ["device_location_mismatch",
                                                 "device_far_from_claimed_location"]
    [photo] = report["photos"]
    assert photo["reasons"] == report["verification"]["reasons"]


def test_a_vague_reading_is_only_flagged(api, db):
    filed = file_report(api, [uploaded(api, big_padang_photo())],
                        with_reading(moved_north(PADANG, 5000), 3000))
    verdict = judged(db, filed.json()["id"])["verification"]
    assert (verdict["verdict"], verdict["reasons"]) == ("verified", [])
    assert set(verdict["flags"]) - {"possible_duplicate"} == {"device_location_imprecise"}


def test_without_gps_in_the_photo_the_reading_is_compared_with_the_report_point_only(api, db):
    """A photo with no GPS (a phone that strips it, or location off for the camera): only the
    report's point is there to compare the reading with."""
    photo = camera_photo(None, None, datetime.now(WIB) - timedelta(minutes=15),
                         source="iphone_hdr_YES.jpg")
    near = file_report(api, [uploaded(api, photo)],
                       with_reading(moved_north(PADANG, 40), 15))
    far = file_report(api, [uploaded(api, photo)],
                      with_reading(moved_north(PADANG, 5000), 15))
    assert near.status_code == far.status_code == 202, (near.text, far.text)
    near_verdict = judged(db, near.json()["id"])["verification"]
    far_verdict = judged(db, far.json()["id"])["verification"]
    # No GPS is its own reason (review, as without a reading); the reading adds nothing when
    # it agrees with the point, and says it is far when it does not; never a mismatch with a
    # photo position that is not there.
    assert "gps_missing" in near_verdict["reasons"]
    assert not {"device_location_mismatch", "device_far_from_claimed_location"} & set(
        near_verdict["reasons"] + near_verdict["flags"])
    assert "device_far_from_claimed_location" in far_verdict["reasons"]
    assert "device_location_mismatch" not in far_verdict["reasons"] + far_verdict["flags"]
    assert db.reports.find_one({"_id": far.json()["id"]})["device_location"]["accuracy_m"] == 15


@pytest.mark.parametrize("reading", [
    {"lat": -0.97, "lon": 100.4},  # no accuracy
    {"lat": -0.97, "lon": 100.4, "accuracy_m": -1},
    {"lat": 91, "lon": 100.4, "accuracy_m": 5},
    {"lat": -0.97, "lon": 100.4, "accuracy_m": 5, "taken_at": "yesterday"},
])
def test_a_malformed_reading_is_refused(api, reading):
    files = {"report": (None, json.dumps({**REPORT, "device_location": reading}),
                        "application/json")}
    refused = requests.post(f"{api}/reports", files=files, timeout=10)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "validation_failed")


def test_after_recovery_the_reporter_sees_their_other_reports_and_no_one_else_s(api, stack):
    unique = uuid.uuid4().hex[:8]
    email, phone = f"rina.{unique}@example.id", f"+62 812-{int(unique, 16) % 10**8:08d}"
    person = {"name": "Rina", "email": email, "phone": phone, "language": "en"}
    first = submit_depok(api, reporter=person)
    # The same address written otherwise: the same contact.
    second = submit_depok(api, reporter={**person, "email": email.upper().replace(
        "EXAMPLE.ID", "Example.ID"), "phone": None})
    # The same phone, another address: not the contact the code goes to below.
    by_phone = submit_depok(api, reporter={**person, "email": f"other.{unique}@example.id"})
    stranger = submit_depok(api, reporter={"name": "Budi", "email": f"budi.{unique}@example.id",
                                           "language": "en"})

    asked = requests.post(f"{api}/tracking/recover", timeout=10,
                          json={"code": first["code"], "contact": email})
    assert asked.status_code == 202
    message = eventually(lambda: mails(stack.maildir, email, "Access code"), 30,
                         "the code mail")[0]
    verified = requests.post(f"{api}/tracking/verify", timeout=10,
                             json={"code": first["code"], "otp": one_time_code(message)})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["token"] == first["token"]
    assert body["others"] == [{"code": second["code"], "token": second["token"]}]
    codes = {other["code"] for other in body["others"]}
    assert by_phone["code"] not in codes and stranger["code"] not in codes
    # Each token opens its report as its reporter's.
    mine = requests.get(f"{api}/reports/{second['code']}", timeout=10,
                        headers={"X-Reporter-Token": body["others"][0]["token"]})
    assert mine.json()["reporter"]["email"].lower() == email


def test_a_reporter_with_one_report_has_no_others(api, stack):
    email = f"sekali.{uuid.uuid4().hex[:8]}@example.id"
    only = submit_depok(api, reporter={"name": "Sari", "email": email, "language": "en"})
    requests.post(f"{api}/tracking/recover", json={"code": only["code"], "contact": email},
                  timeout=10)
    message = eventually(lambda: mails(stack.maildir, email, "Access code"), 30,
                         "the code mail")[0]
    verified = requests.post(f"{api}/tracking/verify", timeout=10,
                             json={"code": only["code"], "otp": one_time_code(message)})
    assert verified.json()["others"] == []
