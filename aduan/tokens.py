"""Reporter tracking tokens: an HMAC of the report id, so nothing secret is stored and a retried
submission can hand back the same token."""

from __future__ import annotations

import base64
import hashlib
import hmac


def reporter_token(secret: str, report_id: str) -> str:
    digest = hmac.new(secret.encode(), f"reporter:{report_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def token_matches(secret: str, report_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(reporter_token(secret, report_id), token or "")
