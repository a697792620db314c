"""What an uploaded file is, judged from its bytes (`aduan/web/image_types.py`), never from its
name or declared type."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from flask import request

from aduan.infra.images import ImageRejected, Rendition, open_image, render
from aduan.web.errors import ApiError
from aduan.web.image_types import EXTENSIONS, sniff_image_type


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str

    @cached_property
    def sha256(self) -> str:
        """The bytes' SHA-256 (hex), computed once: a request's fingerprint and the stored
        photo's record both need it (2 ms a pass over a phone's 4 MB photo)."""
        return hashlib.sha256(self.data).hexdigest()


def read_uploaded_photos(*, max_bytes: int, limit: int, required: bool,
                         allowed: Collection[str] = tuple(EXTENSIONS)) -> list[Photo]:
    """The `photo` files of this multipart request: at most `limit`, each at most `max_bytes`,
    each of an `allowed` type judged from its bytes."""
    uploads = request.files.getlist("photo")
    if not uploads and required:
        raise ApiError(400, "missing_field", "A photo is required (multipart field 'photo').",
                       {"field": "photo"})
    if len(uploads) > limit:
        raise ApiError(400, "too_many_photos", f"At most {limit} photos per request.")
    return [check_photo(upload.read(max_bytes + 1), max_bytes=max_bytes,
                        name=upload.filename or "", allowed=allowed) for upload in uploads]


def check_photo(data: bytes, *, max_bytes: int, name: str,
                allowed: Collection[str] = tuple(EXTENSIONS)) -> Photo:
    """One photo's bytes (a file part, or a resumable upload assembled): at most `max_bytes`
    (413 `photo_too_large`), of an `allowed` type judged from its bytes (415
    `unsupported_photo_type`, `name` in the details)."""
    if len(data) > max_bytes:
        raise ApiError(413, "photo_too_large", f"Each photo may be at most {max_bytes} bytes.")
    content_type = sniff_image_type(data)
    if content_type not in allowed:
        raise ApiError(415, "unsupported_photo_type",
                       f"Photos must be of these types: {', '.join(sorted(allowed))}.",
                       {"filename": name[:100]})
    return Photo(data=data, content_type=content_type)


def read_uploaded_renditions(*, max_bytes: int, max_pixels: int, limit: int,
                             required: bool) -> list[Rendition]:
    """Photos that staff and reporters attach (evidence, comments), never kept as sent: each
    is decoded safely (pixel limit, truncation, bombs) and re-encoded without EXIF or XMP
    (GPS, camera, owner), with a thumbnail. Only these copies are stored and served."""
    renditions = []
    for photo in read_uploaded_photos(max_bytes=max_bytes, limit=limit, required=required,
                                      allowed=("image/jpeg", "image/png")):
        try:
            renditions.append(render(open_image(photo.data, max_pixels)))
        except ImageRejected as err:
            raise ApiError(422, "invalid_photo", "The photo cannot be used.",
                           {"reason": err.reason}) from err
    return renditions
