"""A report's photos served at stable addresses (aduan/web/photo_urls.py), under the report's
visibility rules, instead of presigned URLs of the object store:

- report photos and evidence photos: anyone while the report is public, else only its
  reporter (X-Reporter-Token) and staff who may see it; otherwise the same 404 as a report
  that does not exist;
- comment photos: staff who may see the report (only the stripped copy exists).

Answers carry an ETag (If-None-Match answers 304) and Cache-Control: `public` for what anyone
may see, `private` otherwise.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request

from aduan.domain.visibility import Audience
from aduan.infra.storage import ObjectStore
from aduan.web.app import collaborators
from aduan.web.errors import ApiError
from aduan.web.report_access import find_for_request

# A report may leave the public's view (archived, marked duplicate): shared caches keep a
# photo a few minutes at most.
MAX_AGE_S = 300


def _not_found() -> ApiError:
    return ApiError(404, "photo_not_found", "No photo at this address.")


def _send(store: ObjectStore, key: str, audience: Audience) -> Response:
    data = store.get(store.public_bucket, key)
    response = Response(data, mimetype="image/jpeg")
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.cache_control.max_age = MAX_AGE_S
    if audience == "public":
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    response.vary.update(("Authorization", "X-Reporter-Token"))
    return response.make_conditional(request)


def _pick(photo: dict[str, Any] | None, thumbnail: bool, key: str = "key") -> str:
    if not photo or not photo.get(key):
        raise _not_found()
    return photo["thumbnail_key"] if thumbnail else photo[key]


def _viewer(code: str) -> tuple[dict[str, Any], Audience, ObjectStore]:
    """The report as the caller may see it, who the caller is (staff who may see it, its
    reporter, anyone while it is public) and the store; the report's 404 otherwise."""
    context = collaborators()
    found = find_for_request(context.db, context.settings, code)
    return found.report, found.audience, context.store


def _report_photo(code: str, number: int, thumbnail: bool) -> Response:
    report, audience, store = _viewer(code)
    photos = report.get("photos", [])
    photo = photos[number - 1] if 1 <= number <= len(photos) else None
    return _send(store, _pick(photo, thumbnail, "public_key"), audience)


def _evidence(code: str, photo_id: str, thumbnail: bool) -> Response:
    report, audience, store = _viewer(code)
    photo = next((p for entry in report.get("history", [])
                  for p in entry.get("photos") or [] if p.get("id") == photo_id), None)
    return _send(store, _pick(photo, thumbnail), audience)


def _comment_photo(code: str, comment_id: str, thumbnail: bool) -> Response:
    report, audience, store = _viewer(code)
    if audience != "staff":
        raise _not_found()
    comment = next((c for c in report.get("comments", []) if c.get("id") == comment_id), None)
    return _send(store, _pick((comment or {}).get("photo"), thumbnail), audience)


blueprint = Blueprint("intake_photos", __name__)


@blueprint.get("/reports/<code>/photos/<int:number>")
def report_photo(code: str, number: int) -> Response:
    return _report_photo(code, number, False)


@blueprint.get("/reports/<code>/photos/<int:number>/thumbnail")
def report_thumbnail(code: str, number: int) -> Response:
    return _report_photo(code, number, True)


@blueprint.get("/reports/<code>/evidence/<photo_id>")
def evidence_photo(code: str, photo_id: str) -> Response:
    return _evidence(code, photo_id, False)


@blueprint.get("/reports/<code>/evidence/<photo_id>/thumbnail")
def evidence_thumbnail(code: str, photo_id: str) -> Response:
    return _evidence(code, photo_id, True)


@blueprint.get("/reports/<code>/comments/<comment_id>/photo")
def comment_photo(code: str, comment_id: str) -> Response:
    return _comment_photo(code, comment_id, False)


@blueprint.get("/reports/<code>/comments/<comment_id>/photo/thumbnail")
def comment_thumbnail(code: str, comment_id: str) -> Response:
    return _comment_photo(code, comment_id, True)
