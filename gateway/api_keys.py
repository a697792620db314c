"""API keys of client apps: `adn_<id>_<secret>`; only a SHA-256 of the secret is stored (the
secret has 256 bits of entropy, so a slow hash adds nothing)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from aduan.web.errors import ApiError

PREFIX = "adn"


@dataclass(frozen=True)
class ClientApp:
    key_id: str
    name: str
    rate_limit: int | None


def create(db: Database, name: str, created_by: str, rate_limit: int | None,
           city: str | None = None) -> tuple[dict, str]:
    """`city`: the city whose sysadmins manage the key (None: only the platform admin)."""
    key_id = uuid.uuid4().hex[:16]
    secret = secrets.token_urlsafe(32)
    document = {
        "_id": key_id,
        "name": name,
        "secret_sha256": hashlib.sha256(secret.encode()).hexdigest(),
        "rate_limit": rate_limit,
        "created_by": created_by,
        "city": city,
        "created_at": datetime.now(UTC),
        "revoked_at": None,
    }
    db.api_keys.insert_one(document)
    return document, f"{PREFIX}_{key_id}_{secret}"


def verify(db: Database, presented: str) -> ClientApp:
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    record = db.api_keys.find_one({"_id": key_id}) if prefix == PREFIX and secret else None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    if record is None or not hmac.compare_digest(record["secret_sha256"], digest):
        raise ApiError(401, "invalid_api_key", "This API key is not valid.")
    if record.get("revoked_at"):
        raise ApiError(401, "api_key_revoked", "This API key has been revoked.")
    return ClientApp(key_id=key_id, name=record["name"], rate_limit=record.get("rate_limit"))


def revoke(db: Database, key_id: str, city: str | None = None) -> bool:
    """Revokes the key if it is active and of `city` (None: of any city)."""
    query = {"_id": key_id, "revoked_at": None, **({"city": city} if city is not None else {})}
    result = db.api_keys.update_one(query,
                                    {"$set": {"revoked_at": datetime.now(UTC)}})
    return result.modified_count == 1


def public_key(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["_id"],
        "name": record["name"],
        "rate_limit": record.get("rate_limit"),
        "city": record.get("city"),
        "created_at": record["created_at"].isoformat(),
        "revoked_at": record["revoked_at"].isoformat() if record.get("revoked_at") else None,
    }
