"""Reads what the photo checks need from a photo's EXIF: GPS, capture time, camera, software
(`aduan.domain.photo_checks`; used by verification for reports' photos and by routing for
agencies' evidence).

piexif is tried first; when it cannot parse the file (corrupt or unusual EXIF, PNG), Pillow's
own reader is used, so one library's parser failure never fails the photo.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import piexif
from PIL import Image

from aduan.domain.photo_checks import PhotoMetadata

log = logging.getLogger(__name__)

# Tag ids (EXIF 2.32).
MAKE, MODEL, ORIENTATION, SOFTWARE = 271, 272, 274, 305
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, USER_COMMENT = 36867, 36881, 37510
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_TIME, GPS_DATE = 1, 2, 3, 4, 7, 29
EXIF_IFD, GPS_IFD = 0x8769, 0x8825


@dataclass(frozen=True)
class RawExif:
    ifd0: dict[int, Any]
    exif: dict[int, Any]
    gps: dict[int, Any]

    @property
    def empty(self) -> bool:
        return not (self.ifd0 or self.exif or self.gps)


def read_raw_exif(data: bytes, image: Image.Image) -> RawExif:
    try:
        loaded = piexif.load(data)
        return RawExif(loaded.get("0th", {}), loaded.get("Exif", {}), loaded.get("GPS", {}))
    except Exception as err:  # piexif raises many unrelated types on odd files
        log.info("piexif could not read EXIF (%s); falling back to Pillow", err)
    try:
        exif = image.getexif()
        return RawExif(dict(exif), dict(exif.get_ifd(EXIF_IFD)), dict(exif.get_ifd(GPS_IFD)))
    except Exception as err:  # a corrupt EXIF block means no metadata, not a failed photo
        log.info("Pillow could not read EXIF either: %s", err)
        return RawExif({}, {}, {})


def to_float(value: Any) -> float | None:
    """A number from any EXIF rational form: (num, den), IFDRational, int or float."""
    try:
        if isinstance(value, tuple) and len(value) == 2:
            num, den = value
            return None if den == 0 else float(num) / float(den)
        result = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return None if result != result else result  # NaN from a 0/0 IFDRational


def to_text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    value = value.strip("\x00 ").strip()
    return value or None


def _user_comment(value: Any) -> str | None:
    """UserComment starts with an 8-byte character-code prefix (ASCII, UNICODE, JIS or zeros)."""
    if isinstance(value, bytes) and len(value) >= 8:
        code, text = value[:8], value[8:]
        if code.startswith(b"UNICODE"):
            encoding = "utf-16-be" if text[:1] == b"\x00" else "utf-16-le"
            return to_text(text.decode(encoding, errors="replace"))
        return to_text(text)
    return to_text(value)


def _dms(value: Any, ref: Any, negative_ref: str) -> float | None:
    if not isinstance(value, tuple | list) or len(value) != 3:
        return None
    parts = [to_float(v) for v in value]
    if any(p is None for p in parts):
        return None
    degrees, minutes, seconds = parts  # type: ignore[misc]
    decimal = degrees + minutes / 60 + seconds / 3600
    return -decimal if (to_text(ref) or "").upper().startswith(negative_ref) else decimal


def _parse_exif_datetime(value: Any) -> datetime | None:
    text = to_text(value)
    if not text:
        return None
    try:
        return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _parse_offset(value: Any) -> timezone | None:
    text = to_text(value)
    if not text or len(text) < 6 or text[0] not in "+-":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _gps_datetime(gps: dict[int, Any]) -> datetime | None:
    day_text = to_text(gps.get(GPS_DATE))
    stamp = gps.get(GPS_TIME)
    if not day_text or not isinstance(stamp, tuple | list) or len(stamp) != 3:
        return None
    parts = [to_float(v) for v in stamp]
    if any(p is None for p in parts):
        return None
    try:
        day = datetime.strptime(day_text[:10], "%Y:%m:%d").date()
        hour, minute, second = (int(p) for p in parts)  # type: ignore[arg-type]
        return datetime.combine(day, time(hour, minute, min(second, 59)), tzinfo=UTC)
    except ValueError:
        return None


def capture_time(raw: RawExif, city_timezone: str) -> tuple[datetime | None, str | None]:
    """OffsetTimeOriginal, else GPS time (UTC), else the city's time zone."""
    local = _parse_exif_datetime(raw.exif.get(DATETIME_ORIGINAL))
    offset = _parse_offset(raw.exif.get(OFFSET_TIME_ORIGINAL))
    if local and offset:
        return local.replace(tzinfo=offset).astimezone(UTC), "offset"
    gps_time = _gps_datetime(raw.gps)
    if gps_time:
        return gps_time, "gps"
    if local:
        return local.replace(tzinfo=ZoneInfo(city_timezone)).astimezone(UTC), "city_timezone"
    return None, None


def extract_metadata(data: bytes, image: Image.Image, city_timezone: str) -> PhotoMetadata:
    raw = read_raw_exif(data, image)
    lat = _dms(raw.gps.get(GPS_LAT), raw.gps.get(GPS_LAT_REF), "S")
    lon = _dms(raw.gps.get(GPS_LON), raw.gps.get(GPS_LON_REF), "W")
    captured_at, source = capture_time(raw, city_timezone)
    orientation = raw.ifd0.get(ORIENTATION)
    return PhotoMetadata(
        has_exif=not raw.empty,
        lat=lat,
        lon=lon,
        captured_at=captured_at,
        captured_at_source=source,
        make=to_text(raw.ifd0.get(MAKE)),
        model=to_text(raw.ifd0.get(MODEL)),
        software=to_text(raw.ifd0.get(SOFTWARE)),
        orientation=orientation if isinstance(orientation, int) else None,
        user_comment=_user_comment(raw.exif.get(USER_COMMENT)),
    )
