"""Sign-in attempts per account, whatever address they come from.

Every attempt counts against its account as a failure until it succeeds; a successful sign-in
forgets the account's count. From the `login_failures_before_backoff`-th attempt on, the next
one must wait 2, 4, 8 ... seconds (at most `login_backoff_max_s`); an attempt too early is
refused with 429 `login_throttled` without its password being checked, so guessing stays slow
however many addresses guess. An attempt takes its turn with one conditional update on the
count it read, so a burst of simultaneous guesses gets no more turns than guesses one after
the other. Unknown usernames are counted like real ones (the answer tells no one which exist).
"""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, datetime, timedelta

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aduan.infra.config import Settings
from aduan.web.errors import ApiError

# A record is forgotten this long after its last attempt's wait is over.
KEEP = timedelta(days=1)
# Attempts that lose the race for a turn this often in a row are refused as throttled.
TURN_TRIES = 8


def _key(username: str) -> str:
    return username.strip().lower()


def backoff_s(settings: Settings, failures: int) -> int:
    """The wait after `failures` failures in a row (0 below the threshold)."""
    step = failures - settings.login_failures_before_backoff + 1
    if step <= 0:
        return 0
    return min(2 ** min(step, 30), settings.login_backoff_max_s)


def _throttled(wait: timedelta) -> ApiError:
    return ApiError(429, "login_throttled",
                    "Too many failed sign-ins to this account; wait before trying again.",
                    {"retry_after": max(1, math.ceil(wait.total_seconds()))})


def take_turn(db: Database, settings: Settings, username: str,
              now: datetime | None = None) -> None:
    """Counts one attempt against the account, or raises 429 while the account must wait."""
    now = now or datetime.now(UTC)
    key = _key(username)
    for _ in range(TURN_TRIES):
        record = db.login_failures.find_one({"_id": key})
        if record is None:
            with contextlib.suppress(DuplicateKeyError):  # another attempt made it first
                db.login_failures.insert_one({"_id": key, "failures": 0,
                                              "expires_at": now + KEEP})
            continue
        allowed_at = record.get("next_allowed_at")
        if allowed_at is not None and allowed_at.replace(tzinfo=UTC) > now:
            raise _throttled(allowed_at.replace(tzinfo=UTC) - now)
        failures = record["failures"] + 1
        wait = timedelta(seconds=backoff_s(settings, failures))
        taken = db.login_failures.update_one(
            {"_id": key, "failures": record["failures"]},
            {"$set": {"failures": failures, "next_allowed_at": now + wait,
                      "expires_at": now + wait + KEEP}})
        if taken.modified_count == 1:
            return
    raise _throttled(timedelta(seconds=1))


def succeeded(db: Database, username: str) -> None:
    db.login_failures.delete_one({"_id": _key(username)})
