"""Staff accounts: argon2-hashed passwords, one role each, agency roles bound to one agency,
and how each can be reached (name, email, phone, language): the one staff directory the
notifier reads (services.notification.contacts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aduan.domain.contact_details import normalize_email, normalize_phone
from aduan.infra.versioned_cache import STAFF, bump
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
    email: str | None = None
    phone: str | None = None
    language: str = "id"


CONTACT_FIELDS = ("name", "email", "phone", "language")


def contact_fields(given: dict[str, Any]) -> dict[str, Any]:
    """The contact fields among `given`, checked and normalised: an email address trimmed with
    its domain lower-cased, a phone number as "+62..."; "" or None clears one. Refused with
    422 `invalid_email` / `invalid_phone`."""
    fields: dict[str, Any] = {}
    for key in CONTACT_FIELDS:
        if key not in given:
            continue
        value = given[key]
        if isinstance(value, str):
            value = value.strip() or None
        if key == "email" and value is not None:
            value = normalize_email(value)
            if value is None:
                raise ApiError(422, "invalid_email", "This is not an email address.",
                               {"field": "email"})
        elif key == "phone" and value is not None:
            value = normalize_phone(value)
            if value is None:
                raise ApiError(422, "invalid_phone",
                               "This is not a phone number (e.g. 0812-3456-7890 or +62...).",
                               {"field": "phone"})
        elif key == "language" and value is None:
            continue  # every user has a language; none given keeps the one stored
        fields[key] = value
    return fields


def create_user(db: Database, user: NewUser) -> dict[str, Any]:
    if user.role in AGENCY_ROLES and not user.agency:
        raise ApiError(422, "agency_required", "Agency roles must name their agency.")
    if user.role not in AGENCY_ROLES and user.agency:
        raise ApiError(422, "agency_not_allowed", "Only agency roles belong to an agency.")
    contact = contact_fields({"name": user.name, "email": user.email, "phone": user.phone,
                              "language": user.language})
    document = {
        "_id": uuid.uuid4().hex,
        "username": user.username,
        "password_hash": _hasher.hash(user.password),
        "role": user.role,
        "city": user.city,
        "agency": user.agency,
        "name": None, "email": None, "phone": None, "language": "id",
        **contact,
        "disabled": False,
        "created_at": datetime.now(UTC),
    }
    try:
        db.users.insert_one(document)
    except DuplicateKeyError as err:
        raise ApiError(409, "username_taken", "This username is already in use.") from err
    bump(db, STAFF)  # the notifiers' copies of who hears what (the API also waits for them)
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
    shown = {key: user.get(key) for key in
             ("username", "role", "city", "agency", "name", "email", "phone", "disabled")}
    return shown | {"language": user.get("language") or "id", "id": user["_id"]}
