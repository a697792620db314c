"""Reporter tracking tokens: an HMAC of the report id, so nothing secret is stored and a retried
submission can hand back the same token. One-time recovery codes are made the same way: an
HMAC of the report id and a random nonce, so the code itself is stored nowhere."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

from aduan.infra.keyring import Keyring


def _mac(secret: str, report_id: str) -> str:
    digest = hmac.new(secret.encode(), f"reporter:{report_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def reporter_token(keys: Keyring, report_id: str) -> str:
    """`{key id}.{mac}`: the id names the key that signed it, so the key can be rotated."""
    return f"{keys.current.id}.{_mac(keys.current.secret, report_id)}"


def idempotent_report_id(secret: str, idempotency_key: str) -> str:
    """The id of the report filed with this Idempotency-Key: a retry finds its report by the
    primary key alone (no second index, no scan), and the id reveals nothing of the key."""
    return hmac.new(secret.encode(), f"idempotency:{idempotency_key}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def token_matches(keys: Keyring, report_id: str, token: str | None) -> bool:
    if not token:
        return False
    wanted, dot, mac = token.rpartition(".")
    # Tokens handed out before keys had ids carry no id: any configured key may have signed them.
    candidates = (keys.find(wanted),) if dot else keys.keys
    return any(key is not None and hmac.compare_digest(_mac(key.secret, report_id), mac)
               for key in candidates)


RECOVERY_DIGITS = 6
RECOVERY_TTL = timedelta(minutes=10)  # how long a one-time code works


def recovery_code(keys: Keyring, report_id: str, nonce: str) -> str:
    """The one-time code sent to the reporter for `nonce` (services/intake/recovery.py): six
    digits from an HMAC under the current key. Intake stores only the nonce; the notifier
    computes the code to send it, intake to check it."""
    digest = hmac.new(keys.current.secret.encode(), f"recovery:{report_id}:{nonce}".encode(),
                      hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** RECOVERY_DIGITS:0{RECOVERY_DIGITS}d}"
