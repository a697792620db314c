"""Verification against the real platform: duplicate links between reports, the duplicate
look-up on the real database, and the operator's verdict override through the gateway."""

from __future__ import annotations

import io
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import piexif
import pytest
import requests
from photo_factory import INSIDE, WIB, camera_photo
from PIL import Image
from stack_client import REPORT, submit, wait_for_status
from workflow_client import reporter

from aduan.contracts.verdicts import VerdictIn
from aduan.infra.deadlines import Deadlines
from aduan.infra.phash import hamming
from aduan.web.auth import Principal, issue_access_token
from services.notification.push_subscriptions import mark_report
from services.verification.duplicates import find_duplicate, hash_document
from services.verification.override import VerdictOverride

pytestmark = pytest.mark.stack
JUDGED = {"verified", "needs_review", "rejected", "forwarded"}


def unique_camera_photo(seed: int, city: str = "padang", quality: int = 90,
                        gps: bool = True) -> bytes:
    """A camera JPEG (real EXIF: make, model, GPS, fresh time) of a picture no other test
    uses: a random pattern of grey blocks."""
    rng = random.Random(seed)
    blocks = Image.new("L", (9, 8))
    blocks.putdata([rng.randrange(256) for _ in range(72)])
    picture = blocks.resize((640, 480), Image.Resampling.BICUBIC).convert("RGB")
    lat, lon = INSIDE[city] if gps else (None, None)
    exif = piexif.load(camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=10)))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality, exif=piexif.dump(exif))
    return out.getvalue()


def _report(city: str) -> dict[str, Any]:
    lat, lon = INSIDE[city]
    return {**REPORT, "city": city, "location": {"lat": lat, "lon": lon}}


def _submit_and_wait(api: str, db, photo: bytes, city: str = "padang",
                     statuses: set[str] = JUDGED) -> dict[str, Any]:
    response = submit(api, photo, _report(city))
    assert response.status_code == 202, response.text
    code = response.json()["code"]
    wait_for_status(api, code, statuses, token=response.json()["token"])
    return db.reports.find_one({"code": code})


# ---- duplicates ------------------------------------------------------------------------------

def test_the_same_photo_twice_links_the_second_report_to_the_first(api, db):
    seed = random.randrange(1 << 30)
    first = _submit_and_wait(api, db, unique_camera_photo(seed), statuses={"forwarded"})
    assert first["possible_duplicate_of"] is None
    second = _submit_and_wait(api, db, unique_camera_photo(seed), statuses={"forwarded"})
    assert second["possible_duplicate_of"]["code"] == first["code"]
    assert second["possible_duplicate_of"]["distance"] == 0
    assert second["photos"][0]["possible_duplicate_of"]["photo_id"] == first["photos"][0]["id"]
    # Flagged, not held up: the default policy only records the link.
    assert second["verification"]["flags"] == ["possible_duplicate"]
    assert second["verification"]["reasons"] == []
    assert second["status"] == "forwarded"
    assert db.photo_hashes.count_documents({"report_id": second["_id"]}) == 1


def test_a_re_encoded_copy_is_linked_with_its_distance(api, db):
    seed = random.randrange(1 << 30)
    first = _submit_and_wait(api, db, unique_camera_photo(seed, quality=95))
    copy = _submit_and_wait(api, db, unique_camera_photo(seed, quality=40))
    link = copy["possible_duplicate_of"]
    assert link["code"] == first["code"] and 0 <= link["distance"] <= 3


def test_a_different_photo_is_not_linked(api, db):
    seed = random.randrange(1 << 30)
    _submit_and_wait(api, db, unique_camera_photo(seed))
    other = _submit_and_wait(api, db, unique_camera_photo(seed + 1))
    assert other["possible_duplicate_of"] is None
    assert other["verification"]["flags"] == []


def test_the_same_photo_in_another_city_is_not_linked(api, db):
    seed = random.randrange(1 << 30)
    _submit_and_wait(api, db, unique_camera_photo(seed, city="padang"))
    depok = _submit_and_wait(api, db, unique_camera_photo(seed, city="depok"), city="depok",
                             statuses={"forwarded", "needs_review", "rejected"})
    # Verified is not final here: the routing worker forwards it right after.
    assert depok["status"] == "forwarded", depok["verification"]
    assert depok["possible_duplicate_of"] is None


def _flipped(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


@pytest.mark.parametrize("flips", range(7))
def test_the_lookup_finds_every_hash_within_three_bits_on_the_real_database(db, flips):
    city = f"lookup-{uuid.uuid4().hex[:8]}"
    rng = random.Random(flips)
    base = rng.getrandbits(64) | 0xF0F0  # informative: plenty of ones and zeros
    earlier = datetime.now(UTC) - timedelta(hours=1)

    def doc(code: str, value: int) -> dict[str, Any]:
        return hash_document(city, {"_id": code, "code": code, "created_at": earlier},
                             uuid.uuid4().hex, value)

    near = _flipped(base, rng.sample(range(64), flips))
    noise = [doc(f"N-{i}", rng.getrandbits(64)) for i in range(300)]
    db.photo_hashes.insert_many([doc("NEAR", near), *noise])
    match = find_duplicate(db, city, base, datetime.now(UTC), "someone-else", 3)
    if flips <= 3:
        assert match is not None and match.code == "NEAR"
        assert match.distance == flips == hamming(base, near)
    else:
        assert match is None


def test_the_lookup_never_returns_the_report_itself_a_later_one_or_another_city(db):
    city = f"lookup-{uuid.uuid4().hex[:8]}"
    value = random.Random(1).getrandbits(64) | 0xF0F0
    at = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)  # as stored: ms
    db.photo_hashes.insert_one(
        hash_document(city, {"_id": "r1", "code": "C-1", "created_at": at}, "p1", value))
    now = datetime.now(UTC)
    assert find_duplicate(db, city, value, now, "r1", 3) is None
    assert find_duplicate(db, city, value, at, "r2", 3) is None
    assert find_duplicate(db, "elsewhere", value, now, "r2", 3) is None
    assert find_duplicate(db, city, value, now, "r2", 3).code == "C-1"
    # The report's own copy comes first in time: the look-up passes it for the next one.
    db.photo_hashes.insert_one(hash_document(
        city, {"_id": "r0", "code": "C-0", "created_at": at + timedelta(minutes=1)}, "p0",
        value))
    assert find_duplicate(db, city, value, now, "r1", 3).code == "C-0"


# ---- operator verdict override ---------------------------------------------------------------

def _token(settings, role: str = "operator", city: str = "padang") -> dict[str, str]:
    token = issue_access_token(settings, Principal(user_id=f"{role}-1", role=role, city=city))
    return {"Authorization": f"Bearer {token}"}


def _override(api: str, code: str, body: Any, headers: dict[str, str] | None = None
              ) -> requests.Response:
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(f"{api}/reports/{code}/verdict", data=data, timeout=10,
                         headers={"Content-Type": "application/json", **(headers or {})})


def _error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


@pytest.fixture
def in_review(api, db) -> dict[str, Any]:
    """A report waiting for an operator: its photo has no GPS."""
    report = _submit_and_wait(api, db, unique_camera_photo(random.randrange(1 << 30), gps=False))
    assert report["status"] == "needs_review"
    assert report["verification"]["reasons"] == ["gps_missing"]
    return report


def test_override_needs_a_signed_in_operator(api, settings, db, in_review):
    code = in_review["code"]
    body = {"verdict": "verified", "note": "foto dicek manual"}
    _error(_override(api, code, body), 401, "authentication_required")
    _error(_override(api, code, body, {"Authorization": "Bearer forged"}), 401, "invalid_token")
    for role in ("leader", "officer", "agency_admin", "sysadmin"):
        _error(_override(api, code, body, _token(settings, role)), 403, "forbidden")
    # Another city's report is, to its operators, a report that does not exist (issue 16:
    # this door answered 403 other_city where routing and intake answer 404).
    _error(_override(api, code, body, _token(settings, city="depok")), 404, "report_not_found")
    assert db.reports.find_one({"code": code})["status"] == "needs_review"


@pytest.mark.parametrize(
    "body, status, error",
    [({"verdict": "verified"}, 422, "validation_failed"),
     ({"verdict": "verified", "note": "   "}, 422, "validation_failed"),
     ({"verdict": "forwarded", "note": "x"}, 422, "validation_failed"),
     ({"verdict": "verified", "note": "x", "extra": 1}, 422, "validation_failed"),
     ("{not json", 400, "invalid_json"),
     ({"verdict": "verified", "note": {"$ne": 1}}, 400, "forbidden_key")],
)
def test_a_bad_override_body_changes_nothing(api, settings, db, in_review, body, status, error):
    _error(_override(api, in_review["code"], body, _token(settings)), status, error)
    after = db.reports.find_one({"_id": in_review["_id"]})
    assert after["status"] == "needs_review" and len(after["history"]) == 3


def test_override_of_an_unknown_report_is_404(api, settings):
    _error(_override(api, "PDG-1999-999999", {"verdict": "verified", "note": "x"},
                     _token(settings)), 404, "report_not_found")


def test_operator_verifies_a_report_in_review(api, settings, db, tap, in_review):
    code = in_review["code"]
    response = _override(api, code, {"verdict": "verified", "note": "Lokasi dicek: benar."},
                         _token(settings))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "verified"
    assert body["verification"]["override"]["note"] == "Lokasi dicek: benar."
    assert body["verification"]["reasons"] == ["gps_missing"]  # what the checks found stays
    [event] = tap.wait(in_review["_id"], "report.verified")
    assert event["from"] == "needs_review"
    report = db.reports.find_one({"code": code})
    entry = next(h for h in report["history"] if h["from"] == "needs_review")
    assert entry["to"] == "verified" and entry["note"] == "Lokasi dicek: benar."
    assert entry["actor"] == {"kind": "staff", "id": "operator-1", "role": "operator",
                              "agency": None}
    assert report["verification"]["verdict"] == "verified"
    # The event was published and left the outbox; routing takes the report on.
    view = wait_for_status(api, code, {"forwarded"})
    assert len(view["photos"]) == 1
    # Overriding again is a conflict: the report has moved on.
    again = _override(api, code, {"verdict": "rejected", "note": "x"}, _token(settings))
    _error(again, 409, "verdict_not_overridable")
    assert again.json()["error"]["details"]["status"] == "forwarded"


class _DeviceSubscribesMeanwhile(VerdictOverride):
    """A device subscribes to the report (its push mark bumps the version) while the
    operator's verdict is planned, between the override's read and its write."""

    def _plan(self, report, *args):
        mark_report(self.db, report)
        return super()._plan(report, *args)


def test_a_push_mark_between_read_and_write_does_not_refuse_the_override(
        settings, db, store, in_review):
    override = _DeviceSubscribesMeanwhile(settings, db, store, None,
                                          Deadlines.from_settings(settings))
    operator = Principal(user_id="operator-1", role="operator", city="padang")
    result = override.apply(in_review["code"], VerdictIn(verdict="verified", note="Dicek."),
                            operator, None)
    assert result["status"] == "verified"  # was: 409 verdict_not_overridable from needs_review
    report = db.reports.find_one({"_id": in_review["_id"]})
    assert report["status"] == "verified" and report["push_subscribed"] is True
    assert report["verification"]["override"]["note"] == "Dicek."


def test_operator_rejects_a_report_in_review_and_its_photos_are_withdrawn(
        api, settings, db, store, tap, in_review):
    code = in_review["code"]
    public_key = in_review["photos"][0]["public_key"]
    assert store.exists(store.public_bucket, public_key)
    response = _override(api, code, {"verdict": "rejected", "note": "Foto dari internet."},
                         _token(settings))
    assert response.status_code == 200, response.text
    tap.wait(in_review["_id"], "report.rejected")
    assert requests.get(f"{api}/reports/{code}", timeout=10).status_code == 404  # not public
    view = requests.get(f"{api}/reports/{code}", headers=reporter(settings, in_review["_id"]),
                        timeout=10).json()
    assert view["status"] == "rejected" and view["photos"] == []
    assert "note" not in view["history"][-1]  # the operator's note is internal
    assert not store.exists(store.public_bucket, public_key)
    _error(_override(api, code, {"verdict": "rejected", "note": "x"}, _token(settings)),
           409, "verdict_not_overridable")


def test_operator_overturns_an_automatic_rejection(api, settings, db, store, tap):
    # Taken in Depok, reported in Padang: rejected as outside the city, nothing published.
    photo = unique_camera_photo(random.randrange(1 << 30), city="depok")
    report = _submit_and_wait(api, db, photo)
    assert report["status"] == "rejected"
    assert report["verification"]["reasons"] == ["outside_city"]
    assert "public_key" not in report["photos"][0]
    response = _override(api, report["code"], {"verdict": "verified",
                                                "note": "GPS kamera salah; lokasi benar."},
                         _token(settings))
    assert response.status_code == 200, response.text
    tap.wait(report["_id"], "report.verified")
    view = wait_for_status(api, report["code"], {"forwarded"})
    [photo_view] = view["photos"]
    public = requests.get(photo_view["url"], timeout=10)
    assert public.status_code == 200 and b"Exif\x00\x00" not in public.content


# ---- HEIC and metrics ------------------------------------------------------------------------

def test_an_iphone_heic_is_decoded_and_published_as_a_plain_jpeg(api, db, store):
    from photo_factory import PHOTOS

    response = submit(api, (PHOTOS / "iphone_13_pro_max.HEIC").read_bytes(), REPORT,
                      photo_name="IMG_0001.HEIC", photo_type="image/heic")
    assert response.status_code == 202, response.text
    code = response.json()["code"]
    wait_for_status(api, code, JUDGED, token=response.json()["token"])
    report = db.reports.find_one({"code": code})
    assert report["status"] == "needs_review"
    assert report["verification"]["reasons"] == ["gps_missing", "stale_photo"]
    [photo] = report["photos"]
    assert photo["metadata"]["format"] == "HEIF" and photo["metadata"]["make"] == "Apple"
    public = store.get(store.public_bucket, photo["public_key"])
    assert public.startswith(b"\xff\xd8\xff") and b"Exif\x00\x00" not in public
    assert max(Image.open(io.BytesIO(public)).size) <= 2048


def test_verification_metrics_are_served(stack, api, db):
    _submit_and_wait(api, db, unique_camera_photo(random.randrange(1 << 30)))
    port = stack.profile.http_ports["verification"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    counts = [float(line.split()[-1]) for line in text.splitlines()
              if line.startswith("aduan_verification_photo_duration_seconds_count")]
    assert counts and counts[0] >= 1
