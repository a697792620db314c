"""The one rule of what the public may see of a report, for the public list and for every
look-up by code (intake, Open311, routing, photos): a report is public once staff or the
photo checks have let it through, and never when it is confidential. Anyone else (the
reporter with their token, staff allowed to see it) is decided by the caller."""

from __future__ import annotations

from typing import Any

# Statuses a report must have reached before anyone outside the city hall may see it.
PUBLIC_STATUSES = ("verified", "forwarded", "referred", "accepted", "in_progress", "resolved",
                   "closed", "reopened")
PUBLIC_PRIVACY = ("public", "anonymous")


def public_conditions() -> dict[str, Any]:
    """The MongoDB conditions of a publicly visible report."""
    return {"status": {"$in": list(PUBLIC_STATUSES)}, "privacy": {"$in": list(PUBLIC_PRIVACY)}}


def is_public(report: dict[str, Any]) -> bool:
    return report.get("status") in PUBLIC_STATUSES and report.get("privacy") in PUBLIC_PRIVACY


NOT_FOUND_MESSAGE = "No report has this tracking code."


def shown_texts(entry: dict[str, Any], *, staff: bool, reporter: bool = False
                ) -> dict[str, Any]:
    """The texts of a history entry an audience may read. Staff's `note` is internal: only
    staff read it. What the reporter and the public read of an answer is the entry's
    `public_response`; the reporter also reads their own words (a reopening's reason)."""
    shown: dict[str, Any] = {"public_response": entry.get("public_response")}
    own_words = reporter and (entry.get("actor") or {}).get("kind") == "reporter"
    if staff or own_words:
        shown["note"] = entry.get("note")
    return shown
