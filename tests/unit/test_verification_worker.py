"""The verification worker over in-memory collaborators (tests/fakes.py), on real camera
photos (tests/data/photos, GPS and capture time rewritten): each verdict, the duplicate link,
a redelivery, a broker that is down. tests/integration/test_verification.py proves the same
on the real servers."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakePublisher, FakeStore, fake_db
from photo_factory import INSIDE, camera_photo
from PIL import Image, ImageEnhance

from aduan.domain.codes import new_code
from aduan.domain.lifecycle import Actor, new_report
from aduan.infra.config import Settings
from aduan.infra.messaging import Delivery
from aduan.infra.reports import Reports
from aduan.web.errors import PermanentError
from services.verification.policy import load_policies
from services.verification.worker import Verifier

SETTINGS = Settings()
POLICIES = load_policies(SETTINGS)
REPORTER = Actor(kind="reporter", id=None)


@pytest.fixture
def verifier() -> Verifier:
    return Verifier(SETTINGS, fake_db(), FakeStore(), FakePublisher(), POLICIES)


def fresh(lat: float | None, lon: float | None, source: str = "DSCN0010.jpg") -> bytes:
    return camera_photo(lat, lon, datetime.now(UTC) - timedelta(minutes=20), source=source)


def submitted(verifier: Verifier, photo: bytes, city: str = "padang") -> dict:
    """A report as intake stores it: its raw photo in the store, its event in the outbox
    (already sent: the worker's events are the ones these tests look at)."""
    report_id = uuid.uuid4().hex
    raw_key = f"{city}/{report_id}/p1.jpg"
    verifier.store.put(verifier.store.raw_bucket, raw_key, photo, "image/jpeg")
    lat, lon = INSIDE[city]
    fields = {"_id": report_id, "code": new_code("PDG", 2026), "city": city,
              "category": "roads", "description": "Jalan berlubang", "privacy": "public",
              "location": {"lat": lat, "lon": lon}, "channel": "app",
              "photos": [{"id": "p1", "raw_key": raw_key, "content_type": "image/jpeg"}]}
    report, event = new_report(fields, REPORTER, datetime.now(UTC))
    reports = Reports(verifier.db, FakePublisher())
    reports.publish(report_id, [reports.create(report, event, None)])
    return report


def deliver(verifier: Verifier, report: dict) -> dict:
    verifier.handle(Delivery(routing_key="report.submitted", body={"report_id": report["_id"]},
                             message_id=uuid.uuid4().hex, correlation_id="req-1", type=None,
                             attempts=1))
    return verifier.db.reports.find_one({"_id": report["_id"]})


def public_keys(store: FakeStore) -> list[str]:
    return store.keys(store.public_bucket)


def test_a_fresh_photo_inside_the_city_is_verified_published_and_announced(verifier):
    report = deliver(verifier, submitted(verifier, fresh(*INSIDE["padang"])))
    assert report["status"] == "verified"
    assert [(h["from"], h["to"]) for h in report["history"]] == [
        (None, "submitted"), ("submitted", "verifying"), ("verifying", "verified")]
    assert report["verification"] == {"verdict": "verified", "reasons": [], "flags": []}
    [photo] = report["photos"]
    assert photo["public_size"] and photo["metadata"]["make"]
    assert public_keys(verifier.store) == sorted([photo["public_key"], photo["thumbnail_key"]])
    [event] = verifier.reports.publisher.published
    assert event.routing_key == "report.verified" and event.correlation_id == "req-1"
    assert event.body["from"] == "verifying" and event.body["status"] == "verified"
    assert report["outbox"] == []


def test_a_photo_without_gps_goes_to_review_with_its_copies(verifier):
    report = deliver(verifier, submitted(verifier, fresh(None, None)))
    assert report["status"] == "needs_review"
    assert report["verification"]["reasons"] == ["gps_missing"]
    assert report["history"][-1]["note"] == "gps_missing"
    assert len(public_keys(verifier.store)) == 2
    assert verifier.reports.publisher.keys() == ["report.needs_review"]


def test_a_photo_from_another_city_is_rejected_and_nothing_is_published(verifier):
    report = deliver(verifier, submitted(verifier, fresh(*INSIDE["depok"])))
    assert report["status"] == "rejected"
    assert report["verification"]["reasons"] == ["outside_city"]
    assert "public_key" not in report["photos"][0]
    assert public_keys(verifier.store) == []
    assert verifier.reports.publisher.keys() == ["report.rejected"]


def test_the_same_photo_twice_links_the_second_report_to_the_first(verifier):
    photo = fresh(*INSIDE["padang"])
    first = deliver(verifier, submitted(verifier, photo))
    second = deliver(verifier, submitted(verifier, photo))
    assert first["possible_duplicate_of"] is None
    assert second["possible_duplicate_of"]["code"] == first["code"]
    assert second["possible_duplicate_of"]["distance"] == 0
    assert second["photos"][0]["possible_duplicate_of"]["photo_id"] == "p1"
    # Flagged, not held up: the default policy only records the link.
    assert second["verification"]["flags"] == ["possible_duplicate"]
    assert second["status"] == "verified"


def _brighter(photo: bytes, factor: float) -> bytes:
    """The same scene shot again with another exposure: the camera's EXIF kept."""
    picture = Image.open(io.BytesIO(photo))
    out = io.BytesIO()
    ImageEnhance.Brightness(picture.convert("RGB")).enhance(factor).save(
        out, "JPEG", quality=90, exif=picture.info["exif"])
    return out.getvalue()


def test_a_second_shot_with_another_exposure_is_a_possible_duplicate_by_photo_and_place(
        verifier):
    photo = fresh(*INSIDE["padang"])
    first = deliver(verifier, submitted(verifier, photo))
    # Plain dHashes 6 bits apart (the look-up before linked 3 at most); equalised, 1.
    second = deliver(verifier, submitted(verifier, _brighter(photo, 1.4)))
    assert second["possible_duplicate_of"]["code"] == first["code"]
    assert second["possible_duplicate_of"]["distance"] <= 3
    [listed] = second["possible_duplicates"]
    assert listed["code"] == first["code"] and listed["reasons"] == ["photo", "place"]
    assert listed["distance_m"] == 0.0 and first["possible_duplicates"] == []


def test_a_redelivered_event_does_nothing_twice(verifier):
    report = submitted(verifier, fresh(*INSIDE["padang"]))
    once = deliver(verifier, report)
    twice = deliver(verifier, report)
    assert twice["history"] == once["history"] and twice["version"] == once["version"]
    assert verifier.reports.publisher.keys() == ["report.verified"]
    assert verifier.db.photo_hashes.count_documents({"report_id": report["_id"]}) == 1


def test_a_report_left_verifying_by_an_earlier_worker_is_judged(verifier):
    report = submitted(verifier, fresh(*INSIDE["padang"]))
    # What an earlier worker version left: no API makes a report stop in `verifying`.
    verifier.db.reports.update_one({"_id": report["_id"]}, {"$set": {"status": "verifying"}})
    judged = deliver(verifier, report)
    assert judged["status"] == "verified"
    assert judged["history"][-1]["from"] == "verifying"
    assert [h["to"] for h in judged["history"]].count("verifying") == 0


def test_with_the_broker_down_the_verdict_stands_and_its_event_waits_in_the_outbox(verifier):
    verifier.reports.publisher.down = True
    report = deliver(verifier, submitted(verifier, fresh(*INSIDE["padang"])))
    assert report["status"] == "verified"
    [entry] = report["outbox"]
    assert entry["routing_key"] == "report.verified"
    assert verifier.reports.publisher.published == []


def test_an_event_about_no_report_is_refused_for_good(verifier):
    for body in ({"report_id": "missing"}, {}, {"report_id": {"$ne": None}}):
        with pytest.raises(PermanentError):
            verifier.handle(Delivery(routing_key="report.submitted", body=body,
                                     message_id="m", correlation_id=None, type=None,
                                     attempts=1))


def without_photo(verifier: Verifier, location: dict | None) -> dict:
    """A report filed without a photo (a staff channel, Open311), as intake stores it."""
    report_id = uuid.uuid4().hex
    fields = {"_id": report_id, "code": new_code("PDG", 2026), "city": "padang",
              "category": "civil_servant", "type": "complaint", "description": "Petugas kasar",
              "privacy": "public", "location": location, "channel": "call_centre",
              "photos": [], "no_photo": True}
    report, event = new_report(fields, REPORTER, datetime.now(UTC))
    reports = Reports(verifier.db, FakePublisher())
    reports.publish(report_id, [reports.create(report, event, None)])
    return report


@pytest.mark.parametrize("location", [None, {"lat": None, "lon": None, "address": "Pasar Raya"},
                                      {"lat": INSIDE["padang"][0], "lon": INSIDE["padang"][1]}])
def test_a_report_without_a_photo_goes_to_review_whatever_the_policy(location):
    # A city that rejects every photo problem still never rejects a report for having none.
    strict = load_policies(Settings(verification_policies='{"*": {"checks": {'
                                    '"exif_missing": "reject", "gps_missing": "reject"}}}'))
    verifier = Verifier(SETTINGS, fake_db(), FakeStore(), FakePublisher(), strict)
    report = deliver(verifier, without_photo(verifier, location))
    assert report["status"] == "needs_review"
    assert report["verification"] == {"verdict": "needs_review", "reasons": ["no_photo"],
                                      "flags": []}
    assert report["photos"] == [] and report["possible_duplicates"] == []
    assert public_keys(verifier.store) == []
    [event] = verifier.reports.publisher.published
    assert event.routing_key == "report.needs_review"


def test_a_photo_of_a_report_without_a_point_skips_only_the_distance_check(verifier):
    report = submitted(verifier, fresh(*INSIDE["padang"]))
    # No point to compare the photo's position with (an aspiration filed without a place).
    verifier.db.reports.update_one({"_id": report["_id"]}, {"$set": {"location": None}})
    judged = deliver(verifier, report)
    assert judged["status"] == "verified" and judged["place_key"] is None
