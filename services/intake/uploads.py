"""Reading a multipart request: the JSON part and the photos, checked from their bytes."""

from __future__ import annotations

from typing import Any

from flask import request

from aduan.infra.config import Settings
from aduan.web.errors import ApiError
from aduan.web.photos import Photo, read_uploaded_photos
from aduan.web.validation import parse_json_object

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
    """The photos sent; 422 `photo_required` when `required` and there are none (a report's
    category and type ask for one on a resident's own form: `report_types.photo_required`)."""
    found = read_uploaded_photos(max_bytes=settings.max_photo_bytes, limit=limit,
                                 required=False)
    if required and not found:
        raise ApiError(422, "photo_required",
                       "This report needs a photo (multipart field 'photo').", {"field": "photo"})
    return found
