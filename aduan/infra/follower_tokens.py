"""The follower's links ("me too", aduan.domain.followers): the one that confirms following
(double opt-in, `#/follow/<CODE>/<FOLLOWER>/<TOKEN>`, in the one confirmation message) and the
one that stops a follower's messages (`#/unfollow/<CODE>/<FOLLOWER>/<TOKEN>`, in every message).
Each token is an HMAC of its purpose, the report id and the follower's id under the
tracking-token keys (ADUAN_TOKEN_SECRET and its previous keys), so nothing secret is stored,
only the messages sent to that follower carry it and one link never works as the other. The
token is in the fragment of the console's page, which a browser never sends; the page sends it
in a header."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

from aduan.infra.config import Settings
from aduan.infra.keyring import Keyring, reporter_token_keys

# What a token is for, and the console page its link opens.
FOLLOW, UNFOLLOW = "follow", "unfollow"


def _mac(secret: str, purpose: str, report_id: str, follower_id: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{report_id}:{follower_id}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def follower_token(keys: Keyring, purpose: str, report_id: str, follower_id: str) -> str:
    """`{key id}.{mac}`: the id names the key that signed it, so the key can be rotated."""
    return f"{keys.current.id}.{_mac(keys.current.secret, purpose, report_id, follower_id)}"


def follower_token_matches(keys: Keyring, purpose: str, report_id: str, follower_id: str,
                           token: str | None) -> bool:
    key_id, dot, mac = (token or "").rpartition(".")
    key = keys.find(key_id) if dot else None
    return key is not None and hmac.compare_digest(
        _mac(key.secret, purpose, report_id, follower_id), mac)


def follower_link(settings: Settings, purpose: str, report: dict, follower_id: str) -> str:
    token = follower_token(reporter_token_keys(settings), purpose, report["_id"], follower_id)
    return (f"{settings.public_base_url}/#/{purpose}/{quote(report['code'], safe='')}/"
            f"{quote(follower_id, safe='')}/{quote(token, safe='')}")
