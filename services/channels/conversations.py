"""Where the WhatsApp bot keeps what it must not forget across restarts, in MongoDB.

- `wa_conversations`, one document per resident's WhatsApp number (`_id` = the wa_id Meta
  gives: digits with the country code, no "+"):
  {_id, city, state (aduan.domain.conversation.State as a dict), rev, last_inbound_at (when the
  resident last wrote: the notifier's 24-hour window is counted from it), processed (the last
  wamids handled, newest last), outbox ([{id, reply}] replies decided but not yet sent),
  filing ({key, wamid, report, media} a report decided but not yet filed, or null),
  lease_until and lease_owner (who is carrying out the pending work, until when), updated_at}.
  One document per number makes each step atomic: the new state, the message's wamid, the
  replies to send and the report to file are written together, or not at all (`advance`).
  Replies and filings are carried out after the write and removed when done, so a crash in
  between leaves them to the next webhook of that number (Meta retries an unanswered one).
- `wa_media`: the photos a resident sent, downloaded on receipt (Meta's media URLs last
  minutes): {_id: media id, wa_id, data, content_type, at}; deleted once filed, or a week
  after it came (a TTL index, aduan/infra/db.py) when the conversation was abandoned.
- `wa_optouts`: numbers that said STOP: {_id: wa_id, at}. Nothing is sent to them, by the bot
  or by the notifier, until they say MULAI. Kept by aduan.infra.whatsapp_reach (its one home),
  through which the notifier also reads `last_inbound_at`.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import Binary
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aduan.infra.whatsapp_reach import CONVERSATIONS

MEDIA = "wa_media"
# Meta retries a webhook for up to days, but a number's own messages are few: the last ones
# handled are enough to recognise a re-delivery.
PROCESSED_KEPT = 200
# How long a holder may carry out a number's work before another may: renewed before each
# filing and each reply, so it bounds one call (the Graph API's and intake's timeouts are far
# shorter), not the whole outbox.
LEASE_S = 120.0


@dataclass
class Conversation:
    wa_id: str
    city: str
    state: dict[str, Any] = field(default_factory=dict)
    rev: int = 0
    processed: list[str] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    filing: dict[str, Any] | None = None
    last_inbound_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Conversation:
        return cls(wa_id=doc["_id"], city=doc["city"], state=doc.get("state") or {},
                   rev=doc.get("rev", 0), processed=doc.get("processed", []),
                   outbox=doc.get("outbox", []), filing=doc.get("filing"),
                   last_inbound_at=doc.get("last_inbound_at"))


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, wa_id: str, city: str) -> Conversation:
        """The number's conversation, created (empty) on its first message."""
        doc = self.db[CONVERSATIONS].find_one({"_id": wa_id})
        if doc is None:
            with contextlib.suppress(DuplicateKeyError):  # a concurrent first message did
                self.db[CONVERSATIONS].insert_one({
                    "_id": wa_id, "city": city, "state": {}, "rev": 0, "processed": [],
                    "outbox": [], "filing": None, "updated_at": datetime.now(UTC)})
            doc = self.db[CONVERSATIONS].find_one({"_id": wa_id})
        assert doc is not None
        return Conversation.from_doc(doc)

    def advance(self, conversation: Conversation, wamid: str, state: dict[str, Any],
                replies: list[dict[str, Any]], filing: dict[str, Any] | None,
                received_at: datetime) -> bool:
        """Writes one step at once: False if another delivery changed the conversation since
        it was loaded (the caller loads it again and re-decides)."""
        update: dict[str, Any] = {
            "$set": {"state": state, "updated_at": datetime.now(UTC)},
            "$inc": {"rev": 1},
            "$push": {"processed": {"$each": [wamid], "$slice": -PROCESSED_KEPT},
                      "outbox": {"$each": [{"id": uuid.uuid4().hex, "reply": r}
                                           for r in replies]}},
            "$max": {"last_inbound_at": received_at},
        }
        if filing is not None:
            update["$set"]["filing"] = filing
        result = self.db[CONVERSATIONS].update_one(
            {"_id": conversation.wa_id, "rev": conversation.rev}, update)
        return result.modified_count == 1

    def pending(self, wa_id: str) -> Conversation | None:
        doc = self.db[CONVERSATIONS].find_one({"_id": wa_id})
        return Conversation.from_doc(doc) if doc else None

    def reply_sent(self, wa_id: str, reply_id: str) -> None:
        self.db[CONVERSATIONS].update_one({"_id": wa_id},
                                          {"$pull": {"outbox": {"id": reply_id}}})

    def filed(self, wa_id: str, key: str, state: dict[str, Any],
              replies: list[dict[str, Any]]) -> None:
        """The filing `key` is done: its replies join the outbox and the state moves on, at
        once."""
        self.db[CONVERSATIONS].update_one(
            {"_id": wa_id, "filing.key": key},
            {"$set": {"filing": None, "state": state, "updated_at": datetime.now(UTC)},
             "$inc": {"rev": 1},
             "$push": {"outbox": {"$each": [{"id": uuid.uuid4().hex, "reply": r}
                                            for r in replies]}}})

    def claim(self, wa_id: str, lease_s: float = LEASE_S) -> str | None:
        """One process at a time carries out a number's pending filing and replies, so no
        reply is sent twice by two deliveries racing; a crashed holder's lease runs out. The
        holder's token, or None while another holds it."""
        now = datetime.now(UTC)
        token = uuid.uuid4().hex
        result = self.db[CONVERSATIONS].update_one(
            {"_id": wa_id, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$set": {"lease_until": now + timedelta(seconds=lease_s), "lease_owner": token}})
        return token if result.modified_count == 1 else None

    def renew(self, wa_id: str, token: str, lease_s: float = LEASE_S) -> bool:
        """Whether `token` still holds the lease (then it runs `lease_s` from now): a holder
        renews before each call that may be slow, and stops when another took over."""
        result = self.db[CONVERSATIONS].update_one(
            {"_id": wa_id, "lease_owner": token},
            {"$set": {"lease_until": datetime.now(UTC) + timedelta(seconds=lease_s)}})
        return result.matched_count == 1

    def release(self, wa_id: str, token: str) -> None:
        self.db[CONVERSATIONS].update_one({"_id": wa_id, "lease_owner": token},
                                          {"$set": {"lease_until": None, "lease_owner": None}})

    # --- photos --------------------------------------------------------------------------

    def keep_media(self, media_id: str, wa_id: str, data: bytes, content_type: str) -> None:
        self.db[MEDIA].replace_one(
            {"_id": media_id},
            {"_id": media_id, "wa_id": wa_id, "data": Binary(data),
             "content_type": content_type, "at": datetime.now(UTC)},
            upsert=True)

    def has_media(self, media_id: str) -> bool:
        return self.db[MEDIA].count_documents({"_id": media_id}, limit=1) == 1

    def media(self, media_ids: list[str]) -> list[dict[str, Any]]:
        found = {d["_id"]: d for d in self.db[MEDIA].find({"_id": {"$in": media_ids}})}
        return [found[m] for m in media_ids if m in found]

    def drop_media(self, media_ids: list[str]) -> None:
        if media_ids:
            self.db[MEDIA].delete_many({"_id": {"$in": media_ids}})
