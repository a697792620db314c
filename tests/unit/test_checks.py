from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from photo_factory import INSIDE

from aduan.domain.photo_checks import PhotoMetadata
from services.verification.checks import metadata_reasons
from services.verification.policy import Policy

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
POLICY = Policy(city="padang")
GOOD = PhotoMetadata(has_exif=True, lat=INSIDE["padang"][0], lon=INSIDE["padang"][1],
                     captured_at=NOW - timedelta(hours=1), captured_at_source="offset",
                     make="NIKON", model="COOLPIX", software=None, orientation=1)


def _reasons(policy=POLICY, **changes):
    return metadata_reasons(replace(GOOD, **changes), policy, NOW, INSIDE["padang"])


def test_a_fresh_local_camera_photo_passes():
    assert _reasons() == []
    assert POLICY.verdict([]) == "verified"


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"lat": None, "lon": None}, "gps_missing"),
        ({"lat": None}, "gps_invalid"),
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
    assert POLICY.verdict(["stale_photo"]) == "needs_review"
    assert POLICY.verdict(["stale_photo", "outside_city"]) == "rejected"
    assert POLICY.verdict(["an_unknown_reason"]) == "needs_review"
    assert POLICY.verdict(["possible_duplicate"]) == "verified"  # flagged only
    strict = replace(POLICY, actions={**POLICY.actions, "stale_photo": "reject"})
    assert strict.verdict(["stale_photo"]) == "rejected"


def test_a_check_that_is_off_gives_no_reason():
    lenient = replace(POLICY, actions={**POLICY.actions, "camera_missing": "off",
                                       "stale_photo": "off"})
    assert _reasons(lenient, make=None, model=None,
                    captured_at=NOW - timedelta(days=3)) == []


def test_with_outside_city_off_the_claimed_location_still_counts():
    no_boundary = replace(POLICY, actions={**POLICY.actions, "outside_city": "off"})
    depok = INSIDE["depok"]
    assert _reasons(no_boundary, lat=depok[0], lon=depok[1]) == ["far_from_claimed_location"]


def test_with_exif_missing_off_the_missing_parts_are_named():
    no_exif_check = replace(POLICY, actions={**POLICY.actions, "exif_missing": "off"})
    bare = PhotoMetadata(False, None, None, None, None, None, None, None, None)
    assert metadata_reasons(bare, no_exif_check, NOW, INSIDE["padang"]) == [
        "gps_missing", "capture_time_missing", "camera_missing"]


def test_limits_come_from_the_policy():
    tight = replace(POLICY, max_age=timedelta(hours=1), max_claimed_distance_m=100,
                    future_tolerance=timedelta(0))
    assert _reasons(tight, captured_at=NOW - timedelta(minutes=61)) == ["stale_photo"]
    assert _reasons(tight, captured_at=NOW + timedelta(seconds=1)) == ["future_capture_time"]
    assert _reasons(tight, lat=INSIDE["padang"][0] + 0.002) == ["far_from_claimed_location"]
    assert _reasons(lat=INSIDE["padang"][0] + 0.002) == []  # 220 m: within the default 1 km


def test_flags_are_recorded_apart_from_the_reasons_that_decide():
    assert POLICY.split(["stale_photo", "possible_duplicate", "stale_photo"]) == (
        ["stale_photo"], ["possible_duplicate"])
