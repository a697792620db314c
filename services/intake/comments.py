"""Comments on a report, by its reporter or the staff handling it, with at most one photo.

A photo is never kept as sent: only its EXIF- and XMP-free copy and thumbnail are stored
(public bucket, keys from server ids) and served, to staff only, through the gateway.
Comments are capped per report and per author per 24 hours (Settings: comments_per_report,
comment_photos_per_report, comments_per_author_per_day, comment_photos_per_author_per_day).
The caps hold under concurrent posts: a comment is appended (`plan_comment`, committed by
`Reports`) only if the report still has the comments that were counted (otherwise it counts
again). Every comment is read by the reporter: one by the staff of an agency holding the report
answers them and ends that agency's follow-up clock in the same write.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from aduan.domain.lifecycle import Actor, plan_comment
from aduan.infra.config import Settings
from aduan.infra.images import Rendition
from aduan.infra.messaging import Publisher
from aduan.infra.reports import Reports
from aduan.infra.storage import ObjectStore
from aduan.web.errors import ApiError

DAY = timedelta(hours=24)
ATTEMPTS = 5


def _author_of(comment: dict[str, Any]) -> str:
    return comment.get("author_id") or comment["by"]


def _with_photo(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in comments if c.get("photo") or c.get("photo_key")]


def check_limits(settings: Settings, comments: list[dict[str, Any]], author: str,
                 with_photo: bool, now: datetime) -> None:
    if len(comments) >= settings.comments_per_report or (
            with_photo and len(_with_photo(comments)) >= settings.comment_photos_per_report):
        raise ApiError(422, "comment_limit", "This report takes no more comments (or photos).",
                       {"comments": settings.comments_per_report,
                        "photos": settings.comment_photos_per_report})
    recent = [c for c in comments if _author_of(c) == author and c["at"] > now - DAY]
    if len(recent) >= settings.comments_per_author_per_day:
        counted = recent
    elif with_photo and len(_with_photo(recent)) >= settings.comment_photos_per_author_per_day:
        counted = _with_photo(recent)
    else:
        return
    retry_after = max(1, int((min(c["at"] for c in counted) + DAY - now).total_seconds()))
    raise ApiError(429, "comment_rate_limited",
                   "Too many comments on this report today; try again later.",
                   {"per_day": settings.comments_per_author_per_day,
                    "photos_per_day": settings.comment_photos_per_author_per_day,
                    "retry_after": retry_after})


def photo_keys(report: dict[str, Any], comment_id: str) -> dict[str, str]:
    base = f"{report['city']}/{report['_id']}/comments/{comment_id}"
    return {"key": f"{base}.jpg", "thumbnail_key": f"{base}_thumb.jpg"}


def add_comment(settings: Settings, db: Database, store: ObjectStore, report: dict[str, Any],
                by: str, author_id: str | None, text: str,
                photo: Rendition | None, agency: str | None = None,
                publisher: Publisher | None = None) -> dict[str, Any]:
    """`agency`: the agency the staff author acts for (an agency admin or officer). The
    comment's `report.commented` event is stored with it in the report's outbox and published
    through `publisher` (without one, or should that fail, the outbox relay sends it)."""
    comment: dict[str, Any] = {"id": uuid.uuid4().hex, "at": datetime.now(UTC), "by": by,
                               "author_id": author_id, "text": text}
    if agency:
        comment["agency"] = agency
    author = author_id or by
    comments = report.get("comments", [])
    check_limits(settings, comments, author, photo is not None, comment["at"])
    if photo is not None:
        comment["photo"] = photo_keys(report, comment["id"])
        store.put(store.public_bucket, comment["photo"]["key"], photo.public_jpeg,
                  "image/jpeg")
        store.put(store.public_bucket, comment["photo"]["thumbnail_key"],
                  photo.thumbnail_jpeg, "image/jpeg")
    actor = Actor(kind="reporter", id=None) if by == "reporter" else \
        Actor(kind="staff", id=author_id, role=by, agency=agency)
    reports = Reports(db, publisher)
    try:
        for _ in range(ATTEMPTS):
            counted = {**report, "comments": comments}
            if reports.commit(counted, plan_comment(counted, comment, agency), actor,
                              comment["at"], None) is not None:
                return comment
            # Someone commented (or acted) meanwhile: count again with their comments.
            report = db.reports.find_one({"_id": report["_id"]}) or report
            comments = report.get("comments", [])
            check_limits(settings, comments, author, photo is not None, comment["at"])
        raise ApiError(409, "concurrent_update",
                       "This report is taking many comments right now; retry.")
    except Exception:
        if photo is not None:
            store.delete(store.public_bucket, comment["photo"]["key"])
            store.delete(store.public_bucket, comment["photo"]["thumbnail_key"])
        raise
