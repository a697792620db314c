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


def _mac(secret: str, report_id: str, follower_id: str, purpose: str = "unfollow") -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{report_id}:{follower_id}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def unfollow_token(keys: Keyring, report_id: str, follower_id: str) -> str:
    """`{key id}.{mac}`: the id names the key that signed it, so the key can be rotated."""
    return f"{keys.current.id}.{_mac(keys.current.secret, report_id, follower_id)}"


def unfollow_token_matches(keys: Keyring, report_id: str, follower_id: str,
                           token: str | None) -> bool:
    key_id, dot, mac = (token or "").rpartition(".")
    key = keys.find(key_id) if dot else None
    return key is not None and hmac.compare_digest(_mac(key.secret, report_id, follower_id),
                                                   mac)


def unfollow_link(settings: Settings, report: dict, follower_id: str) -> str:
    token = unfollow_token(reporter_token_keys(settings), report["_id"], follower_id)
    return (f"{settings.public_base_url}/#/unfollow/{quote(report['code'], safe='')}/"
            f"{quote(follower_id, safe='')}/{quote(token, safe='')}")


def follow_token(keys: Keyring, report_id: str, follower_id: str) -> str:
    """The token of the link that confirms following (`{key id}.{mac}`)."""
    return f"{keys.current.id}.{_mac(keys.current.secret, report_id, follower_id, 'follow')}"


def follow_token_matches(keys: Keyring, report_id: str, follower_id: str,
                         token: str | None) -> bool:
    key_id, dot, mac = (token or "").rpartition(".")
    key = keys.find(key_id) if dot else None
    return key is not None and hmac.compare_digest(
        _mac(key.secret, report_id, follower_id, "follow"), mac)


def follow_link(settings: Settings, report: dict, follower_id: str) -> str:
    token = follow_token(reporter_token_keys(settings), report["_id"], follower_id)
    return (f"{settings.public_base_url}/#/follow/{quote(report['code'], safe='')}/"
            f"{quote(follower_id, safe='')}/{quote(token, safe='')}")
