"""The delivery log: one document per (event, channel, recipient), in `deliveries`.

    {_id: "{message_id}:{channel}:{recipient key (keyed hash)}", report_id, city, event,
     message_id, channel: "email" | "sms" | "whatsapp" | "push" | "webhook", audience,
     recipient (masked), attempts,
     result: "sending" | "sent" | "failed" | "rejected" | "pending" | "parked" | "cancelled",
     provider_status, error (contacts masked), created_at, updated_at, sent_at,
     lease_token, lease_until}

The document is claimed before anything is sent, so a redelivered event finds it and sends
nothing twice. A claim is a lease: if the process dies while sending, another copy may take
the delivery over once the lease has run out (so the rare crash between "sent" and recording
it can repeat one message; nothing is ever silently dropped).

Database commands per message: the claim (one insert) and its result (an update). Results
are written as they come, each before its event is acknowledged (as before), but those that
come while another write is on its way wait for it and then go together in one bulk command
(`_GroupWriter`, each still pinned on its lease token, with its own fields): with the worker
handling several events at once (ADUAN_CONSUMER_CONCURRENCY) and an event's pushes sent
side by side, many results share one command. Nothing waits for a timer, and a crash leaves
what it left before: a result not written belongs to an event not acknowledged, whose
redelivery finds the claim (sending, then its lease runs out) and sends it again.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

SENT, FAILED, REJECTED, SENDING = "sent", "failed", "rejected", "sending"
PENDING, PARKED, CANCELLED = "pending", "parked", "cancelled"  # webhooks
FINAL = frozenset({SENT, REJECTED})


class DeliveryRejected(Exception):
    """The provider refused this recipient for good (unknown mailbox, invalid number): do not
    retry. The message must not quote the recipient's address."""


class DeliveryFailed(Exception):
    """A delivery attempt failed for a reason that may pass (server down, timeout): retry.
    The message must not quote the recipient's address."""


def recipient_key(secret: str, address: str) -> str:
    """Names a recipient in the log without naming them: a keyed hash (ADUAN_DELIVERY_HASH_
    SECRET). A plain hash beside the last digits would give the number back in a second
    (Indonesia's mobile numbers are a few billion candidates); without the key, no candidate
    can be tried."""
    message = b"delivery-recipient:" + address.strip().lower().encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def delivery_id(secret: str, message_id: str, channel: str, address: str) -> str:
    return f"{message_id}:{channel}:{recipient_key(secret, address)}"


class Claim(Enum):
    MINE = "mine"  # send now, then finish()
    DONE = "done"  # already sent (or refused for good): nothing to do
    BUSY = "busy"  # another process holds the lease right now


@dataclass(frozen=True)
class Claimed:
    outcome: Claim
    token: str | None = None


class DeliveryLog:
    def __init__(self, db: Database, lease_s: float) -> None:
        self.collection = db.deliveries
        self.lease = timedelta(seconds=lease_s)
        self._results = _GroupWriter(self.collection)

    def claim(self, delivery_id: str, record: dict[str, Any]) -> Claimed:
        """Takes the delivery for this process; `record` holds the descriptive fields
        (report_id, city, event, message_id, channel, audience, recipient) of a new entry."""
        now = datetime.now(UTC)
        token = uuid.uuid4().hex
        lease = {"result": SENDING, "lease_token": token, "lease_until": now + self.lease,
                 "updated_at": now}
        try:
            self.collection.insert_one({"_id": delivery_id, **record, **lease, "attempts": 1,
                                        "created_at": now})
            return Claimed(Claim.MINE, token)
        except DuplicateKeyError:
            pass
        taken = self.collection.find_one_and_update(
            {"_id": delivery_id,
             "$or": [{"result": FAILED}, {"result": SENDING, "lease_until": {"$lt": now}}]},
            {"$set": lease, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if taken is not None:
            return Claimed(Claim.MINE, token)
        earlier = self.collection.find_one({"_id": delivery_id}, {"result": 1}) or {}
        return Claimed(Claim.DONE if earlier.get("result") in FINAL else Claim.BUSY)

    def finish(self, delivery_id: str, token: str, result: str, provider_status: str | None,
               error: str | None = None) -> None:
        now = datetime.now(UTC)
        update: dict[str, Any] = {"result": result, "provider_status": provider_status,
                                  "error": error, "updated_at": now}
        if result == SENT:
            update["sent_at"] = now
        self._results.write(UpdateOne(
            {"_id": delivery_id, "lease_token": token},
            {"$set": update, "$unset": {"lease_until": "", "lease_token": ""}}))


class _GroupWriter:
    """Writes updates as they come; those that come while a write is on its way are written
    together right after it, in one command (group commit). Each caller returns once its own
    update is written, or raises what the write raised."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self._turn = threading.Condition()
        self._waiting: list[tuple[UpdateOne, _Ticket]] = []
        self._writing = False

    def write(self, update: UpdateOne) -> None:
        ticket = _Ticket()
        with self._turn:
            self._waiting.append((update, ticket))
            while not ticket.done and self._writing:
                self._turn.wait()
            if ticket.done:  # written by another caller's command
                if ticket.error is not None:
                    raise ticket.error
                return
            batch, self._waiting, self._writing = self._waiting, [], True
        error: BaseException | None = None
        try:
            self.collection.bulk_write([u for u, _ in batch], ordered=False)
        except BaseException as err:
            error = err
            raise
        finally:
            # Whatever the write raised (a KeyboardInterrupt too), the batch's callers are
            # answered and the next write may start: none waits for good.
            with self._turn:
                for _, waiting in batch:
                    waiting.done, waiting.error = True, error
                self._writing = False
                self._turn.notify_all()


@dataclass
class _Ticket:
    done: bool = False
    error: BaseException | None = None


PUBLIC_FIELDS = ("event", "channel", "audience", "recipient", "attempts", "result",
                 "provider_status", "error", "created_at", "updated_at", "sent_at",
                 "next_attempt_at", "subscription_id", "redeliveries")


def public_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A delivery as operators see it (the recipient is already masked when stored)."""
    view: dict[str, Any] = {"id": doc["_id"], "report_id": doc.get("report_id"),
                            "city": doc.get("city")}
    for name in PUBLIC_FIELDS:
        value = doc.get(name)
        view[name] = value.isoformat() if isinstance(value, datetime) else value
    return view


def for_report(db: Database, report_id: str) -> list[dict[str, Any]]:
    return [public_view(d) for d in
            db.deliveries.find({"report_id": report_id}).sort("created_at", 1).limit(1000)]
