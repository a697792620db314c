"""Residents who follow a report ("me too"): anyone may ask to follow a report the public may
see, with an email address or a phone number. Following is double opt-in: the follower is
stored pending and sent one confirmation message (event `report.follow_requested
{follower_id}`, its link `#/follow/<CODE>/<FOLLOWER>/<TOKEN>`, aduan.infra.follower_tokens);
only once they open it (`plan_confirm`) do they hear of the report's public steps as the
reporter does, never anything of the reporter (services/notification/audiences.py
`for_followers`). So nobody can sign a stranger's address up for the city's messages.

A report keeps its followers in `followers` (`[{id, email, phone, language, at, requested_at,
confirmed_at}]`, `confirmed_at` None while pending), at most MAX_FOLLOWERS; a pending follower
left unconfirmed for PENDING_TTL is dropped at the next write. The same address follows once:
asking again while pending sends the confirmation again at most every RESEND_AFTER; asking
again once confirmed changes nothing. The caller is answered the same in every case (no way
to learn whether an address follows). Every write pins `followers_rev` (the followers read)
and bumps it, so concurrent writes read again rather than lose one another. Nobody reads the
followers back over the API: the count of confirmed ones only. Each message to a follower
carries a link that stops them (`plan_unfollow`). Followers stored before double opt-in have
no `confirmed_at` field and count as confirmed (they followed under the earlier rule).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aduan.domain.lifecycle import Plan
from aduan.domain.visibility import PUBLIC_PRIVACY, PUBLIC_STATUSES, is_public

MAX_FOLLOWERS = 500
PENDING_TTL = timedelta(hours=48)
RESEND_AFTER = timedelta(minutes=10)
FOLLOW_REQUESTED = "report.follow_requested"
# The steps a follower hears of: the public ones (what the reporter alone is told, e.g. a
# rejection or the first receipt, stays theirs).
FOLLOWER_STATUSES = frozenset({"forwarded", "referred", "accepted", "in_progress", "resolved",
                               "closed", "reopened"})


def new_follower(follower_id: str, email: str | None, phone: str | None, language: str,
                 now: datetime) -> dict[str, Any]:
    return {"id": follower_id, "email": email, "phone": phone, "language": language,
            "at": now, "requested_at": now, "confirmed_at": None}


def is_confirmed(follower: dict[str, Any]) -> bool:
    return "confirmed_at" not in follower or follower["confirmed_at"] is not None


def is_pending(follower: dict[str, Any], now: datetime) -> bool:
    """Unconfirmed and still confirmable (asked less than PENDING_TTL ago)."""
    if is_confirmed(follower):
        return False
    asked = follower.get("requested_at") or follower.get("at")
    return isinstance(asked, datetime) and _aware(asked, now) > now - PENDING_TTL


def _live(report: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    return [f for f in report.get("followers") or []
            if isinstance(f, dict) and (is_confirmed(f) or is_pending(f, now))]


def _same_address(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return bool((one.get("email") and other.get("email") == one["email"])
                or (one.get("phone") and other.get("phone") == one["phone"]))


def with_address(report: dict[str, Any], follower: dict[str, Any], now: datetime
                 ) -> dict[str, Any] | None:
    """The report's live follower (confirmed or pending) with the follower's email or phone."""
    return next((f for f in _live(report, now) if _same_address(follower, f)), None)


def is_full(report: dict[str, Any], now: datetime) -> bool:
    return len(_live(report, now)) >= MAX_FOLLOWERS


def pinned_followers(report: dict[str, Any]) -> dict[str, Any]:
    """The condition that the followers are still those read (routing adds it to a write on a
    report taken from its event: the notifier tells the followers that write's event names)."""
    rev = report.get("followers_rev")
    return {"followers_rev": rev if rev is not None else {"$exists": False}}


_pinned = pinned_followers


def _write(action: str, report: dict[str, Any], followers: list[dict[str, Any]],
           conditions: dict[str, Any] | None = None, event: str | None = None) -> Plan:
    return Plan(action, None,
                set={"followers": followers,
                     "followers_rev": int(report.get("followers_rev") or 0) + 1},
                conditions={**_pinned(report), **(conditions or {})},
                routing_key=FOLLOW_REQUESTED if event else "",
                event_body={"follower_id": event} if event else {})


def plan_follow(report: dict[str, Any], follower: dict[str, Any], now: datetime
                ) -> Plan | None:
    """Stores `follower` pending and asks for its confirmation (`report.follow_requested`),
    where the report is still public and has the followers read. For an address already
    pending, asks again (same follower, same link) once RESEND_AFTER has passed; None when
    there is nothing to do (confirmed, or asked a moment ago). Expired pending followers are
    dropped in the same write. The caller checks `is_full` for a new address."""
    live = _live(report, now)
    public = {"status": {"$in": list(PUBLIC_STATUSES)},
              "privacy": {"$in": list(PUBLIC_PRIVACY)}}
    existing = next((f for f in live if _same_address(follower, f)), None)
    if existing is None:
        return _write("follow", report, [*live, follower], public, follower["id"])
    if is_confirmed(existing):
        return None
    asked = _aware(existing.get("requested_at") or existing["at"], now)
    if asked > now - RESEND_AFTER:
        return None
    again = [{**f, "requested_at": now} if f is existing else f for f in live]
    return _write("follow", report, again, public, existing["id"])


def confirmable(report: dict[str, Any], follower_id: str, now: datetime) -> bool:
    """Whether the follower is on the report, confirmed already or still pending."""
    return any(f.get("id") == follower_id for f in _live(report, now))


def plan_confirm(report: dict[str, Any], follower_id: str, now: datetime) -> Plan | None:
    """Confirms a pending follower (from then on they hear the report's news); None when
    there is nothing to write (confirmed already, expired or not following)."""
    live = _live(report, now)
    found = next((f for f in live if f.get("id") == follower_id), None)
    if found is None or is_confirmed(found):
        return None
    return _write("follow", report,
                  [{**f, "confirmed_at": now} if f is found else f for f in live])


def plan_unfollow(report: dict[str, Any], follower_id: str) -> Plan | None:
    """Takes the follower off where the report still has the followers that were read (a
    concurrent follow or unfollow makes the caller read again); None when it does not follow."""
    followers = list(report.get("followers") or [])
    kept = [f for f in followers if f.get("id") != follower_id]
    if len(kept) == len(followers):
        return None
    return _write("unfollow", report, kept)


def confirmed_count(report: dict[str, Any]) -> int:
    return sum(1 for f in report.get("followers") or []
               if isinstance(f, dict) and is_confirmed(f))


def followers_hear(report: dict[str, Any], status: str | None) -> bool:
    """Whether followers (by email, SMS or a device) are told that the report is now `status`
    (None: the staff handling it commented): while the report is public, on its public steps."""
    return (status is None or status in FOLLOWER_STATUSES) and is_public(report)


def followers_told(report: dict[str, Any], status: str | None) -> list[dict[str, Any]]:
    """The confirmed followers told that the report is now `status` (`followers_hear`)."""
    if not followers_hear(report, status):
        return []
    return [f for f in report.get("followers") or [] if isinstance(f, dict) and is_confirmed(f)]


def pending_follower(report: dict[str, Any], follower_id: Any, now: datetime
                     ) -> dict[str, Any] | None:
    """The follower a `report.follow_requested` asks to confirm, while it is still pending."""
    return next((f for f in report.get("followers") or [] if isinstance(f, dict)
                 and f.get("id") == follower_id and is_pending(f, now)), None)


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo or now.tzinfo is None else moment.replace(tzinfo=now.tzinfo)
