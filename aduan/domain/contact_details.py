"""How staff can be reached, checked and written one way: by the user API when a sysadmin
stores them and by the notifier when it sends."""

from __future__ import annotations

import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGES = ("id", "en")


def normalize_phone(number: str) -> str | None:
    """E.164-style "+62812..." for Indonesian numbers written 0812..., 62812... or +62 812-...;
    None when it is no phone number at all."""
    digits = re.sub(r"[\s-]", "", number)
    if digits.startswith("+"):
        rest = digits[1:]
    elif digits.startswith("0"):
        rest = "62" + digits[1:]
    else:
        rest = digits
    return f"+{rest}" if rest.isdigit() and 8 <= len(rest) <= 15 else None


def normalize_email(address: str) -> str | None:
    """The address trimmed, its domain lower-cased; None when it is no email address."""
    address = address.strip()
    if len(address) > 254 or not EMAIL.match(address):
        return None
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"
