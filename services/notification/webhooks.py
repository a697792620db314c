"""Webhooks: subscriptions, one scheduled delivery per (event, subscription), and one attempt.

A subscription (`webhook_subscriptions`):
    {_id, url, secret, events: ["report.forwarded", ...], city: "padang",
     agency: null | "DLH", owner: "city" | "agency" | "client", description, active,
     created_at, created_by}
`city` is always set (the creating sysadmin's city); `agency` narrows what it hears: an
agency filter matches reports given to that agency (and SLA breaches of it). The secret is
stored because every delivery is signed with it; it is never shown again after creation.

The consumer only *schedules* deliveries (a `deliveries` document with channel "webhook",
the exact JSON body, result "pending" and `next_attempt_at`); the dispatcher process
(`services.notification.dispatcher`) makes the attempts, with growing delays, and parks a
delivery after `webhook_max_attempts`. Operators list parked deliveries and redeliver them.
"""

from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import urllib3
from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aduan.contracts.webhooks import SubscriptionIn
from aduan.infra import metrics
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.public_addresses import TargetRefused
from services.notification import signing
from services.notification.deliveries import CANCELLED, PARKED, PENDING, SENT
from services.notification.privacy import webhook_may_receive, webhook_payload
from services.notification.senders import PinnedWebhookSender, WebhookSender

log = logging.getLogger(__name__)


def new_subscription(data: SubscriptionIn, created_by: str) -> dict[str, Any]:
    return {
        "_id": uuid.uuid4().hex,
        **data.model_dump(),
        "events": sorted(set(data.events)),
        "active": True,
        "created_at": datetime.now(UTC),
        "created_by": created_by,
    }


def subscription_view(doc: dict[str, Any]) -> dict[str, Any]:
    view = {k: doc.get(k) for k in ("url", "events", "city", "agency", "owner", "description",
                                    "active", "created_by")}
    return {"id": doc["_id"], **view, "created_at": doc["created_at"].isoformat()}


def masked_url(url: str) -> str:
    """Where a delivery goes, without the path or query (which often carry a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def event_agencies(body: dict[str, Any], report: dict[str, Any]) -> set[str]:
    codes = {a["code"] for a in report.get("agencies") or [] if "code" in a}
    codes |= {c for c in body.get("agencies") or [] if isinstance(c, str)}
    if isinstance(body.get("agency"), str):
        codes.add(body["agency"])
    return codes


def matches(subscription: dict[str, Any], event_key: str, body: dict[str, Any],
            report: dict[str, Any]) -> bool:
    if event_key not in subscription.get("events", ()):
        return False
    # A subscription hears one city; one stored without a city (before every webhook had to
    # name one) hears nothing rather than every city.
    if subscription.get("city") != report["city"]:
        return False
    if subscription.get("agency") and subscription["agency"] not in event_agencies(body, report):
        return False
    return webhook_may_receive(subscription.get("owner", "client"), report)


def subscribed(db: Database, event_key: str) -> list[dict[str, Any]]:
    """The active subscriptions to this kind of event (city, agency and owner not checked)."""
    return list(db.webhook_subscriptions.find({"active": True, "events": event_key}))


def schedule(db: Database, message_id: str, event_key: str, body: dict[str, Any],
             report: dict[str, Any], subscriptions: list[dict[str, Any]]) -> int:
    """Stores one pending delivery per matching subscription; a redelivered event finds them
    stored already and adds nothing. Returns how many were new."""
    now = datetime.now(UTC)
    added = 0
    for subscription in subscriptions:
        if not matches(subscription, event_key, body, report):
            continue
        delivery_id = f"{message_id}:webhook:{subscription['_id']}"
        payload = webhook_payload(delivery_id, event_key, body, report,
                                  subscription.get("owner", "client"))
        try:
            db.deliveries.insert_one({
                "_id": delivery_id, "report_id": report["_id"], "city": report["city"],
                "event": event_key, "message_id": message_id, "channel": "webhook",
                "audience": subscription.get("owner", "client"),
                "recipient": masked_url(subscription["url"]),
                "subscription_id": subscription["_id"],
                "payload": json.dumps(payload, separators=(",", ":"), default=str),
                "result": PENDING, "attempts": 0, "next_attempt_at": now,
                "created_at": now, "updated_at": now,
            })
            added += 1
        except DuplicateKeyError:
            continue
    return added


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    delays = settings.webhook_retry_delays_ms
    return timedelta(milliseconds=delays[min(attempts - 1, len(delays) - 1)])


class Dispatcher:
    """Makes the due webhook attempts: claims a batch of due deliveries (one index scan, then
    one conditional update by id each, so copies of the dispatcher never take the same one)
    and makes the attempts in parallel. A claim is a lease: if this copy dies mid-attempt,
    the delivery is due again once `delivery_lease_s` has passed."""

    def __init__(self, settings: Settings, db: Database, sender: WebhookSender) -> None:
        self.settings = settings
        self.db = db
        self.sender = sender
        self.concurrency = max(1, settings.webhook_concurrency)
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="webhook")

    @classmethod
    def from_settings(cls, settings: Settings) -> Dispatcher:
        return cls(settings, get_db(settings), PinnedWebhookSender(settings))

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def claim_due(self, limit: int) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        due = {"channel": "webhook", "result": PENDING, "next_attempt_at": {"$lte": now}}
        candidates = [d["_id"] for d in self.db.deliveries.find(due, {"_id": 1})
                      .sort("next_attempt_at", 1).limit(limit)]
        claimed = []
        for candidate in candidates:
            delivery = self.db.deliveries.find_one_and_update(
                {"_id": candidate, **due},
                {"$set": {"next_attempt_at": now + timedelta(
                    seconds=self.settings.delivery_lease_s),
                    "lease_token": uuid.uuid4().hex, "updated_at": now},
                 "$inc": {"attempts": 1}},
                return_document=ReturnDocument.AFTER,
            )
            if delivery is not None:  # else another copy took it first
                claimed.append(delivery)
        return claimed

    def run_once(self) -> list[str]:
        """One batch of due deliveries attempted; their new results (empty: nothing due)."""
        batch = self.claim_due(self.concurrency)
        return list(self._executor.map(self.attempt, batch))

    def attempt(self, delivery: dict[str, Any]) -> str:
        subscription = self.db.webhook_subscriptions.find_one(
            {"_id": delivery["subscription_id"], "active": True})
        if subscription is None:
            return self._finish(delivery, CANCELLED, None, "subscription deleted")
        body = delivery["payload"].encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Aduan-Webhooks/1",
            signing.EVENT_HEADER: delivery["event"],
            signing.DELIVERY_HEADER: delivery["_id"],
            signing.SIGNATURE_HEADER: signing.sign(subscription["secret"], body),
        }
        started = datetime.now(UTC)
        status: str | None = None
        error: str | None = None
        try:  # the sender checks the address again: the name may resolve elsewhere by now
            answer = self.sender.post(subscription["url"], body, headers)
            status = f"HTTP {answer}"
            ok = 200 <= answer < 300
        except TargetRefused as refused:
            if refused.code == "webhook_host_unresolvable":  # DNS may answer again later
                return self._failed(delivery, None, "host unresolvable")
            return self._finish(delivery, PARKED, None, refused.code.removeprefix("webhook_"))
        except urllib3.exceptions.HTTPError as err:
            ok, error = False, type(err).__name__
        metrics.notification_send_duration.labels("webhook").observe(
            (datetime.now(UTC) - started).total_seconds())
        if ok:
            return self._finish(delivery, SENT, status, None)
        return self._failed(delivery, status, error or status)

    def _failed(self, delivery: dict[str, Any], status: str | None, error: str | None) -> str:
        """Another attempt later, or parked once the attempts are used up."""
        if delivery["attempts"] >= self.settings.webhook_max_attempts:
            return self._finish(delivery, PARKED, status, error)
        return self._finish(delivery, PENDING, status, error,
                            retry_at=datetime.now(UTC) + retry_delay(self.settings,
                                                                      delivery["attempts"]))

    def _finish(self, delivery: dict[str, Any], result: str, provider_status: str | None,
                error: str | None, retry_at: datetime | None = None) -> str:
        now = datetime.now(UTC)
        update: dict[str, Any] = {"result": result, "provider_status": provider_status,
                                  "error": error, "updated_at": now}
        if result == SENT:
            update["sent_at"] = now
        if retry_at is not None:
            update["next_attempt_at"] = retry_at
        # A delivery cancelled while its attempt was in flight stays cancelled, unless the
        # receiver did get it: then "sent" is the truth.
        still = [PENDING, CANCELLED] if result == SENT else [PENDING]
        self.db.deliveries.update_one(
            {"_id": delivery["_id"], "lease_token": delivery["lease_token"],
             "result": {"$in": still}}, {"$set": update})
        metrics.notifications_sent.labels(
            "webhook", "failed" if result == PENDING else result).inc()
        log.info("webhook delivery %s attempt %d: %s (%s)", delivery["_id"],
                 delivery["attempts"], "retry later" if result == PENDING else result,
                 provider_status or error)
        return result


class NotRedeliverable(Exception):
    pass


def redeliver(db: Database, delivery_id: str, by: str) -> dict[str, Any] | None:
    """Puts a parked (or cancelled) webhook delivery back in line, with a fresh set of
    attempts. None when there is no such webhook delivery; NotRedeliverable when it is not
    parked or its subscription is gone."""
    current = db.deliveries.find_one({"_id": delivery_id, "channel": "webhook"})
    if current is None:
        return None
    if db.webhook_subscriptions.find_one({"_id": current["subscription_id"], "active": True},
                                         {"_id": 1}) is None:
        raise NotRedeliverable("webhook_deleted")
    if current["result"] not in (PARKED, CANCELLED):
        raise NotRedeliverable("not_parked")
    now = datetime.now(UTC)
    updated = db.deliveries.find_one_and_update(
        {"_id": delivery_id, "result": current["result"]},
        {"$set": {"result": PENDING, "attempts": 0, "next_attempt_at": now, "updated_at": now,
                  "redelivered_by": by, "redelivered_at": now},
         "$inc": {"redeliveries": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if updated is None:  # someone else redelivered it in between
        raise NotRedeliverable("not_parked")
    return updated


def cancel_pending(db: Database, subscription_id: str) -> int:
    result = db.deliveries.update_many(
        {"subscription_id": subscription_id, "result": PENDING},
        {"$set": {"result": CANCELLED, "error": "subscription deleted",
                  "updated_at": datetime.now(UTC)}})
    return result.modified_count
