import io
from datetime import UTC, datetime, timedelta

import piexif
import pytest
from photo_factory import PHOTOS, camera_photo
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from aduan.infra.exif import RawExif, capture_time, extract_metadata, to_float


def _metadata(data: bytes, tz: str = "Asia/Jakarta"):
    return extract_metadata(data, Image.open(io.BytesIO(data)), tz)


def test_real_gps_photo():
    meta = _metadata((PHOTOS / "DSCN0010.jpg").read_bytes())
    # 43° 28' 2.814" N, 11° 53' 6.456" E (the file's own values)
    assert meta.lat == pytest.approx(43.467448, abs=1e-5)
    assert meta.lon == pytest.approx(11.885127, abs=1e-5)
    assert meta.make == "NIKON" and meta.model == "COOLPIX P6000"
    assert meta.captured_at_source == "gps"


@pytest.mark.parametrize("lat, lon", [(-0.95, 100.4), (40.4, -3.7), (-33.9, -70.6)])
def test_south_and_west_references_give_negative_degrees(lat, lon):
    meta = _metadata(camera_photo(lat, lon, None))
    assert meta.lat == pytest.approx(lat, abs=1e-5)
    assert meta.lon == pytest.approx(lon, abs=1e-5)


@pytest.mark.parametrize(
    "value, expected",
    [((1, 2), 0.5), ((7, 0), None), (IFDRational(3, 4), 0.75), (IFDRational(0, 0), None),
     (5, 5.0), (2.5, 2.5), ("x", None), (None, None)],
)
def test_every_rational_form(value, expected):
    assert to_float(value) == expected


def test_offset_time_wins_over_gps_time_and_city_zone():
    raw = RawExif({}, {36867: b"2026:11:22 10:00:00", 36881: b"+08:00"},
                  {29: b"2026:11:22", 7: ((1, 1), (0, 1), (0, 1))})
    assert capture_time(raw, "Asia/Jakarta") == (datetime(2026, 11, 22, 2, tzinfo=UTC),
                                                  "offset")


def test_gps_time_is_utc_when_no_offset():
    raw = RawExif({}, {36867: b"2026:11:22 10:00:00"},
                  {29: b"2026:11:22", 7: ((1, 1), (30, 1), (15, 1))})
    assert capture_time(raw, "Asia/Jakarta") == (datetime(2026, 11, 22, 1, 30, 15, tzinfo=UTC),
                                                  "gps")


@pytest.mark.parametrize("tz, hours", [("Asia/Jakarta", 7), ("Asia/Makassar", 8)])
def test_city_time_zone_is_the_last_resort(tz, hours):
    raw = RawExif({}, {36867: b"2026:11:22 10:00:00"}, {})
    expected = datetime(2026, 11, 22, 10, tzinfo=UTC) - timedelta(hours=hours)
    assert capture_time(raw, tz) == (expected, "city_timezone")


@pytest.mark.parametrize("bad", [b"2026:13:40 99:00:00", b"", b"\x00\x00", b"garbage"])
def test_unparseable_times_mean_no_time(bad):
    assert capture_time(RawExif({}, {36867: bad}, {}), "Asia/Jakarta") == (None, None)


def test_pillow_reader_is_used_when_piexif_fails(monkeypatch):
    data = camera_photo(-0.95, 100.4, None)

    def broken(_data):
        raise ValueError("simulated parser failure")

    monkeypatch.setattr(piexif, "load", broken)
    meta = _metadata(data)
    assert meta.lat == pytest.approx(-0.95, abs=1e-5)
    assert meta.make == "NIKON"


def test_png_exif_is_read_through_pillow():
    meta = _metadata((PHOTOS / "sampleWithExifData.png").read_bytes())
    assert meta.has_exif
    assert meta.software == "Acme-software: 1.0.0.0"
