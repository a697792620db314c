"""Reading a multipart request: the JSON part and the photos, checked from their bytes."""

from __future__ import annotations

from typing import Any

from flask import request

from aduan.config import Settings
from aduan.errors import ApiError
from aduan.photos import sniff_image_type
from aduan.validation import parse_json_object
from services.intake.submission import Photo

MAX_PHOTOS = 5


def require_multipart() -> None:
    if not request.mimetype.startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "Send the request as multipart/form-data.")


def json_part(name: str) -> dict[str, Any]:
    raw = request.form.get(name)
    if raw is None:
        raise ApiError(400, "missing_field",
                       f"The fields are required as JSON (multipart field '{name}').",
                       {"field": name})
    return parse_json_object(raw, f"The '{name}' field")


def photos(settings: Settings, *, required: bool, limit: int = MAX_PHOTOS) -> list[Photo]:
    uploads = request.files.getlist("photo")
    if not uploads and required:
        raise ApiError(400, "missing_field", "A photo is required (multipart field 'photo').",
                       {"field": "photo"})
    if len(uploads) > limit:
        raise ApiError(400, "too_many_photos", f"At most {limit} photos per request.")
    result = []
    for upload in uploads:
        data = upload.read(settings.max_photo_bytes + 1)
        if len(data) > settings.max_photo_bytes:
            raise ApiError(413, "photo_too_large",
                           f"Each photo may be at most {settings.max_photo_bytes} bytes.")
        content_type = sniff_image_type(data)
        if content_type is None:
            raise ApiError(415, "unsupported_photo_type",
                           "Photos must be JPEG, PNG or HEIC images.",
                           {"filename": (upload.filename or "")[:100]})
        result.append(Photo(data=data, content_type=content_type))
    return result
