"""Residents who follow a report ("me too"): anyone may follow a report the public may see,
with an email address or a phone number, and then hears of its public steps as the reporter
does, never anything of the reporter (services/notification/audiences.py `for_followers`).

A report keeps its followers in `followers` (`[{id, email, phone, language, at}]`), at most
MAX_FOLLOWERS; the same address follows once (a second request changes nothing and is
answered as the first). Nobody reads them back over the API: the count only. Each message to a
follower carries a link that stops them (`aduan.infra.follower_tokens`, `plan_unfollow`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aduan.domain.lifecycle import Plan
from aduan.domain.visibility import PUBLIC_PRIVACY, PUBLIC_STATUSES, is_public

MAX_FOLLOWERS = 500
# The steps a follower hears of: the public ones (what the reporter alone is told, e.g. a
# rejection or the first receipt, stays theirs).
FOLLOWER_STATUSES = frozenset({"forwarded", "referred", "accepted", "in_progress", "resolved",
                               "closed", "reopened"})


def new_follower(follower_id: str, email: str | None, phone: str | None, language: str,
                 now: datetime) -> dict[str, Any]:
    return {"id": follower_id, "email": email, "phone": phone, "language": language,
            "at": now}


def already_follows(report: dict[str, Any], follower: dict[str, Any]) -> bool:
    """Whether one of the report's followers has the follower's email or phone."""
    for other in report.get("followers") or []:
        if follower["email"] and other.get("email") == follower["email"]:
            return True
        if follower["phone"] and other.get("phone") == follower["phone"]:
            return True
    return False


def plan_follow(report: dict[str, Any], follower: dict[str, Any]) -> Plan:
    """Appends the follower where the report is still public, has room and no follower with
    the same address (so concurrent requests store one). No event, no status change."""
    conditions: dict[str, Any] = {
        f"followers.{MAX_FOLLOWERS - 1}": {"$exists": False},
        "status": {"$in": list(PUBLIC_STATUSES)},
        "privacy": {"$in": list(PUBLIC_PRIVACY)},
    }
    if follower["email"]:
        conditions["followers.email"] = {"$ne": follower["email"]}
    if follower["phone"]:
        conditions["followers.phone"] = {"$ne": follower["phone"]}
    return Plan("follow", None, push={"followers": follower}, conditions=conditions,
                routing_key="")


def plan_unfollow(report: dict[str, Any], follower_id: str) -> Plan | None:
    """Takes the follower off where the report still has the followers that were read (a
    concurrent follow or unfollow makes the caller read again); None when it does not follow."""
    followers = list(report.get("followers") or [])
    kept = [f for f in followers if f.get("id") != follower_id]
    if len(kept) == len(followers):
        return None
    count = len(followers)
    conditions = {f"followers.{count}": {"$exists": False},
                  f"followers.{count - 1}": {"$exists": True}, "followers.id": follower_id}
    return Plan("unfollow", None, set={"followers": kept}, conditions=conditions,
                routing_key="")


def is_full(report: dict[str, Any]) -> bool:
    return len(report.get("followers") or []) >= MAX_FOLLOWERS


def followers_told(report: dict[str, Any], status: str | None) -> list[dict[str, Any]]:
    """The followers told that the report is now `status` (None: the staff handling it
    commented): while the report is public, on its public steps."""
    if (status is not None and status not in FOLLOWER_STATUSES) or not is_public(report):
        return []
    return [f for f in report.get("followers") or [] if isinstance(f, dict)]
