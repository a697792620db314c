"""Sign-in attempts per account, whatever address they come from.

Once an account has `login_failures_before_backoff` failed sign-ins in a row, each further
attempt must wait 2, 4, 8 ... seconds after the previous failure (at most
`login_backoff_max_s`); an attempt too early is refused with 429 `login_throttled` without
the password being checked, so guessing stays slow however many addresses guess. Unknown
usernames are counted like real ones (the answer tells no one which exist). A successful
sign-in starts the account again from zero.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from pymongo.database import Database

from aduan.config import Settings
from aduan.db import increment
from aduan.errors import ApiError

# A record is forgotten this long after its last failure (or its wait, if longer).
KEEP = timedelta(days=1)


def _key(username: str) -> str:
    return username.strip().lower()


def backoff_s(settings: Settings, failures: int) -> int:
    """The wait after `failures` failures in a row (0 below the threshold)."""
    step = failures - settings.login_failures_before_backoff + 1
    if step <= 0:
        return 0
    return min(2 ** min(step, 30), settings.login_backoff_max_s)


def check(db: Database, username: str, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    record = db.login_failures.find_one({"_id": _key(username)}, {"next_allowed_at": 1})
    if record is None or record.get("next_allowed_at") is None:
        return
    allowed_at = record["next_allowed_at"].replace(tzinfo=UTC)
    if allowed_at > now:
        wait = max(1, math.ceil((allowed_at - now).total_seconds()))
        raise ApiError(429, "login_throttled",
                       "Too many failed sign-ins to this account; wait before trying again.",
                       {"retry_after": wait})


def record_failure(db: Database, settings: Settings, username: str,
                   now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    record = increment(db.login_failures, _key(username), field="failures")
    wait = timedelta(seconds=backoff_s(settings, record["failures"]))
    if wait:
        # $max: two failures at once never shorten the wait the later one set.
        db.login_failures.update_one(
            {"_id": record["_id"]},
            {"$max": {"next_allowed_at": now + wait, "expires_at": now + wait + KEEP}})
    else:
        db.login_failures.update_one({"_id": record["_id"]},
                                     {"$max": {"expires_at": now + KEEP}})


def record_success(db: Database, username: str) -> None:
    db.login_failures.delete_one({"_id": _key(username)})
