"""What each audience may see of a report, as the visibility policy decides it
(aduan.domain.visibility): the public view (also the reporter's, with their contact and the
verdict), the staff view, and the rows of the lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aduan.domain.report_types import has_point, type_of
from aduan.domain.stages import kiniko_stage, stages
from aduan.domain.visibility import shown_texts, staff_see_reporter
from aduan.infra.stage_views import city_stage_view
from aduan.web import photo_urls
from aduan.web.auth import Principal


def _history(report: dict[str, Any], with_actors: bool, as_reporter: bool = False
             ) -> list[dict[str, Any]]:
    entries = []
    for entry in report.get("history", []):
        item = {
            "at": entry["at"].isoformat(),
            "from": entry["from"],
            "to": entry["to"],
            "by": entry["actor"]["kind"],
            **shown_texts(entry, staff=with_actors, reporter=as_reporter),
        }
        if with_actors:
            item["actor"] = {"id": entry["actor"].get("id"), "role": entry["actor"].get("role")}
        entries.append(item)
    return entries


def _photos(report: dict[str, Any], base_url: str) -> list[dict[str, str]]:
    """The published (EXIF-free) copies, at the gateway's stable addresses."""
    return [photo_urls.report_photo(base_url, report["code"], number)
            for number, photo in enumerate(report.get("photos", []), start=1)
            if photo.get("public_key")]


def _comments(report: dict[str, Any], base_url: str, with_authors: bool
              ) -> list[dict[str, Any]]:
    comments = []
    for comment in report.get("comments", []):
        item: dict[str, Any] = {"at": comment["at"].isoformat(), "by": comment["by"],
                                "agency": comment.get("agency"), "text": comment["text"]}
        if with_authors:
            item["author_id"] = comment.get("author_id")
            if comment.get("photo"):  # only the stripped copy is ever served
                urls = photo_urls.comment_photo(base_url, report["code"], comment["id"])
                item["photo_url"], item["photo_thumbnail_url"] = urls["url"], \
                    urls["thumbnail_url"]
        comments.append(item)
    return comments


def _base(report: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {
        "code": report["code"],
        "city": report["city"],
        "category": report["category"],
        "type": type_of(report),
        "description": report["description"],
        "status": report["status"],
        "privacy": report["privacy"],
        "channel": report.get("channel"),
        "location": report.get("location"),  # null, or an address without a point, may be
        "no_photo": bool(report.get("no_photo")),
        "kecamatan": report.get("kecamatan"),
        "agencies": [a["code"] for a in report.get("agencies", [])],
        "created_at": report["created_at"].isoformat(),
        "updated_at": report["updated_at"].isoformat(),
        "photos": _photos(report, base_url),
        "expected_at": _iso(expected_at(report)),
    }


def report_view(
    report: dict[str, Any], base_url: str, *, as_reporter: bool
) -> dict[str, Any]:
    """The public view, or the reporter's own view (with their contact and the verdict)."""
    view = _base(report, base_url)
    view["history"] = _history(report, with_actors=False, as_reporter=as_reporter)
    view["comments"] = _comments(report, base_url, with_authors=False)
    # Whoever may see the report sees where it stands in its city's stages, and the vertical
    # body it was referred to with how to reach its desk.
    view["stages"] = stages(report, city_stage_view(report["city"]))
    view["referral"] = report.get("referral")
    if as_reporter:
        view["reporter"] = report.get("reporter")
        verification = report.get("verification") or {}
        view["verification"] = {
            "verdict": verification.get("verdict"),
            "reasons": verification.get("reasons", []),
        }
    return view


def staff_view(report: dict[str, Any], base_url: str, principal: Principal,
               statuses: dict[str, str] | None = None) -> dict[str, Any]:
    """`statuses`: the status now of the reports listed as possible duplicates, by id."""
    view = _base(report, base_url)
    view["id"] = report["_id"]
    view["history"] = _history(report, with_actors=True)
    view["comments"] = _comments(report, base_url, with_authors=True)
    view["assignments"] = [
        {"code": a["code"], "name": a.get("name"), "status": a.get("status")}
        for a in report.get("agencies", [])
    ]
    view["verification"] = report.get("verification")
    view["triage"] = bool(report.get("triage"))
    view["media_fetch_failed"] = report.get("media_fetch_failed")  # Open311 media_url's failure
    # Where a connector's report came from: {"system": "sp4n_lapor", "id": <Tracking ID>}.
    view["external"] = report.get("external")
    view["reporter"] = report.get("reporter") if staff_see_reporter(report, principal.role) \
        else None
    # The phone's own reading beside the photo (what device_location_* reasons compare): where
    # the reporter stood, so shown to those who may see who the reporter is.
    view["device_location"] = report.get("device_location") \
        if staff_see_reporter(report, principal.role) else None
    # Other reports of the city, which agency staff may not know of; the city's staff decide.
    if not principal.is_agency:
        view["possible_duplicates"] = [
            {**entry, "status": (statuses or {}).get(entry["report_id"])}
            for entry in report.get("possible_duplicates") or []]
    return view


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """A list row: enough for a list or a map, nothing about the reporter."""
    return {
        "code": report["code"],
        "category": report["category"],
        "type": type_of(report),
        "status": report["status"],
        "stage": kiniko_stage(report),
        "location": report.get("location"),
        "no_photo": bool(report.get("no_photo")),
        "kecamatan": report.get("kecamatan"),
        "agencies": [a["code"] for a in report.get("agencies", [])],
        "created_at": report["created_at"].isoformat(),
        "updated_at": report["updated_at"].isoformat(),
    }


def expected_at(report: dict[str, Any]) -> datetime | None:
    """The deadline running now: the agencies' answer, else the forwarding one."""
    dues = [a["due_at"] for a in report.get("agencies", []) if a.get("due_at")]
    if dues:
        return max(dues)
    return report.get("forward_due_at")


def public_row(report: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A list row in full (`detail=full`): the public view without history and comments, for
    clients that mirror the list (Open311)."""
    return _base(report, base_url)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def as_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows with a point (a report may have an address only, or no location)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point",
                             "coordinates": [row["location"]["lon"], row["location"]["lat"]]},
                "properties": {k: v for k, v in row.items() if k != "location"},
            }
            for row in rows if has_point(row)
        ],
    }
