"""Property tests: the photo pipeline and the workflow rules never crash or break their
invariants, whatever the input. How many inputs each test was given:
`pytest --hypothesis-show-statistics tests/unit/test_properties.py`."""

from __future__ import annotations

import io
import math
import struct
from datetime import UTC, datetime

import piexif
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from photo_factory import INSIDE
from PIL import Image

from aduan.domain.lifecycle import STATUSES, active_assignments, overall_status
from aduan.infra.config import Settings
from services.verification.judge import examine_photo
from services.verification.policy import load_policies

POLICY = load_policies(Settings())["padang"]
NOW = datetime(2026, 11, 23, 3, tzinfo=UTC)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def _small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


JPEG = _small_jpeg()


def _with_app1(payload: bytes) -> bytes:
    """The JPEG with an APP1 segment holding `payload` right after SOI."""
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return JPEG[:2] + segment + JPEG[2:]


def _judge(data: bytes) -> list[str]:
    finding = examine_photo(data, POLICY, NOW, INSIDE["padang"], 50_000_000)
    assert isinstance(finding.reasons, list)
    return finding.reasons


@SETTINGS
@given(st.binary(max_size=4096))
def test_any_bytes_are_judged_never_crash(data):
    _judge(data)


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_exif_block_is_read_or_ignored_never_crash(garbage):
    reasons = _judge(_with_app1(b"Exif\x00\x00" + garbage))
    assert "corrupt_image" not in reasons  # a bad EXIF block does not fail the photo


rationals = st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))


@SETTINGS
@given(lat=st.tuples(rationals, rationals, rationals), lon=st.tuples(rationals, rationals,
                                                                       rationals),
       lat_ref=st.sampled_from([b"N", b"S", b"", b"X"]),
       lon_ref=st.sampled_from([b"E", b"W", b"", b"?"]),
       when=st.binary(max_size=25), offset=st.binary(max_size=8))
def test_any_gps_and_time_values_give_sane_metadata(lat, lon, lat_ref, lon_ref, when, offset):
    exif = {"0th": {piexif.ImageIFD.Make: b"NIKON"},
            "Exif": {piexif.ExifIFD.DateTimeOriginal: when,
                     piexif.ExifIFD.OffsetTimeOriginal: offset},
            "GPS": {piexif.GPSIFD.GPSLatitudeRef: lat_ref, piexif.GPSIFD.GPSLatitude: lat,
                    piexif.GPSIFD.GPSLongitudeRef: lon_ref, piexif.GPSIFD.GPSLongitude: lon}}
    try:
        block = piexif.dump(exif)
    except Exception:  # piexif refuses some values itself; nothing of ours to test then
        return
    out = io.BytesIO()
    piexif.insert(block, JPEG, out)
    finding = examine_photo(out.getvalue(), POLICY, NOW, INSIDE["padang"], 50_000_000)
    meta = finding.metadata or {}
    for key in ("lat", "lon"):
        assert meta.get(key) is None or math.isfinite(meta[key])
    if meta.get("lat") is not None and not -90 <= meta["lat"] <= 90:
        assert "gps_invalid" in finding.reasons


assignment_statuses = st.sampled_from(["forwarded", "accepted", "in_progress", "resolved",
                                       "handed_back", "withdrawn"])


@SETTINGS
@given(st.lists(assignment_statuses, min_size=1, max_size=6), st.data())
def test_the_report_status_follows_its_agencies(subs, data):
    assignments = [{"code": f"A{i}", "status": s} for i, s in enumerate(subs)]
    status = overall_status(assignments)
    assert status in STATUSES
    # The order the agencies were assigned in does not matter.
    assert overall_status(data.draw(st.permutations(assignments))) == status
    active = {a["status"] for a in active_assignments(assignments)}
    assert (status == "resolved") == (active == {"resolved"})
    if not active:
        assert status == "verified"  # every agency handed it back: back to triage
    elif "in_progress" in active:
        assert status == "in_progress"  # one agency at work is enough
    elif active <= {"forwarded"}:
        assert status == "forwarded"
