"""Real camera JPEGs with GPS and times rewritten by piexif, judged for each of the four
cities: inside, just beyond the boundary (within and beyond the margin), in another city;
fresh, stale and future capture times; every way of telling the capture time's zone."""

import io
from datetime import UTC, datetime, timedelta, timezone

import piexif
import pytest
from photo_factory import INSIDE, camera_photo

from aduan.domain.geo import city_area
from aduan.infra.config import Settings
from services.verification.judge import examine_photo
from services.verification.policy import load_policies

SUBMITTED_AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
POLICIES = load_policies(Settings())
CITIES = sorted(INSIDE)
METRES_PER_DEGREE = 111_195


def _judge(data: bytes, city: str, claimed: tuple[float, float] | None = None):
    finding = examine_photo(data, POLICIES[city], SUBMITTED_AT, claimed or INSIDE[city],
                            50_000_000)
    return finding, POLICIES[city].verdict(finding.reasons)


def _north_of(city: str, metres: float) -> tuple[float, float]:
    """A point `metres` north of the city's northernmost boundary vertex: outside the city,
    exactly that far from its boundary."""
    area = city_area(city)
    lon, lat = max((p for poly in area.polygons for p in poly[0]), key=lambda p: p[1])
    return lat + metres / METRES_PER_DEGREE, lon


@pytest.mark.parametrize("city", CITIES)
def test_a_fresh_photo_inside_the_city_is_verified(city):
    photo = camera_photo(*INSIDE[city], SUBMITTED_AT - timedelta(minutes=30))
    finding, verdict = _judge(photo, city)
    assert (finding.reasons, verdict) == ([], "verified")
    assert finding.metadata["captured_at_source"] == "offset"


@pytest.mark.parametrize("city", CITIES)
def test_a_photo_from_another_city_is_rejected(city):
    elsewhere = next(c for c in CITIES if c != city)
    photo = camera_photo(*INSIDE[elsewhere], SUBMITTED_AT - timedelta(minutes=30))
    finding, verdict = _judge(photo, city)
    assert (finding.reasons, verdict) == (["outside_city"], "rejected")


@pytest.mark.parametrize("city", CITIES)
def test_the_boundary_margin(city):
    near, far = _north_of(city, 200), _north_of(city, 2000)
    assert not city_area(city).contains(*near) and not city_area(city).contains(*far)
    fresh = SUBMITTED_AT - timedelta(minutes=5)
    assert _judge(camera_photo(*near, fresh), city, near)[0].reasons == []
    assert _judge(camera_photo(*far, fresh), city, far)[0].reasons == ["outside_city"]


@pytest.mark.parametrize("city", CITIES)
def test_a_photo_far_from_the_claimed_location_goes_to_review(city):
    lat, lon = INSIDE[city]
    claimed = (lat + 2500 / METRES_PER_DEGREE, lon)  # 2.5 km away, maybe outside the city
    photo = camera_photo(lat, lon, SUBMITTED_AT - timedelta(minutes=5))
    finding, verdict = _judge(photo, city, claimed)
    assert finding.reasons == ["far_from_claimed_location"] and verdict == "needs_review"


@pytest.mark.parametrize("city", CITIES)
@pytest.mark.parametrize(
    "age, reason",
    [(timedelta(hours=23, minutes=59), None), (timedelta(hours=25), "stale_photo"),
     (timedelta(days=400), "stale_photo"), (timedelta(minutes=-9), None),
     (timedelta(minutes=-11), "future_capture_time"), (timedelta(days=-1), "future_capture_time")],
)
def test_capture_time_freshness(city, age, reason):
    photo = camera_photo(*INSIDE[city], SUBMITTED_AT - age)
    finding, verdict = _judge(photo, city)
    assert finding.reasons == ([reason] if reason else [])
    assert verdict == ("needs_review" if reason else "verified")


@pytest.mark.parametrize("offset", ["+07:00", "+08:00", "+09:00", "-05:00", "+05:45", "+00:00"])
def test_offset_time_original_gives_the_true_instant(offset):
    sign = -1 if offset[0] == "-" else 1
    zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    taken = SUBMITTED_AT - timedelta(hours=2)
    photo = camera_photo(*INSIDE["padang"], taken.astimezone(zone), offset=offset)
    finding, _ = _judge(photo, "padang")
    assert finding.metadata["captured_at"] == taken
    assert finding.metadata["captured_at_source"] == "offset"
    assert finding.reasons == []


def test_the_offset_is_believed_over_the_city_zone():
    # A WIB wall-clock time written with a -05:00 offset means 12 hours later: the future.
    taken = (SUBMITTED_AT - timedelta(hours=1)).astimezone(timezone(timedelta(hours=7)))
    photo = camera_photo(*INSIDE["padang"], taken.replace(tzinfo=None), offset="-05:00")
    finding, _ = _judge(photo, "padang")
    assert finding.metadata["captured_at"] == SUBMITTED_AT + timedelta(hours=11)
    assert finding.reasons == ["future_capture_time"]


def _with_gps_time(data: bytes, moment: datetime) -> bytes:
    exif = piexif.load(data)
    utc = moment.astimezone(UTC)
    exif["GPS"][piexif.GPSIFD.GPSDateStamp] = utc.strftime("%Y:%m:%d").encode()
    exif["GPS"][piexif.GPSIFD.GPSTimeStamp] = ((utc.hour, 1), (utc.minute, 1), (utc.second, 1))
    out = io.BytesIO()
    piexif.insert(piexif.dump(exif), data, out)
    return out.getvalue()


def test_without_an_offset_gps_time_is_used_as_utc():
    taken = SUBMITTED_AT - timedelta(hours=30)
    # DateTimeOriginal (no offset) says 1 hour ago; the GPS clock (UTC) says 30 hours ago.
    wall = (SUBMITTED_AT - timedelta(hours=1)).astimezone(timezone(timedelta(hours=7)))
    photo = camera_photo(*INSIDE["jambi"], wall.replace(tzinfo=None), offset=None)
    finding, _ = _judge(_with_gps_time(photo, taken), "jambi")
    assert finding.metadata["captured_at_source"] == "gps"
    assert finding.metadata["captured_at"] == taken
    assert finding.reasons == ["stale_photo"]


@pytest.mark.parametrize("city, zone_hours", [("padang", 7), ("depok", 7), ("jambi", 7),
                                              ("kotamobagu", 8)])
def test_without_offset_or_gps_time_the_city_time_zone_is_used(city, zone_hours):
    taken = SUBMITTED_AT - timedelta(minutes=30)
    wall = taken.astimezone(timezone(timedelta(hours=zone_hours))).replace(tzinfo=None)
    finding, verdict = _judge(camera_photo(*INSIDE[city], wall, offset=None), city)
    assert finding.metadata["captured_at_source"] == "city_timezone"
    assert finding.metadata["captured_at"] == taken
    assert verdict == "verified"


def test_kotamobagu_reads_a_zone_less_time_as_wita_not_wib():
    # Written as WIB wall-clock time: read as WITA it is one hour earlier than it was.
    policy_city = "kotamobagu"
    taken = SUBMITTED_AT - timedelta(hours=23, minutes=30)
    wib_wall = taken.astimezone(timezone(timedelta(hours=7))).replace(tzinfo=None)
    finding, _ = _judge(camera_photo(*INSIDE[policy_city], wib_wall, offset=None), policy_city)
    assert finding.metadata["captured_at"] == taken - timedelta(hours=1)
    assert finding.reasons == ["stale_photo"]


@pytest.mark.parametrize("lat, lon, reason", [(0.0, 0.0, "gps_invalid"),
                                              (None, None, "gps_missing")])
def test_missing_or_null_island_gps(lat, lon, reason):
    photo = camera_photo(lat, lon, SUBMITTED_AT - timedelta(minutes=5))
    finding, _ = _judge(photo, "depok")
    assert finding.reasons == [reason]


@pytest.mark.parametrize("software", ["Adobe Photoshop 25.0", "Snapseed 2.0", "paint.net 5",
                                      "GIMP 2.10.34", "Picsart"])
def test_editing_software_is_flagged_for_review(software):
    photo = camera_photo(*INSIDE["padang"], SUBMITTED_AT - timedelta(minutes=5),
                         software=software)
    finding, verdict = _judge(photo, "padang")
    assert (finding.reasons, verdict) == (["edited_software"], "needs_review")
