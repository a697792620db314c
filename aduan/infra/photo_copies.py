"""The EXIF-free public copy and thumbnail of a report's photos, in the public bucket: the
lifecycle's `publish_copies` (before the write) and `withdraw_copies` (after it) effects."""

from __future__ import annotations

import logging
from typing import Any

from aduan.domain.lifecycle import unpublished
from aduan.infra.images import ALLOWED_FORMATS, ImageRejected, Rendition, open_image, render
from aduan.infra.storage import ObjectStore

log = logging.getLogger(__name__)

__all__ = ["delete_copies", "publish_copies", "publish_missing", "unpublished",
           "withdraw_copies"]


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


def publish_missing(store: ObjectStore, report: dict[str, Any], max_pixels: int,
                    formats: frozenset[str] = ALLOWED_FORMATS) -> list[dict[str, Any]]:
    """The report's photos, each with its public copies: those it lacks (never made, or
    withdrawn with a rejection) are rendered again from the raw photo. A photo that cannot be
    decoded stays unpublished."""
    return [photo if photo.get("public_key") else _render(store, report, photo, max_pixels,
                                                          formats)
            for photo in report.get("photos", [])]


def _render(store: ObjectStore, report: dict[str, Any], photo: dict[str, Any], max_pixels: int,
            formats: frozenset[str]) -> dict[str, Any]:
    data = store.get(store.raw_bucket, photo["raw_key"])
    try:
        rendition = render(open_image(data, max_pixels, formats), data)
    except ImageRejected as rejected:
        log.info("photo %s stays unpublished: %s", photo["id"], rejected.reason)
        return photo
    return publish_copies(store, report["city"], report["_id"], photo, rendition)


def delete_copies(store: ObjectStore, photo: dict[str, Any]) -> None:
    for field in ("public_key", "thumbnail_key"):
        if photo.get(field):
            store.delete(store.public_bucket, photo[field])


def withdraw_copies(store: ObjectStore, photos: list[dict[str, Any]]) -> None:
    """Deletes the public copies of `photos` (as they were before the report stopped pointing
    at them). A failure only leaves an orphan copy nobody links to: logged, not raised."""
    for photo in photos:
        try:
            delete_copies(store, photo)
        except Exception as err:  # any S3 failure: the decision already stands
            log.warning("copies of photo %s not deleted: %s", photo.get("id"), err)
