"""Judging one photo, from bytes to reason codes: pure, so every sample photo is unit-tested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aduan.infra.exif import extract_metadata
from aduan.infra.images import (
    ALLOWED_FORMATS,
    ORIGINAL_SIZE,
    ImageRejected,
    Rendition,
    open_image,
    render,
)
from services.verification.checks import claimed_point_reasons, metadata_reasons
from services.verification.policy import Policy
from services.verification.screenshot import looks_like_screenshot


@dataclass(frozen=True)
class PhotoFinding:
    reasons: list[str]  # of every enabled check that failed, whatever its action
    metadata: dict[str, Any] | None
    rendition: Rendition | None


def examine_photo(
    data: bytes,
    policy: Policy,
    submitted_at: datetime,
    claimed: tuple[float, float] | None,
    max_pixels: int,
    formats: frozenset[str] = ALLOWED_FORMATS,
    camera_proof: bool = True,
) -> PhotoFinding:
    """`camera_proof`: False for photos of a channel that strips or does not vouch for their
    EXIF (WhatsApp, SP4N-LAPOR!): the checks of where, when and with what camera the photo was
    taken (EXIF, GPS, outside the city, far from the report, capture time, stale, camera,
    editing software) are skipped for `no_camera_proof`; the report's own point is checked
    against the city's area instead (`outside_city`); the file checks, the screenshot check
    and (in the worker) the duplicate look-up still run."""
    try:
        image = open_image(data, max_pixels, formats)
    except ImageRejected as rejected:
        return PhotoFinding([rejected.reason], None, None)
    image_format = image.format or ""
    width, height = image.info.get(ORIGINAL_SIZE, image.size)
    metadata = extract_metadata(data, image, policy.timezone)
    if camera_proof:
        reasons = metadata_reasons(metadata, policy, submitted_at, claimed)
    else:
        reasons = policy.active([*claimed_point_reasons(policy, claimed), "no_camera_proof"])
    # A resized photo (WhatsApp scales 16:9 pictures to 1600x900 or 1280x720) can have a
    # screen's exact size, so only the stronger signs count for them.
    if looks_like_screenshot(image_format, width, height, metadata, exact_sizes=camera_proof):
        reasons = policy.active([*reasons, "screenshot"])
    rendition = render(image, data)
    document = {**metadata.as_doc(), "format": image_format, "width": width, "height": height,
                "dhash": f"{rendition.dhash:016x}",
                "edhash": f"{rendition.equalised_dhash:016x}"}
    return PhotoFinding(reasons, document, rendition)
