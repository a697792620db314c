"""Evidence photos agencies attach when they resolve a report: checked like any photo, published
as an EXIF-free copy and a thumbnail in the public bucket under keys built from server ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aduan.infra.config import Settings
from aduan.infra.images import Rendition
from aduan.infra.storage import ObjectStore
from aduan.web.photos import read_uploaded_renditions

MAX_EVIDENCE_PHOTOS = 3


@dataclass(frozen=True)
class Evidence:
    id: str
    rendition: Rendition


def read_evidence(settings: Settings) -> list[Evidence]:
    return [Evidence(uuid.uuid4().hex, rendition) for rendition in read_uploaded_renditions(
        max_bytes=settings.max_evidence_bytes, max_pixels=settings.max_image_pixels,
        limit=MAX_EVIDENCE_PHOTOS, required=False)]


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
