"""The verdict on a report's photos: every check gives a reason code; policy says what each
reason does (reject the report, or send it to an operator's review queue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import asin, cos, radians, sin, sqrt

from aduan.geo import EARTH_RADIUS_M, city_area
from services.verification.exif import PhotoMetadata

REJECT, REVIEW = "reject", "review"

DEFAULT_POLICY: dict[str, str] = {
    "unsupported_format": REJECT,
    "too_many_pixels": REJECT,
    "corrupt_image": REJECT,
    "outside_city": REJECT,
    "gps_invalid": REJECT,
    "exif_missing": REVIEW,
    "gps_missing": REVIEW,
    "far_from_claimed_location": REVIEW,
    "capture_time_missing": REVIEW,
    "stale_photo": REVIEW,
    "future_capture_time": REVIEW,
    "camera_missing": REVIEW,
    "edited_software": REVIEW,
}

EDITING_SOFTWARE = ("photoshop", "gimp", "snapseed", "paint.net", "lightroom", "picsart",
                    "pixlr", "canva", "affinity")


@dataclass(frozen=True)
class CheckLimits:
    city: str
    margin_m: float
    max_age: timedelta
    future_tolerance: timedelta
    max_claimed_distance_m: float = 1000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(sqrt(a))


def metadata_reasons(
    meta: PhotoMetadata,
    limits: CheckLimits,
    submitted_at: datetime,
    claimed: tuple[float, float],
) -> list[str]:
    if not meta.has_exif:
        return ["exif_missing"]
    reasons = []
    if meta.lat is None or meta.lon is None:
        reasons.append("gps_missing")
    elif (
        not (-90 <= meta.lat <= 90 and -180 <= meta.lon <= 180)
        or (meta.lat == 0 and meta.lon == 0)
    ):
        reasons.append("gps_invalid")
    elif not city_area(limits.city).contains(meta.lat, meta.lon, limits.margin_m):
        reasons.append("outside_city")
    elif distance_m(meta.lat, meta.lon, *claimed) > limits.max_claimed_distance_m:
        reasons.append("far_from_claimed_location")
    if meta.captured_at is None:
        reasons.append("capture_time_missing")
    elif meta.captured_at > submitted_at + limits.future_tolerance:
        reasons.append("future_capture_time")
    elif submitted_at - meta.captured_at > limits.max_age:
        reasons.append("stale_photo")
    if not (meta.make or meta.model):
        reasons.append("camera_missing")
    if meta.software and any(name in meta.software.lower() for name in EDITING_SOFTWARE):
        reasons.append("edited_software")
    return reasons


def verdict(reasons: list[str], policy: dict[str, str] = DEFAULT_POLICY) -> str:
    actions = {policy.get(reason, REVIEW) for reason in reasons}
    if REJECT in actions:
        return "rejected"
    if REVIEW in actions:
        return "needs_review"
    return "verified"
