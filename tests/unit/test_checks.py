from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from photo_factory import INSIDE

from services.verification.checks import CheckLimits, metadata_reasons, verdict
from services.verification.exif import PhotoMetadata

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
LIMITS = CheckLimits(city="padang", margin_m=500, max_age=timedelta(hours=24),
                     future_tolerance=timedelta(minutes=10))
GOOD = PhotoMetadata(has_exif=True, lat=INSIDE["padang"][0], lon=INSIDE["padang"][1],
                     captured_at=NOW - timedelta(hours=1), captured_at_source="offset",
                     make="NIKON", model="COOLPIX", software=None, orientation=1)


def _reasons(**changes):
    return metadata_reasons(replace(GOOD, **changes), LIMITS, NOW, INSIDE["padang"])


def test_a_fresh_local_camera_photo_passes():
    assert _reasons() == []
    assert verdict([]) == "verified"


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"lat": None}, "gps_missing"),
        ({"lat": 0.0, "lon": 0.0}, "gps_invalid"),
        ({"lat": 95.0}, "gps_invalid"),
        ({"lat": INSIDE["depok"][0], "lon": INSIDE["depok"][1]}, "outside_city"),
        ({"lat": -0.9163, "lon": 100.363}, "far_from_claimed_location"),
        ({"captured_at": None}, "capture_time_missing"),
        ({"captured_at": NOW - timedelta(hours=25)}, "stale_photo"),
        ({"captured_at": NOW + timedelta(minutes=11)}, "future_capture_time"),
        ({"make": None, "model": None}, "camera_missing"),
        ({"software": "Adobe Photoshop CC 2019"}, "edited_software"),
        ({"software": "GIMP 2.10"}, "edited_software"),
        ({"software": "Snapseed"}, "edited_software"),
    ],
)
def test_each_failed_check_has_its_reason(changes, reason):
    assert _reasons(**changes) == [reason]


def test_limits_are_inclusive_at_their_edge():
    assert _reasons(captured_at=NOW - timedelta(hours=24)) == []
    assert _reasons(captured_at=NOW + timedelta(minutes=10)) == []
    assert _reasons(software="Camera firmware 1.0") == []


def test_no_exif_at_all_is_one_reason():
    assert _reasons(has_exif=False) == ["exif_missing"]


def test_verdict_policy():
    assert verdict(["stale_photo"]) == "needs_review"
    assert verdict(["stale_photo", "outside_city"]) == "rejected"
    assert verdict(["an_unknown_reason"]) == "needs_review"
    assert verdict(["stale_photo"], {"stale_photo": "reject"}) == "rejected"
