"""What the SMS channel remembers, in MongoDB, only as long as it needs it:

- `sms_reports`: the reports each number filed by SMS, {_id: report id, phone ("+62..."),
  code, city, language (of the keyword it wrote: the channel's answers speak it), at,
  purge_at}: an SMS naming no category is a reply to the newest of that
  number's reports still open (filed in the last `sms_reply_window_days`). Nothing else: the
  report itself is read through intake with the reporter's token, as any reporter reads it.
- `sms_inbound`: the messages already turned into a comment, {_id: message key, code, at,
  purge_at}, so a provider's retry of the same message is not a second comment (a report
  needs no such record: intake's Idempotency-Key makes a retried filing the same report).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

REPORTS, INBOUND = "sms_reports", "sms_inbound"
# A provider retries for hours at most; a day covers it.
INBOUND_KEPT = timedelta(days=1)
RECENT_LIMIT = 5


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

    def commented(self, key: str) -> dict[str, Any] | None:
        return self.db[INBOUND].find_one({"_id": key})

    def record_comment(self, key: str, code: str) -> None:
        now = datetime.now(UTC)
        with contextlib.suppress(DuplicateKeyError):  # the same message, twice at once
            self.db[INBOUND].insert_one({"_id": key, "code": code, "at": now,
                                         "purge_at": now + INBOUND_KEPT})
