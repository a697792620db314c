"""Fixed-window request counters: this process's own for the per-address flood limits, and
MongoDB's, shared by every gateway process and replica, for the small budgets that must hold
exactly across all of them.

- `hit_local` (every request's per-address budget, and submitting): each gateway process
  counts in memory and allows its share of the budget, the limit divided by the number of
  processes answering (ADUAN_GATEWAY_REPLICAS x ADUAN_WEB_WORKERS), rounded down, at least 1.
  However a client's requests are spread, the whole fleet allows at most the limit per window
  (when the setting matches the replicas running); a client whose requests pile on one process
  is refused earlier. It costs no database command: these limits run on every request.
- `hit` (sign-in and the reporter's one-time code per address, client apps' API-key budgets):
  one find-and-modify per request on `rate_limits`, exact across the fleet; guessing is what
  these budgets slow down, and their endpoints are rare.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from pymongo.database import Database

from aduan.infra.db import increment
from aduan.web.errors import ApiError

WINDOW_S = 60


def _refused(limit: int, window: int, now: float) -> ApiError:
    retry_after = max(1, int((window + 1) * WINDOW_S - now) + 1)
    return ApiError(429, "rate_limited", "Too many requests; slow down.",
                    {"limit": limit, "window_s": WINDOW_S, "retry_after": retry_after})


def hit(db: Database, subject: str, limit: int, now: float | None = None) -> None:
    """Counts one request of `subject` in the shared counters; raises 429 (with retry_after in
    details) past `limit`."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    counter = increment(db.rate_limits, f"{subject}:{window}", on_insert={
        "expires_at": datetime.fromtimestamp((window + 2) * WINDOW_S, UTC)})
    if counter["n"] > limit:
        raise _refused(limit, window, now)


def share(limit: int, processes: int) -> int:
    """One process's part of a fleet-wide budget: never more than the budget in all."""
    return max(1, limit // max(1, processes))


class LocalCounters:
    """This process's counts in the current window (threads share them); a new window
    forgets the last, so memory holds at most one minute's distinct subjects."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def count(self, subject: str, window: int) -> int:
        with self._lock:
            if window > self._window:
                self._window, self._counts = window, {}
            # A request whose clock read the window before it turned counts in the new one.
            number = self._counts.get(subject, 0) + 1
            self._counts[subject] = number
            return number

    def __len__(self) -> int:
        """Subjects counted in the current window."""
        return len(self._counts)


def hit_local(counters: LocalCounters, subject: str, limit: int, processes: int,
              now: float | None = None) -> None:
    """Counts one request of `subject` in this process's `counters` (one per app); raises 429
    past its share of `limit` (`processes`: how many gateway processes split the budget)."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    allowed = share(limit, processes)
    if counters.count(subject, window) > allowed:
        raise _refused(allowed, window, now)
