"""Staff who must sign in again: a user disabled, given another role or agency, or a new
password loses the access tokens issued before that moment, in every service, within
`revocation_refresh_s` (access tokens themselves live 15 minutes).

    token_revocations: {_id: user id, not_before: datetime}

Each process keeps the recent revocations in memory and re-reads them (one small query) when
its copy is older than `revocation_refresh_s`, so checking a token costs no database command."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from pymongo.database import Database

from aduan.infra.config import Settings


def revoke_access(db: Database, user_id: str, now: datetime | None = None) -> None:
    db.token_revocations.update_one(
        {"_id": user_id}, {"$set": {"not_before": now or datetime.now(UTC)}}, upsert=True)


class Revocations:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._not_before: dict[str, float] = {}

    def revoked(self, db: Database, user_id: str, issued_at: float) -> bool:
        """True when the user's tokens issued at `issued_at` (epoch seconds) no longer count."""
        self._refresh(db)
        cutoff = self._not_before.get(user_id)
        return cutoff is not None and issued_at < cutoff

    def _refresh(self, db: Database) -> None:
        if time.monotonic() - self._read_at < self.settings.revocation_refresh_s:
            return
        with self._lock:
            if time.monotonic() - self._read_at < self.settings.revocation_refresh_s:
                return
            # Older revocations concern tokens that have expired anyway.
            since = datetime.now(UTC) - timedelta(seconds=self.settings.access_token_ttl_s + 60)
            self._not_before = {
                doc["_id"]: doc["not_before"].timestamp()
                for doc in db.token_revocations.find({"not_before": {"$gt": since}})}
            self._read_at = time.monotonic()
