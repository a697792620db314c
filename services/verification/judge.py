"""Judging one photo, from bytes to reason codes: pure, so every sample photo is unit-tested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.verification.checks import CheckLimits, metadata_reasons
from services.verification.exif import extract_metadata
from services.verification.images import ImageRejected, Rendition, open_image, render


@dataclass(frozen=True)
class PhotoFinding:
    reasons: list[str]
    metadata: dict[str, Any] | None
    rendition: Rendition | None


def examine_photo(
    data: bytes,
    limits: CheckLimits,
    city_timezone: str,
    submitted_at: datetime,
    claimed: tuple[float, float],
    max_pixels: int,
) -> PhotoFinding:
    try:
        image = open_image(data, max_pixels)
    except ImageRejected as rejected:
        return PhotoFinding([rejected.reason], None, None)
    metadata = extract_metadata(data, image, city_timezone)
    reasons = metadata_reasons(metadata, limits, submitted_at, claimed)
    return PhotoFinding(reasons, metadata.as_doc(), render(image))
