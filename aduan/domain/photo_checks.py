"""The checks of a photo's metadata that every photo goes through, reports' photos (the
verification service, with each city's policy) and agencies' evidence (routing, when a report
is resolved): a position that is one, near the place it should show, a capture time that is
recent and not in the future, a camera that made it, no editing software. Each failed check
is a reason code. Pure: the metadata is read from the file by `aduan.infra.exif`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import asin, cos, radians, sin, sqrt
from typing import Any

from aduan.domain.geo import EARTH_RADIUS_M

EDITING_SOFTWARE = ("photoshop", "gimp", "snapseed", "paint.net", "lightroom", "picsart",
                    "pixlr", "canva", "affinity", "photoscape", "fotor", "meitu", "facetune",
                    "pixelmator", "paintshop", "polarr", "vsco", "airbrush", "remini",
                    "luminar", "darktable", "rawtherapee", "photodirector", "befunky")


@dataclass(frozen=True)
class PhotoMetadata:
    has_exif: bool
    lat: float | None
    lon: float | None
    captured_at: datetime | None
    captured_at_source: str | None  # offset | gps | city_timezone
    make: str | None
    model: str | None
    software: str | None
    orientation: int | None
    user_comment: str | None = None

    def as_doc(self) -> dict[str, Any]:
        return {
            "has_exif": self.has_exif,
            "lat": self.lat,
            "lon": self.lon,
            "captured_at": self.captured_at,
            "captured_at_source": self.captured_at_source,
            "make": self.make,
            "model": self.model,
            "software": self.software,
            "orientation": self.orientation,
            "user_comment": self.user_comment,
        }


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(sqrt(a))


def edited_with(software: str | None) -> bool:
    return bool(software) and any(name in software.lower() for name in EDITING_SOFTWARE)


def position_reasons(meta: PhotoMetadata) -> list[str]:
    """Whether the photo has a position at all, and one that can be real."""
    if meta.lat is None and meta.lon is None:
        return ["gps_missing"]
    if meta.lat is None or meta.lon is None:
        return ["gps_invalid"]  # half a position is not a position
    if not (-90 <= meta.lat <= 90 and -180 <= meta.lon <= 180) or (meta.lat, meta.lon) == (0, 0):
        return ["gps_invalid"]
    return []


def far_from(meta: PhotoMetadata, point: tuple[float, float], max_m: float) -> bool:
    """A photo with a valid position (`position_reasons` empty) taken farther than `max_m`
    from `point`."""
    assert meta.lat is not None and meta.lon is not None
    return distance_m(meta.lat, meta.lon, *point) > max_m


def time_reasons(meta: PhotoMetadata, at: datetime, max_age: timedelta,
                 future_tolerance: timedelta) -> list[str]:
    """A capture time, taken at most `max_age` before `at` and not after it."""
    if meta.captured_at is None:
        return ["capture_time_missing"]
    if meta.captured_at > at + future_tolerance:
        return ["future_capture_time"]
    if at - meta.captured_at > max_age:
        return ["stale_photo"]
    return []


def camera_reasons(meta: PhotoMetadata) -> list[str]:
    reasons = []
    if not (meta.make or meta.model):
        reasons.append("camera_missing")
    if edited_with(meta.software):
        reasons.append("edited_software")
    return reasons


@dataclass(frozen=True)
class EvidenceLimits:
    """What an evidence photo must meet (settings `evidence_max_distance_m`,
    `evidence_max_age_hours`, `photo_future_tolerance_minutes`)."""

    max_distance_m: float = 300.0
    max_age: timedelta = timedelta(hours=24)
    future_tolerance: timedelta = timedelta(minutes=10)


def evidence_reasons(meta: PhotoMetadata, at: datetime, place: tuple[float, float] | None,
                     limits: EvidenceLimits) -> list[str]:
    """Why an evidence photo does not show the report's place freshly photographed: the
    reports' checks, with the report's location as the place and the resolution as the
    moment. `far_from_report` when its position is farther than the limit (`place` None: the
    report has no point, so no distance is checked)."""
    if not meta.has_exif:
        return ["exif_missing"]
    reasons = position_reasons(meta)
    if not reasons and place is not None and far_from(meta, place, limits.max_distance_m):
        reasons = ["far_from_report"]
    return [*reasons, *time_reasons(meta, at, limits.max_age, limits.future_tolerance),
            *camera_reasons(meta)]
