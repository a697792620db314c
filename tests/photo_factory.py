"""Builds test photos from the real samples: GPS and capture time rewritten with piexif."""

from __future__ import annotations

import io
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import piexif

from aduan.domain.geo import kecamatan_of
from aduan.domain.nearby import METRES_PER_DEGREE, distance_m

PHOTOS = Path(__file__).parent / "data" / "photos"

# Points inside each city (checked against the shipped boundaries by the unit tests).
INSIDE = {
    "padang": (-0.9726, 100.4057),  # Lubuk Begalung
    "depok": (-6.3743, 106.8230),  # Beji
    "jambi": (-1.6093, 103.6123),  # Jelutung
    "kotamobagu": (0.7292, 124.3314),  # Kotamobagu Timur
}
WIB = timezone(timedelta(hours=7))


def _dms(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 1000)
    return ((degrees, 1), (minutes, 1), (seconds, 1000))


def camera_photo(
    lat: float | None,
    lon: float | None,
    captured_at: datetime | None,
    source: str = "DSCN0010.jpg",
    offset: str | None = "+07:00",
    software: str | None = None,
) -> bytes:
    """A real camera JPEG with its GPS and DateTimeOriginal replaced (None removes them)."""
    data = (PHOTOS / source).read_bytes()
    exif = piexif.load(data)
    exif["GPS"] = {}
    if lat is not None and lon is not None:
        exif["GPS"] = {
            piexif.GPSIFD.GPSLatitudeRef: b"S" if lat < 0 else b"N",
            piexif.GPSIFD.GPSLatitude: _dms(lat),
            piexif.GPSIFD.GPSLongitudeRef: b"W" if lon < 0 else b"E",
            piexif.GPSIFD.GPSLongitude: _dms(lon),
        }
    exif["Exif"].pop(piexif.ExifIFD.DateTimeOriginal, None)
    exif["Exif"].pop(piexif.ExifIFD.OffsetTimeOriginal, None)
    if captured_at is not None:
        local = captured_at.astimezone(WIB) if offset == "+07:00" else captured_at
        exif["Exif"][piexif.ExifIFD.DateTimeOriginal] = local.strftime("%Y:%m:%d %H:%M:%S").encode()
        if offset:
            exif["Exif"][piexif.ExifIFD.OffsetTimeOriginal] = offset.encode()
    if software is not None:
        exif["0th"][piexif.ImageIFD.Software] = software.encode()
    exif["thumbnail"] = None
    exif["1st"] = {}
    out = io.BytesIO()
    piexif.insert(piexif.dump(exif), data, out)
    return out.getvalue()


def fresh_padang_photo() -> bytes:
    lat, lon = INSIDE["padang"]
    return camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=20))


def varied_padang_photos(count: int, seed: int = 0) -> list[bytes]:
    """`count` fresh Padang camera photos that all look different (random blocks painted over
    the real picture, re-encoded with its EXIF), as residents' photos of different problems
    do: a load test with one photo repeated would measure the duplicate look-up instead."""
    from PIL import Image, ImageDraw

    template = fresh_padang_photo()
    exif = Image.open(io.BytesIO(template)).info["exif"]
    base = Image.open(io.BytesIO(template)).convert("RGB")
    rng = random.Random(seed)
    photos = []
    for _ in range(count):
        picture = base.copy()
        draw = ImageDraw.Draw(picture)
        for _ in range(12):
            x, y = rng.randrange(picture.width), rng.randrange(picture.height)
            w, h = rng.randrange(40, picture.width // 2), rng.randrange(40, picture.height // 2)
            draw.rectangle((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in "rgb"))
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=88, exif=exif)
        photos.append(out.getvalue())
    return photos


# Spots handed out in this run: each test's reports (up to 500 m from its spot) stay this far
# from every other test's spot, well over 500 m plus the 50 m a duplicate is looked for in.
_SPOTS_GIVEN: list[tuple[float, float]] = []
SPOTS_APART_M = 1_000


def spot_of_its_own(rng: random.Random, city: str, within_m: float = 8_000
                    ) -> tuple[float, float]:
    """A random point of the city, 300 m to `within_m` from its usual test point, inside a
    kecamatan with room 600 m north and south, and at least SPOTS_APART_M from every spot
    given before in this run: other tests' reports never come near the ones filed there."""
    lat, lon = INSIDE[city]
    for _ in range(10_000):
        metres, angle = rng.uniform(300, within_m), rng.uniform(0, 2 * math.pi)
        spot = (lat + metres * math.sin(angle) / METRES_PER_DEGREE,
                lon + metres * math.cos(angle)
                / (METRES_PER_DEGREE * math.cos(math.radians(lat))))
        room = [spot, moved_north(spot, 600), moved_north(spot, -600)]
        if (all(kecamatan_of(city, *point) is not None for point in room)
                and all(_metres(spot, other) >= SPOTS_APART_M for other in _SPOTS_GIVEN)):
            _SPOTS_GIVEN.append(spot)
            return spot
    raise AssertionError(f"no spot of its own left in {city}")


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return distance_m(a[0], a[1], b[0], b[1])


def moved_north(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / METRES_PER_DEGREE, point[1]


def photo_of_its_own(rng: random.Random, lat: float, lon: float) -> bytes:
    """A fresh camera JPEG taken at the spot, of a picture no other report has (so no photo
    match mixes in): random grey blocks."""
    from PIL import Image

    blocks = Image.new("L", (9, 8))
    blocks.putdata([rng.randrange(256) for _ in range(72)])
    picture = blocks.resize((640, 480), Image.Resampling.BICUBIC).convert("RGB")
    exif = piexif.load(camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=10)))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, exif=piexif.dump(exif))
    return out.getvalue()
