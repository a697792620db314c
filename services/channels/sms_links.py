"""What the SMS channel remembers, in MongoDB, only as long as it needs it:

- `sms_reports`: the reports each number filed by SMS, {_id: report id, phone ("+62..."),
  code, city, language (of the keyword it wrote: the channel's answers speak it), at,
  purge_at}: an SMS naming no category is a reply to the newest of that
  number's reports still open (filed in the last `sms_reply_window_days`). Nothing else: the
  report itself is read through intake with the reporter's token, as any reporter reads it.
- `sms_inbound`: the messages turned into a comment, {_id: message key, state: "pending" |
  "done", claimed_at, code, at, purge_at}. A message is claimed before its comment is posted
  and marked done after, so a provider's retry, even one arriving while the first delivery is
  still posting, is not a second comment (a report needs no such record: intake's
  Idempotency-Key makes a retried filing the same report).
- `sms_text_keys`: the key of a message the provider sent without its id, {_id: hash of
  number and text, key, at, purge_at}: the same text from the same number within
  SAME_TEXT_KEPT is the same message, whatever the minute.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

REPORTS, INBOUND, TEXT_KEYS = "sms_reports", "sms_inbound", "sms_text_keys"
# A provider retries for hours at most; a day covers it.
INBOUND_KEPT = timedelta(days=1)
# A resident who sends the same text again within hours (no answer seen yet, a phone that
# resends) means the same report; the same words days later are a new one.
SAME_TEXT_KEPT = timedelta(hours=6)
# Far longer than one POST to intake (upstream_timeout_s): a claim this old was left by a
# process that died, and the message may be taken over.
CLAIM_LEASE = timedelta(minutes=2)
RECENT_LIMIT = 5


class InProgress(Exception):
    """Another delivery of the same message is being handled right now."""


class SmsLinks:
    def __init__(self, db: Database, window: timedelta) -> None:
        self.db = db
        self.window = window

    def remember(self, report_id: str, code: str, city: str, phone: str, language: str
                 ) -> None:
        now = datetime.now(UTC)
        self.db[REPORTS].update_one(
            {"_id": report_id},
            {"$setOnInsert": {"phone": phone, "code": code, "city": city, "language": language,
                              "at": now, "purge_at": now + self.window}},
            upsert=True)

    def recent(self, phone: str) -> list[dict[str, Any]]:
        """The number's reports of the window, newest first."""
        since = datetime.now(UTC) - self.window
        return list(self.db[REPORTS].find({"phone": phone, "at": {"$gte": since}})
                    .sort("at", -1).limit(RECENT_LIMIT))

    def text_key(self, phone: str, text: str, now: datetime) -> str:
        """The key of a message without the provider's id: the one given when this number
        first sent this text in the last SAME_TEXT_KEPT."""
        digest = hashlib.sha256(f"{phone}\n{text}".encode()).hexdigest()[:40]
        fresh = hashlib.sha256(f"{digest}\n{now.isoformat()}".encode()).hexdigest()[:40]
        for _ in range(3):
            try:
                self.db[TEXT_KEYS].insert_one({"_id": digest, "key": fresh, "at": now,
                                               "purge_at": now + SAME_TEXT_KEPT})
                return fresh
            except DuplicateKeyError:
                seen = self.db[TEXT_KEYS].find_one({"_id": digest})
            if seen is None:  # purged meanwhile
                continue
            if seen["at"] > now - SAME_TEXT_KEPT:
                return seen["key"]
            # Past its time, not yet purged (the TTL monitor runs once a minute).
            self.db[TEXT_KEYS].delete_one({"_id": digest, "at": seen["at"]})
        return fresh

    def commented(self, key: str) -> dict[str, Any] | None:
        return self.db[INBOUND].find_one({"_id": key, "state": {"$ne": "pending"}})

    def claim(self, key: str, now: datetime) -> str:
        """Claims the message for its comment; returns the claim's id. InProgress when
        another delivery holds it (a claim older than CLAIM_LEASE is taken over)."""
        claim = uuid.uuid4().hex
        doc = {"state": "pending", "claim": claim, "claimed_at": now,
               "at": now, "purge_at": now + INBOUND_KEPT}
        try:
            self.db[INBOUND].insert_one({"_id": key, **doc})
            return claim
        except DuplicateKeyError:
            pass
        taken = self.db[INBOUND].update_one(
            {"_id": key, "state": "pending", "claimed_at": {"$lte": now - CLAIM_LEASE}},
            {"$set": doc})
        if taken.modified_count != 1:
            raise InProgress(key)
        return claim

    def release(self, key: str, claim: str) -> None:
        """The comment was not posted: the next delivery tries again."""
        self.db[INBOUND].delete_one({"_id": key, "state": "pending", "claim": claim})

    def record_comment(self, key: str, claim: str, code: str) -> None:
        self.db[INBOUND].update_one({"_id": key, "claim": claim},
                                    {"$set": {"state": "done", "code": code},
                                     "$unset": {"claim": "", "claimed_at": ""}})
