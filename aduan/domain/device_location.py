"""The phone's own location reading as a second proof of where a photo was taken: compared
with the photo's GPS position and with the report's point. Each disagreement is a reason code
(the verification policy says what it does in each city). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aduan.domain.photo_checks import distance_m

MISMATCH = "device_location_mismatch"  # the photo's GPS and the phone's reading disagree
FAR_FROM_CLAIMED = "device_far_from_claimed_location"  # the reading is far from the report
IMPRECISE = "device_location_imprecise"  # the reading is too vague to prove anything
REASONS = (MISMATCH, FAR_FROM_CLAIMED, IMPRECISE)

Point = tuple[float, float]


@dataclass(frozen=True)
class DeviceReading:
    lat: float
    lon: float
    accuracy_m: float

    @classmethod
    def of(cls, doc: dict[str, Any] | None) -> DeviceReading | None:
        """The reading as stored on a report (`device_location`), or None."""
        if not doc or doc.get("lat") is None or doc.get("lon") is None:
            return None
        return cls(float(doc["lat"]), float(doc["lon"]), float(doc.get("accuracy_m") or 0))

    @property
    def point(self) -> Point:
        return self.lat, self.lon


@dataclass(frozen=True)
class DeviceLimits:
    """`tolerance_m`: what the photo's GPS and the reading may differ by beyond the reading's
    accuracy (both are GPS fixes, seconds apart); `claimed_m`: how far the report's point may
    be beyond the accuracy (the same limit as the photo's, `max_claimed_distance_m`);
    `max_accuracy_m`: a reading vaguer than this proves nothing and is not compared."""

    tolerance_m: float = 100.0
    claimed_m: float = 1000.0
    max_accuracy_m: float = 500.0


def device_reasons(reading: DeviceReading | None, photo_point: Point | None,
                   claimed: Point | None, limits: DeviceLimits) -> list[str]:
    """Reason codes for one photo: none without a reading; `device_location_imprecise` alone
    when the reading is too vague; else `device_location_mismatch` when the photo has a
    position farther from the reading than its accuracy plus the tolerance, and
    `device_far_from_claimed_location` when the report's point is farther from it than its
    accuracy plus the claimed-point limit."""
    if reading is None:
        return []
    if reading.accuracy_m > limits.max_accuracy_m:
        return [IMPRECISE]
    reasons = []
    if photo_point is not None and \
            distance_m(*photo_point, *reading.point) > reading.accuracy_m + limits.tolerance_m:
        reasons.append(MISMATCH)
    if claimed is not None and \
            distance_m(*claimed, *reading.point) > reading.accuracy_m + limits.claimed_m:
        reasons.append(FAR_FROM_CLAIMED)
    return reasons
