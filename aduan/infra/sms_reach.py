"""Whether a phone number may be sent SMS: read by the notifier before every SMS and written
by the channels service when the number texts STOP (and MULAI, or a new report, to resume);
hence here and not in either (like aduan/infra/whatsapp_reach.py for WhatsApp).

`sms_optouts`: {_id: the number as aduan.domain.contact_details.normalize_phone writes it
("+62812..."), at}.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aduan.domain.contact_details import normalize_phone

OPTOUTS = "sms_optouts"


def _key(phone: str) -> str:
    return normalize_phone(phone) or phone.strip()


def opted_out(db: Database, phone: str) -> bool:
    return db[OPTOUTS].count_documents({"_id": _key(phone)}, limit=1) == 1


def opt_out(db: Database, phone: str) -> None:
    with contextlib.suppress(DuplicateKeyError):  # said STOP before
        db[OPTOUTS].insert_one({"_id": _key(phone), "at": datetime.now(UTC)})


def opt_in(db: Database, phone: str) -> None:
    db[OPTOUTS].delete_one({"_id": _key(phone)})
