"""Staff accounts: argon2-hashed passwords, one role each, agency roles bound to one agency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aduan.web.auth import AGENCY_ROLES, Principal
from aduan.web.errors import ApiError

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the answer time the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    role: str
    city: str
    agency: str | None = None
    name: str | None = None


def create_user(db: Database, user: NewUser) -> dict[str, Any]:
    if user.role in AGENCY_ROLES and not user.agency:
        raise ApiError(422, "agency_required", "Agency roles must name their agency.")
    if user.role not in AGENCY_ROLES and user.agency:
        raise ApiError(422, "agency_not_allowed", "Only agency roles belong to an agency.")
    document = {
        "_id": uuid.uuid4().hex,
        "username": user.username,
        "password_hash": _hasher.hash(user.password),
        "role": user.role,
        "city": user.city,
        "agency": user.agency,
        "name": user.name,
        "disabled": False,
        "created_at": datetime.now(UTC),
    }
    try:
        db.users.insert_one(document)
    except DuplicateKeyError as err:
        raise ApiError(409, "username_taken", "This username is already in use.") from err
    return document


def authenticate(db: Database, username: str, password: str) -> dict[str, Any]:
    user = db.users.find_one({"username": username})
    try:
        _hasher.verify(user["password_hash"] if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError) as err:
        raise ApiError(401, "invalid_credentials", "Wrong username or password.") from err
    if user is None:
        raise ApiError(401, "invalid_credentials", "Wrong username or password.")
    if user.get("disabled"):
        raise ApiError(403, "account_disabled", "This account is disabled.")
    if _hasher.check_needs_rehash(user["password_hash"]):
        db.users.update_one({"_id": user["_id"]},
                            {"$set": {"password_hash": _hasher.hash(password)}})
    return user


def set_password(db: Database, user_id: str, password: str) -> None:
    db.users.update_one({"_id": user_id}, {"$set": {"password_hash": _hasher.hash(password)}})


def principal_of(user: dict[str, Any]) -> Principal:
    return Principal(user_id=user["_id"], role=user["role"], city=user["city"],
                     agency=user.get("agency"))


def public_user(user: dict[str, Any]) -> dict[str, Any]:
    return {key: user.get(key) for key in
            ("username", "role", "city", "agency", "name", "disabled")} | {"id": user["_id"]}
