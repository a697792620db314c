"""The metadata checks of one photo: each failed check gives a reason code; the city's policy
says which checks run and what each reason does (see `policy.py`)."""

from __future__ import annotations

from datetime import datetime
from math import asin, cos, radians, sin, sqrt

from aduan.domain.geo import EARTH_RADIUS_M, city_area
from services.verification.exif import PhotoMetadata
from services.verification.policy import Policy

EDITING_SOFTWARE = ("photoshop", "gimp", "snapseed", "paint.net", "lightroom", "picsart",
                    "pixlr", "canva", "affinity", "photoscape", "fotor", "meitu", "facetune",
                    "pixelmator", "paintshop", "polarr", "vsco", "airbrush", "remini",
                    "luminar", "darktable", "rawtherapee", "photodirector", "befunky")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(sqrt(a))


def edited_with(software: str | None) -> bool:
    return bool(software) and any(name in software.lower() for name in EDITING_SOFTWARE)


def _location_reasons(meta: PhotoMetadata, policy: Policy, claimed: tuple[float, float]
                      ) -> list[str]:
    if meta.lat is None and meta.lon is None:
        return ["gps_missing"]
    if meta.lat is None or meta.lon is None:
        return ["gps_invalid"]  # half a position is not a position
    if not (-90 <= meta.lat <= 90 and -180 <= meta.lon <= 180) or (meta.lat, meta.lon) == (0, 0):
        return ["gps_invalid"]
    if policy.enabled("outside_city") and not city_area(policy.city).contains(
            meta.lat, meta.lon, policy.margin_m):
        return ["outside_city"]
    if distance_m(meta.lat, meta.lon, *claimed) > policy.max_claimed_distance_m:
        return ["far_from_claimed_location"]
    return []


def _time_reasons(meta: PhotoMetadata, policy: Policy, submitted_at: datetime) -> list[str]:
    if meta.captured_at is None:
        return ["capture_time_missing"]
    if meta.captured_at > submitted_at + policy.future_tolerance:
        return ["future_capture_time"]
    if submitted_at - meta.captured_at > policy.max_age:
        return ["stale_photo"]
    return []


def metadata_reasons(
    meta: PhotoMetadata,
    policy: Policy,
    submitted_at: datetime,
    claimed: tuple[float, float],
) -> list[str]:
    """Reason codes of the enabled metadata checks that failed, in a fixed order."""
    if not meta.has_exif and policy.enabled("exif_missing"):
        return ["exif_missing"]
    reasons = _location_reasons(meta, policy, claimed) + _time_reasons(meta, policy, submitted_at)
    if not (meta.make or meta.model):
        reasons.append("camera_missing")
    if edited_with(meta.software):
        reasons.append("edited_software")
    return policy.active(reasons)
