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

Database commands per message: the claim (one insert), and its result. A failure or a refusal
is written at once (a retry of the event must find it). In the notification worker
(`defer_sent`) the message's `sent` results are gathered and written together every
SENT_INTERVAL_S, in one bulk command for them all (each still pinned on its lease token, with
its own provider status), instead of one update per message; until then this process answers
a claim of one of them with DONE (a retry here sends nothing twice), and another process finds
it leased (BUSY: its event is retried later). They are written at exit too; a process killed
before (at most one interval's results) leaves them `sending` with a lease that runs out: the
message went out (its event was acknowledged, so nothing sends it again unless an operator
replays the event, which would then send it once more).
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)
SENT, FAILED, REJECTED, SENDING = "sent", "failed", "rejected", "sending"
SENT_INTERVAL_S = 0.5  # how long a `sent` result waits to be written with others
MAX_UNWRITTEN = 10_000  # results kept while MongoDB is away; past that, written one by one
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
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._unwritten: dict[str, UpdateOne] | None = None  # None: `sent` written at once
        self._writing: dict[str, UpdateOne] = {}

    def defer_sent(self, interval_s: float = SENT_INTERVAL_S) -> None:
        """From now on, `sent` results are written together every `interval_s`."""
        with self._lock:
            if self._unwritten is not None:
                return
            self._unwritten = {}
        threading.Thread(target=self._run, args=(interval_s,), name="delivery-results",
                         daemon=True).start()
        atexit.register(self._write_at_exit)

    def _run(self, interval_s: float) -> None:
        while True:
            time.sleep(interval_s)
            try:
                self.write_sent()
            except Exception:  # MongoDB away for a moment: kept for the next pass
                log.exception("delivery results not written yet")

    def write_sent(self) -> int:
        """Writes the `sent` results gathered so far, in one command; how many."""
        with self._write_lock:  # the thread's pass and the one at exit, one after the other
            with self._lock:
                if not self._unwritten:
                    return 0
                self._writing, self._unwritten = self._unwritten, {}
            try:
                self.collection.bulk_write(list(self._writing.values()), ordered=False)
            except Exception:
                with self._lock:
                    self._unwritten = {**self._writing, **(self._unwritten or {})}
                raise
            finally:
                with self._lock:
                    written, self._writing = len(self._writing), {}
            return written

    def _write_at_exit(self) -> None:
        try:
            self.write_sent()
        except Exception as err:  # left `sending`: see the module's docstring
            log.warning("delivery results not written at exit: %s", err)

    def _sent_here(self, delivery_id: str) -> bool:
        with self._lock:
            return delivery_id in (self._unwritten or {}) or delivery_id in self._writing

    def claim(self, delivery_id: str, record: dict[str, Any]) -> Claimed:
        """Takes the delivery for this process; `record` holds the descriptive fields
        (report_id, city, event, message_id, channel, audience, recipient) of a new entry."""
        if self._sent_here(delivery_id):
            return Claimed(Claim.DONE)  # sent by this process, its result not written yet
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
        where = {"_id": delivery_id, "lease_token": token}
        change = {"$set": update, "$unset": {"lease_until": "", "lease_token": ""}}
        if result == SENT:
            with self._lock:
                if self._unwritten is not None and len(self._unwritten) < MAX_UNWRITTEN:
                    self._unwritten[delivery_id] = UpdateOne(where, change)
                    return
        self.collection.update_one(where, change)


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
