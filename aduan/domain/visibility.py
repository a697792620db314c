"""Who sees which report, and which of its fields: the one policy of every read path (intake's
lists and views, the photos, routing's workflow, Open311 through intake, the mails to staff).

- The public: a report once staff or the photo checks have let it through, never a
  confidential one; never the reporter, never staff's internal notes.
- The reporter, with their tracking token: their own report, whatever its status.
- Staff of the report's city: every report of the city; agency staff only the reports their
  agency holds now (not once withdrawn, marked duplicate or handed back); the head of an
  agency, who reads but does not act, every report its agency holds or ever held. An operator
  sees every reporter; other staff only the reporter of a public (not anonymous, not
  confidential) report.

Anyone else is told what a stranger is told of a report that does not exist.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from aduan.domain.lifecycle import agency_holds, agency_holds_filter
from aduan.domain.roles import AGENCY_HEAD, OPERATOR

Audience = Literal["public", "reporter", "staff"]
AUDIENCES: tuple[Audience, ...] = ("staff", "reporter", "public")

# Statuses a report must have reached before anyone outside the city hall may see it.
PUBLIC_STATUSES = ("verified", "forwarded", "referred", "accepted", "in_progress", "resolved",
                   "closed", "reopened")
PUBLIC_PRIVACY = ("public", "anonymous")
# Staff who read every reporter's identity, a confidential one's included.
SEE_EVERY_REPORTER = frozenset({OPERATOR})



class Staff(Protocol):
    """A signed-in staff member as the policy needs them (aduan.web.auth.Principal)."""

    @property
    def role(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def agency(self) -> str | None: ...
    @property
    def is_agency(self) -> bool: ...


def public_conditions(statuses: set[str] | None = None) -> dict[str, Any]:
    """The MongoDB conditions of a publicly visible report; `statuses` narrows them (what is
    not public among them is dropped)."""
    wanted = sorted(set(statuses) & set(PUBLIC_STATUSES)) if statuses is not None \
        else list(PUBLIC_STATUSES)
    return {"status": {"$in": wanted}, "privacy": {"$in": list(PUBLIC_PRIVACY)}}


def is_public(report: dict[str, Any]) -> bool:
    return report.get("status") in PUBLIC_STATUSES and report.get("privacy") in PUBLIC_PRIVACY


def staff_may_see(report: dict[str, Any], staff: Staff) -> bool:
    if report.get("city") != staff.city:
        return False
    if staff.role == AGENCY_HEAD:
        return any(a["code"] == staff.agency for a in report.get("agencies") or [])
    return agency_holds(report, staff.agency) if staff.is_agency else True


def staff_conditions(staff: Staff) -> dict[str, Any]:
    """`staff_may_see` as MongoDB conditions, for staff's lists."""
    conditions: dict[str, Any] = {"city": staff.city}
    if staff.role == AGENCY_HEAD:
        conditions["agencies.code"] = staff.agency or ""
    elif staff.is_agency:
        conditions.update(agency_holds_filter(staff.agency or ""))
    return conditions


def audience_of(report: dict[str, Any], *, staff: Staff | None, reporter: bool
                ) -> Audience | None:
    """Who the caller is to this report: staff who may see it, its reporter (`reporter`: the
    caller's tracking token is the report's), anyone while it is public; None when the caller
    may not see it at all."""
    if staff is not None and staff_may_see(report, staff):
        return "staff"
    if reporter:
        return "reporter"
    if is_public(report):
        return "public"
    return None


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


def staff_see_reporter(report: dict[str, Any], role: str | None) -> bool:
    """Whether staff of `role` see who filed the report (None: staff reached by mail)."""
    return role in SEE_EVERY_REPORTER or report.get("privacy", "public") == "public"


def reporter_name_for_staff(report: dict[str, Any]) -> str | None:
    """The reporter's name as mails to staff (agency liaisons, heads, leaders) show it: "" when
    a public report gave none, None when it must be withheld. Never an email or a phone."""
    if not staff_see_reporter(report, None):
        return None
    return ((report.get("reporter") or {}).get("name")) or ""


# What a webhook subscription receives of a report, by who owns it: a confidential report goes
# whole to the city, as facts without description and position to an agency, not at all to a
# client app; any other report goes whole to all. Never anything about the reporter.
WebhookShare = Literal["whole", "facts", "nothing"]
_CONFIDENTIAL_SHARE: dict[str, WebhookShare] = {"city": "whole", "agency": "facts",
                                                "client": "nothing"}


def webhook_share(owner: str, report: dict[str, Any]) -> WebhookShare:
    if report.get("privacy") != "confidential":
        return "whole"
    return _CONFIDENTIAL_SHARE.get(owner, "nothing")
