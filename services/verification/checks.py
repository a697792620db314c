"""The metadata checks of one photo: each failed check gives a reason code; the city's policy
says which checks run and what each reason does (see `policy.py`). The checks themselves are
shared with the evidence photos agencies attach (`aduan.domain.photo_checks`)."""

from __future__ import annotations

from datetime import datetime

from aduan.domain.device_location import DeviceLimits, DeviceReading, device_reasons
from aduan.domain.geo import city_area
from aduan.domain.photo_checks import (
    PhotoMetadata,
    camera_reasons,
    far_from,
    position_reasons,
    time_reasons,
)
from services.verification.policy import Policy


def _location_reasons(meta: PhotoMetadata, policy: Policy,
                      claimed: tuple[float, float] | None) -> list[str]:
    """`claimed`: the report's point; None when it has none (an address, or no location)."""
    reasons = position_reasons(meta)
    if reasons:
        return reasons
    assert meta.lat is not None and meta.lon is not None
    if policy.enabled("outside_city") and not city_area(policy.city).contains(
            meta.lat, meta.lon, policy.margin_m):
        return ["outside_city"]
    if claimed is not None and far_from(meta, claimed, policy.max_claimed_distance_m):
        return ["far_from_claimed_location"]
    return []


def metadata_reasons(
    meta: PhotoMetadata,
    policy: Policy,
    submitted_at: datetime,
    claimed: tuple[float, float] | None,
) -> list[str]:
    """Reason codes of the enabled metadata checks that failed, in a fixed order."""
    if not meta.has_exif and policy.enabled("exif_missing"):
        return ["exif_missing"]
    reasons = (_location_reasons(meta, policy, claimed)
               + time_reasons(meta, submitted_at, policy.max_age, policy.future_tolerance)
               + camera_reasons(meta))
    return policy.active(reasons)


def claimed_point_reasons(policy: Policy, claimed: tuple[float, float] | None) -> list[str]:
    """For a photo without camera proof the report's own point is all there is to go by (a
    WhatsApp location message, LAPOR!'s point): outside the city's area → `outside_city`."""
    if claimed is None or not policy.enabled("outside_city"):
        return []
    lat, lon = claimed
    if city_area(policy.city).contains(lat, lon, policy.margin_m):
        return []
    return ["outside_city"]


def device_location_reasons(policy: Policy, device_location: dict | None,
                            metadata: dict | None, claimed: tuple[float, float] | None
                            ) -> list[str]:
    """The phone's reading (the report's `device_location`) against the photo's GPS position
    (`metadata` as the judge stored it; a photo without a valid one is not compared) and the
    report's point, under the city's policy."""
    meta = metadata or {}
    photo_point = None
    if meta.get("lat") is not None and meta.get("lon") is not None \
            and (meta["lat"], meta["lon"]) != (0, 0):
        photo_point = (meta["lat"], meta["lon"])
    limits = DeviceLimits(tolerance_m=policy.device_tolerance_m,
                          claimed_m=policy.max_claimed_distance_m,
                          max_accuracy_m=policy.device_max_accuracy_m)
    return policy.active(device_reasons(DeviceReading.of(device_location), photo_point,
                                        claimed, limits))
