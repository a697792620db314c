"""Webhook signatures: HMAC-SHA256 over `timestamp + "." + body`, sent in one header.

    X-Aduan-Signature: t=1763866501,v1=5257a869e7ec…(64 hex digits)

`t` is the Unix time (seconds) of this attempt and `v1` the lowercase hex HMAC-SHA256 of the
UTF-8 bytes `"{t}." + body`, keyed with the subscription's secret. A receiver recomputes it
over the raw request body, compares in constant time and refuses timestamps too far from its
clock (replays). Several `v1=` entries may appear; any one matching is enough.

Receivers in Python can use `verify_signature` as it is (it has no Aduan dependency).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Aduan-Signature"
DELIVERY_HEADER = "X-Aduan-Delivery"  # the same on every retry: receivers dedupe on it
EVENT_HEADER = "X-Aduan-Event"
DEFAULT_TOLERANCE_S = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body` sent now (or at `timestamp`)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={_digest(secret, moment, body)}"


def verify_signature(secret: str, header: str | None, body: bytes,
                     tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None) -> bool:
    """True when `header` is a valid signature of `body` with `secret`, made within
    `tolerance_s` seconds of `now`."""
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
