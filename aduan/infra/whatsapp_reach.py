"""Whether and how a resident's WhatsApp number may be written to, read by the channels
service (the bot) and the notifier (status messages) alike, hence here and not in either; the
one home of STOP/MULAI for WhatsApp (like aduan/infra/sms_reach.py for SMS): the bot writes
through `opt_out`/`opt_in`, everyone reads through `opted_out`.

The channels service keeps, per number (the wa_id Meta gives: digits with the country code,
no "+"; a report's reporter phone is "+" and the same digits):
- `wa_conversations.last_inbound_at`: when the resident last wrote. Free-form messages may be
  sent for 24 hours after it; outside that window only an approved template.
- `wa_optouts`: numbers that said STOP ({_id: wa_id, at}); nothing is sent to them until they
  say MULAI.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

CONVERSATIONS = "wa_conversations"
OPTOUTS = "wa_optouts"
SERVICE_WINDOW = timedelta(hours=24)


def wa_id_of(phone: str) -> str:
    """The wa_id of a phone number as stored on a report ("+62 811-..." → "62811...")."""
    return "".join(ch for ch in phone if ch.isdigit())


def opted_out(db: Database, phone: str) -> bool:
    return db[OPTOUTS].count_documents({"_id": wa_id_of(phone)}, limit=1) == 1


def opt_out(db: Database, phone: str) -> None:
    with contextlib.suppress(DuplicateKeyError):  # said STOP before
        db[OPTOUTS].insert_one({"_id": wa_id_of(phone), "at": datetime.now(UTC)})


def opt_in(db: Database, phone: str) -> None:
    db[OPTOUTS].delete_one({"_id": wa_id_of(phone)})


def last_inbound_at(db: Database, phone: str) -> datetime | None:
    """When the number last wrote to the city's number (None: never)."""
    doc = db[CONVERSATIONS].find_one({"_id": wa_id_of(phone)}, {"last_inbound_at": 1})
    return doc.get("last_inbound_at") if doc else None


def in_service_window(db: Database, phone: str, now: datetime) -> bool:
    """Whether a free-form message may be sent now (else only a template)."""
    last = last_inbound_at(db, phone)
    return last is not None and now - last < SERVICE_WINDOW
