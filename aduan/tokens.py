"""Reporter tracking tokens: an HMAC of the report id, so nothing secret is stored and a retried
submission can hand back the same token."""

from __future__ import annotations

import base64
import hashlib
import hmac


def reporter_token(secret: str, report_id: str) -> str:
    digest = hmac.new(secret.encode(), f"reporter:{report_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def idempotent_report_id(secret: str, idempotency_key: str) -> str:
    """The id of the report filed with this Idempotency-Key: a retry finds its report by the
    primary key alone (no second index, no scan), and the id reveals nothing of the key."""
    return hmac.new(secret.encode(), f"idempotency:{idempotency_key}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def token_matches(secret: str, report_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(reporter_token(secret, report_id), token or "")
