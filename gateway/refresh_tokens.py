"""Refresh tokens: opaque, stored as SHA-256 digests, rotated on every use. Presenting a token
that was already rotated away revokes every token of that user (it was probably stolen)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.database import Database

from aduan.web.errors import ApiError


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(db: Database, user_id: str, ttl: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.refresh_tokens.insert_one({"_id": _digest(token), "user_id": user_id,
                                  "created_at": now, "expires_at": now + ttl,
                                  "revoked": False})
    return token


def rotate(db: Database, token: str, ttl: timedelta) -> tuple[str, str]:
    """Revokes `token` and returns (user_id, a new token)."""
    now = datetime.now(UTC)
    used = db.refresh_tokens.find_one_and_update(
        {"_id": _digest(token), "revoked": False, "expires_at": {"$gt": now}},
        {"$set": {"revoked": True, "revoked_at": now}},
        return_document=ReturnDocument.BEFORE,
    )
    if used is None:
        stale = db.refresh_tokens.find_one({"_id": _digest(token)})
        if stale is not None and stale["revoked"]:
            revoke_all(db, stale["user_id"])
        raise ApiError(401, "invalid_refresh_token", "This refresh token is not valid.")
    return used["user_id"], issue(db, used["user_id"], ttl)


def revoke(db: Database, token: str) -> None:
    db.refresh_tokens.update_one({"_id": _digest(token)}, {"$set": {"revoked": True}})


def revoke_all(db: Database, user_id: str) -> None:
    db.refresh_tokens.update_many({"user_id": user_id}, {"$set": {"revoked": True}})
