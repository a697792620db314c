"""Evidence photos agencies attach when they resolve a report (and officers at a visit): each
is decoded safely, its EXIF read for the photo checks (`aduan.domain.photo_checks`: fresh,
taken at the report's place) and then dropped; only an EXIF-free copy and a thumbnail are
published, in the public bucket under keys built from server ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aduan.domain.photo_checks import PhotoMetadata
from aduan.infra.config import Settings
from aduan.infra.exif import extract_metadata
from aduan.infra.images import ImageRejected, Rendition, open_image, render
from aduan.infra.storage import ObjectStore
from aduan.web.errors import ApiError
from aduan.web.photos import read_uploaded_photos

MAX_EVIDENCE_PHOTOS = 3


@dataclass(frozen=True)
class Evidence:
    id: str
    rendition: Rendition
    metadata: PhotoMetadata  # as the file came: what the photo checks read


def read_evidence(settings: Settings, timezone: str) -> list[Evidence]:
    """The request's evidence photos; `timezone`: the report's city's, for a capture time
    without an offset."""
    evidence = []
    for photo in read_uploaded_photos(max_bytes=settings.max_evidence_bytes,
                                      limit=MAX_EVIDENCE_PHOTOS, required=False,
                                      allowed=("image/jpeg", "image/png")):
        try:
            image = open_image(photo.data, settings.max_image_pixels)
        except ImageRejected as err:
            raise ApiError(422, "invalid_photo", "The photo cannot be used.",
                           {"reason": err.reason}) from err
        metadata = extract_metadata(photo.data, image, timezone)
        evidence.append(Evidence(uuid.uuid4().hex, render(image), metadata))
    return evidence


def evidence_keys(city: str, report_id: str, photo_id: str) -> dict[str, str]:
    base = f"{city}/{report_id}/evidence/{photo_id}"
    return {"id": photo_id, "key": f"{base}.jpg", "thumbnail_key": f"{base}_thumb.jpg"}


def store_evidence(store: ObjectStore, city: str, report_id: str,
                   evidence: list[Evidence]) -> list[dict[str, Any]]:
    stored = []
    for photo in evidence:
        keys = evidence_keys(city, report_id, photo.id)
        store.put(store.public_bucket, keys["key"], photo.rendition.public_jpeg, "image/jpeg")
        store.put(store.public_bucket, keys["thumbnail_key"], photo.rendition.thumbnail_jpeg,
                  "image/jpeg")
        stored.append(keys)
    return stored


def delete_evidence(store: ObjectStore, stored: list[dict[str, Any]]) -> None:
    for keys in stored:
        store.delete(store.public_bucket, keys["key"])
        store.delete(store.public_bucket, keys["thumbnail_key"])
