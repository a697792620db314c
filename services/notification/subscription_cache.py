"""The active webhook subscriptions, one copy per notification process
(`aduan.infra.versioned_cache`): the webhook API announces each change, so a subscription made
or deleted through it is in effect for every event from its answer on, without a read of
`webhook_subscriptions` per event."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from aduan.infra.versioned_cache import VersionedCache, Versions

NAME = "webhook_subscriptions"  # the counter services/notification/api.py bumps


def _load(db: Database) -> list[dict[str, Any]]:
    return list(db.webhook_subscriptions.find({"active": True}))


class SubscriptionCache:
    def __init__(self, versions: Versions, max_age_s: float = 60.0) -> None:
        self._cache = VersionedCache(versions, NAME, _load, max_age_s)

    def subscribed(self, event_key: str) -> list[dict[str, Any]]:
        """As `webhooks.subscribed`: the active subscriptions to this kind of event (city,
        agency and owner not checked)."""
        return [s for s in self._cache.get() if event_key in s.get("events", ())]
