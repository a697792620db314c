"""What may leave Aduan about a report, in mails to staff and in webhooks: the visibility
policy's rules (aduan.domain.visibility) applied to the notification service's messages.

- Staff (agency liaisons, heads, leaders) get the report's facts and description, but the
  reporter's name only for a public report, and never a reporter's email or phone (the
  visibility policy: aduan.domain.visibility.reporter_name_for_staff).
- Webhooks never carry anything about the reporter. For a confidential report, a subscription
  owned by the city gets the whole report; one owned by an agency gets neither the description
  nor the exact location; a client app's subscription gets nothing at all.
"""

from __future__ import annotations

from typing import Any

from aduan.contracts.webhooks import OWNERS
from aduan.domain.report_types import type_of
from aduan.domain.visibility import reporter_name_for_staff, webhook_share
from services.notification.templates import ReportSummary

CITY, AGENCY, CLIENT = OWNERS


def location_text(report: dict[str, Any]) -> str:
    location = report.get("location") or {}
    parts = []
    if location.get("address"):
        parts.append(str(location["address"]))
    if report.get("kecamatan"):
        parts.append(f"Kec. {report['kecamatan']['name']}")
    # An address typed at the desk is stored with lat and lon null.
    if location.get("lat") is not None and location.get("lon") is not None:
        parts.append(f"{location['lat']:.5f}, {location['lon']:.5f}")
    return " · ".join(parts) or "-"


def staff_summary(report: dict[str, Any], category_name: str) -> ReportSummary:
    return ReportSummary(
        code=report["code"],
        category=category_name,
        location=location_text(report),
        description=report.get("description"),
        reporter=reporter_name_for_staff(report),
        privacy=report.get("privacy", "public"),
        status=report["status"],
        type=type_of(report),
    )


def webhook_may_receive(owner: str, report: dict[str, Any]) -> bool:
    return webhook_share(owner, report) != "nothing"


# report.commented carries who wrote (`author`: reporter or a staff role) and the comment's id,
# never its text (the reporter's words may name them).
EVENT_DATA_FIELDS = ("from", "status", "agencies", "actor_role", "agency", "kind", "due_at",
                     "escalate_to", "author", "comment_id")


def webhook_payload(delivery_id: str, event_key: str, body: dict[str, Any],
                    report: dict[str, Any], owner: str) -> dict[str, Any]:
    full = webhook_share(owner, report) == "whole"
    view: dict[str, Any] = {
        "code": report["code"],
        "city": report["city"],
        "category": report.get("category"),
        "type": type_of(report),  # complaint, aspiration, information_request
        "status": report["status"],
        "privacy": report.get("privacy", "public"),
        "agencies": [a["code"] for a in report.get("agencies") or []],
        "kecamatan": report.get("kecamatan"),
        "created_at": _iso(report.get("created_at")),
    }
    if full:
        view["location"] = report.get("location")
        view["description"] = report.get("description")
    return {
        "id": delivery_id,
        "event": event_key,
        "occurred_at": body.get("occurred_at"),
        "report": view,
        "data": {k: body[k] for k in EVENT_DATA_FIELDS if k in body},
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value
