"""The reporter's contact as lookup keys, so the one-time-code recovery (recovery.py) can list
the same reporter's other reports. Stored on each report as `contact_keys`: HMAC-SHA-256 of
the normalised email and phone under the reporter-token secret (`ADUAN_TOKEN_SECRET`,
aduan/infra/keyring.py), so the index holds no contact in the clear and, unlike a plain
digest, a phone number cannot be found by hashing every number there is. A report's keys are
made with the current secret; a look-up tries the previous secrets too, so rotating the secret
keeps older reports listed until their secret is dropped from ADUAN_TOKEN_PREVIOUS_SECRETS.

Contacts are not verified when a report is filed: whoever files with another person's email
or phone makes that person see the report in "my reports" after they recover with a one-time
code sent to that contact. Accepted: the same person already gets that report's messages
(status changes, the tracking link) at that contact, so listing it shows them nothing more;
the filer gave the contact away, and the contact's owner learns nothing of the filer but what
the filer wrote."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from aduan.domain.contact_details import normalize_email, normalize_phone
from aduan.infra.keyring import Keyring

MAX_OTHERS = 50


def _normalised(channel: str, reporter: dict[str, Any] | None) -> str | None:
    reporter = reporter or {}
    if channel == "email" and reporter.get("email"):
        return (normalize_email(reporter["email"]) or "").lower() or None
    if channel == "sms" and reporter.get("phone"):
        return normalize_phone(reporter["phone"]) or None
    return None


def contact_key(channel: str, reporter: dict[str, Any] | None, secret: str) -> str | None:
    """The key of the reporter's `email` or `sms` contact (its phone) under `secret`, or None."""
    value = _normalised(channel, reporter)
    if value is None:
        return None
    return hmac.new(secret.encode(), f"aduan-contact:{channel}:{value}".encode(),
                    hashlib.sha256).hexdigest()


def contact_keys(reporter: dict[str, Any] | None, keyring: Keyring) -> list[str]:
    """The keys a new report stores: each contact's, under the current secret."""
    secret = keyring.current.secret
    return [key for key in (contact_key("email", reporter, secret),
                            contact_key("sms", reporter, secret)) if key]


def lookup_keys(channel: str, reporter: dict[str, Any] | None, keyring: Keyring) -> list[str]:
    """The keys reports with this contact may hold: under the current and previous secrets."""
    return [key for key in (contact_key(channel, reporter, k.secret) for k in keyring.keys)
            if key]
