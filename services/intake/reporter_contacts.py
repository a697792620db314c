"""The reporter's contact as lookup keys, so the one-time-code recovery (recovery.py) can list
the same reporter's other reports. Stored on each report as `contact_keys`: digests of the
normalised email and phone, so the index holds no address in the clear (the report's
`reporter` field does; this adds no more)."""

from __future__ import annotations

import hashlib
from typing import Any

from aduan.domain.contact_details import normalize_email, normalize_phone

MAX_OTHERS = 50


def contact_key(channel: str, reporter: dict[str, Any] | None) -> str | None:
    """The key of the reporter's `email` or `sms` contact (its phone), or None."""
    reporter = reporter or {}
    if channel == "email" and reporter.get("email"):
        value = (normalize_email(reporter["email"]) or "").lower()
    elif channel == "sms" and reporter.get("phone"):
        value = normalize_phone(reporter["phone"]) or ""
    else:
        return None
    return hashlib.sha256(f"{channel}:{value}".encode()).hexdigest() if value else None


def contact_keys(reporter: dict[str, Any] | None) -> list[str]:
    return [key for key in (contact_key("email", reporter), contact_key("sms", reporter))
            if key]
