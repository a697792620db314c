"""The EXIF-free public copy and thumbnail of a photo in the public bucket."""

from __future__ import annotations

from typing import Any

from aduan.infra.images import Rendition
from aduan.infra.storage import ObjectStore

PUBLIC_FIELDS = ("public_key", "thumbnail_key", "public_size")


def publish_copies(store: ObjectStore, city: str, report_id: str, photo: dict[str, Any],
                   rendition: Rendition) -> dict[str, Any]:
    """Stores the copies; returns the photo entry that points at them."""
    # Keys are derived from server-made ids, so a redelivered message overwrites, never adds.
    base = f"{city}/{report_id}/{photo['id']}"
    published = {**photo, "public_key": f"{base}.jpg", "thumbnail_key": f"{base}_thumb.jpg",
                 "public_size": [rendition.width, rendition.height]}
    bucket = store.public_bucket
    store.put(bucket, published["public_key"], rendition.public_jpeg, "image/jpeg")
    store.put(bucket, published["thumbnail_key"], rendition.thumbnail_jpeg, "image/jpeg")
    return published


def unpublished(photo: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in photo.items() if k not in PUBLIC_FIELDS}


def delete_copies(store: ObjectStore, photo: dict[str, Any]) -> None:
    for field in ("public_key", "thumbnail_key"):
        if photo.get(field):
            store.delete(store.public_bucket, photo[field])
