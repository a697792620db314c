"""What each audience may see of a report. Privacy is enforced here, not left to the caller."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aduan.storage import ObjectStore

PHOTO_URL_TTL = timedelta(minutes=15)


def _history(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "at": entry["at"].isoformat(),
            "from": entry["from"],
            "to": entry["to"],
            "by": entry["actor"]["kind"],
            "note": entry.get("note"),
        }
        for entry in report.get("history", [])
    ]


def _photos(report: dict[str, Any], store: ObjectStore) -> list[dict[str, str]]:
    photos = []
    for photo in report.get("photos", []):
        if photo.get("public_key"):
            photos.append(
                {
                    "url": store.presigned_url(store.public_bucket, photo["public_key"],
                                               PHOTO_URL_TTL),
                    "thumbnail_url": store.presigned_url(
                        store.public_bucket, photo["thumbnail_key"], PHOTO_URL_TTL
                    ),
                }
            )
    return photos


def report_view(
    report: dict[str, Any], store: ObjectStore, *, as_reporter: bool
) -> dict[str, Any]:
    """The public view, or the reporter's own view (with their contact and the verdict)."""
    view: dict[str, Any] = {
        "code": report["code"],
        "city": report["city"],
        "category": report["category"],
        "description": report["description"],
        "status": report["status"],
        "privacy": report["privacy"],
        "location": report["location"],
        "kecamatan": report.get("kecamatan"),
        "agencies": [a["code"] for a in report.get("agencies", [])],
        "created_at": report["created_at"].isoformat(),
        "updated_at": report["updated_at"].isoformat(),
        "photos": _photos(report, store),
        "history": _history(report),
    }
    if as_reporter:
        view["reporter"] = report.get("reporter")
        verification = report.get("verification") or {}
        view["verification"] = {
            "verdict": verification.get("verdict"),
            "reasons": verification.get("reasons", []),
        }
    return view


def visible_publicly(report: dict[str, Any]) -> bool:
    return report["privacy"] != "confidential"
