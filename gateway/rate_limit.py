"""Fixed-window request counters in MongoDB, shared by every gateway process and replica."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pymongo.database import Database

from aduan.infra.db import increment
from aduan.web.errors import ApiError

WINDOW_S = 60


def hit(db: Database, subject: str, limit: int, now: float | None = None) -> None:
    """Counts one request of `subject`; raises 429 (with retry_after in details) past `limit`."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    counter = increment(db.rate_limits, f"{subject}:{window}", on_insert={
        "expires_at": datetime.fromtimestamp((window + 2) * WINDOW_S, UTC)})
    if counter["n"] > limit:
        retry_after = max(1, int((window + 1) * WINDOW_S - now) + 1)
        raise ApiError(429, "rate_limited", "Too many requests; slow down.",
                       {"limit": limit, "window_s": WINDOW_S, "retry_after": retry_after})



