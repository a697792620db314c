"""Sign-in, refresh and sign-out for staff; user and API-key administration for sysadmins."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify, request

from aduan.domain.roles import NOTIFIED_ROLES
from aduan.infra.catalogue import cities
from aduan.infra.revocations import revoke_access
from aduan.infra.versioned_cache import STAFF, announce_change
from aduan.web.auth import (
    AGENCY_ROLES,
    PLATFORM_ADMIN,
    SYSADMIN,
    Principal,
    current_principal,
    issue_access_token,
    require_roles,
)
from aduan.web.errors import ApiError
from aduan.web.scope import city_scope, require_city, scoped
from aduan.web.validation import parse_json_object, validate
from gateway import api_keys, login_throttle, refresh_tokens
from gateway.context import gateway
from gateway.schemas import ApiKeyIn, ContactIn, LoginIn, RefreshIn, UserChangeIn, UserIn
from gateway.users import (
    NewUser,
    authenticate,
    contact_fields,
    create_user,
    principal_of,
    public_user,
    set_password,
)


def _json_body() -> dict:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send a JSON body (application/json).")
    return parse_json_object(request.get_data(), "The request body")


def _admin() -> Principal:
    principal = current_principal()
    assert principal is not None  # require_roles refused the request otherwise
    return principal


ADMINS = (SYSADMIN, PLATFORM_ADMIN)


staff = Blueprint("staff", __name__)


def _refresh_ttl() -> timedelta:
    return timedelta(seconds=gateway().settings.refresh_token_ttl_s)


def _token_pair(user: dict, refresh_token: str) -> dict:
    settings = gateway().settings
    return {
        "access_token": issue_access_token(settings, principal_of(user)),
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_s,
        "refresh_token": refresh_token,
        "user": public_user(user),
    }


@staff.post("/auth/login")
def login():
    body = validate(LoginIn, _json_body())
    db, settings = gateway().db, gateway().settings
    login_throttle.take_turn(db, settings, body.username)
    user = authenticate(db, body.username, body.password)
    login_throttle.succeeded(db, body.username)
    return jsonify(_token_pair(user, refresh_tokens.issue(db, user["_id"], _refresh_ttl())))


@staff.post("/auth/refresh")
def refresh():
    body = validate(RefreshIn, _json_body())
    db = gateway().db
    user_id, new_token = refresh_tokens.rotate(db, body.refresh_token, _refresh_ttl())
    user = db.users.find_one({"_id": user_id})
    if user is None or user.get("disabled"):
        refresh_tokens.revoke(db, new_token)
        raise ApiError(401, "invalid_refresh_token", "This refresh token is not valid.")
    return jsonify(_token_pair(user, new_token))


@staff.post("/auth/logout")
def logout():
    body = validate(RefreshIn, _json_body())
    refresh_tokens.revoke(gateway().db, body.refresh_token)
    return "", 204


def _myself() -> dict:
    principal = current_principal()
    if principal is None:
        raise ApiError(401, "authentication_required", "Sign in to do this.")
    user = gateway().db.users.find_one({"_id": principal.user_id})
    if user is None:
        raise ApiError(401, "invalid_token", "The access token is not valid.")
    return user


@staff.get("/auth/me")
def me():
    return jsonify(public_user(_myself()))


@staff.patch("/auth/me")
def change_me():
    """Staff keep their own name, email, phone and language up to date (nothing else)."""
    user = _myself()
    body = validate(ContactIn, _json_body())
    changes = contact_fields(body.model_dump(exclude_unset=True))
    db = gateway().db
    if changes:
        db.users.update_one({"_id": user["_id"]}, {"$set": changes})
        _announce_staff(user["role"])
    return jsonify(public_user(db.users.find_one({"_id": user["_id"]})))


def _require_agency(city: str, agency: str | None) -> None:
    """An agency role's agency must be an active city agency of its city (see the catalogue
    API): a user bound to a mistyped code, an inactive agency or a vertical body (referred
    to, never forwarded to) would read nothing and hear nothing."""
    if not agency:
        return
    found = gateway().db.agencies.find_one({"city": city, "code": agency},
                                           {"kind": 1, "active": 1})
    if found is None or found.get("active") is False or found.get("kind") == "vertical":
        raise ApiError(422, "unknown_agency", "This city has no such active agency.",
                       {"agency": agency, "city": city})


@staff.post("/users")
@require_roles(*ADMINS)
def add_user():
    body = validate(UserIn, _json_body())
    require_city(_admin(), body.city)
    if body.city not in cities():  # only the platform admin gets here with another city
        raise ApiError(422, "unknown_city", "This city is not served.", {"city": body.city})
    _require_agency(body.city, body.agency)
    fields = body.model_dump(exclude_none=True)
    user = create_user(gateway().db, NewUser(**fields))
    _announce_staff(user["role"])
    return jsonify(public_user(user)), 201


def _announce_staff(*roles: str) -> None:
    """Answered once every notifier tells people as the change says (a staff member who may
    hear something: aduan/infra/versioned_cache.py)."""
    if any(role in NOTIFIED_ROLES for role in roles):
        announce_change(gateway().db, gateway().settings, STAFF)


@staff.get("/users")
@require_roles(*ADMINS)
def list_users():
    users = gateway().db.users.find(scoped(_admin(), {})).sort("username", 1).limit(1000)
    return jsonify({"items": [public_user(u) for u in users]})


@staff.patch("/users/<user_id>")
@require_roles(*ADMINS)
def change_user(user_id: str):
    body = validate(UserChangeIn, _json_body())
    db = gateway().db
    # Another city's user is not found: its existence is not confirmed either.
    user = db.users.find_one(scoped(_admin(), {"_id": user_id}))
    if user is None:
        raise ApiError(404, "user_not_found", "No such user.")
    given = body.model_dump(exclude_unset=True)
    changes = {key: given[key] for key in ("role", "disabled") if given.get(key) is not None}
    if "agency" in given:  # null takes a user out of its agency (e.g. to make them a leader)
        changes["agency"] = given["agency"]
    changes |= contact_fields(given)
    role = changes.get("role", user["role"])
    agency = changes.get("agency", user.get("agency"))
    if (role in AGENCY_ROLES) != bool(agency):
        raise ApiError(422, "agency_mismatch",
                       "Agency roles need an agency; other roles must not have one.")
    if "agency" in changes:
        _require_agency(user["city"], agency)
    if changes:
        db.users.update_one({"_id": user_id}, {"$set": changes})
        _announce_staff(user["role"], changes.get("role", user["role"]))
    if body.password:
        set_password(db, user_id, body.password)
    moved = changes.get("role", user["role"]) != user["role"] \
        or changes.get("agency", user.get("agency")) != user.get("agency")
    if body.password or body.disabled or moved:
        refresh_tokens.revoke_all(db, user_id)
        revoke_access(db, user_id)  # its access tokens too, in every service
    return jsonify(public_user(db.users.find_one({"_id": user_id})))


@staff.post("/api-keys")
@require_roles(*ADMINS)
def add_api_key():
    body = validate(ApiKeyIn, _json_body())
    principal = _admin()
    record, key = api_keys.create(gateway().db, body.name, principal.user_id, body.rate_limit,
                                  city_scope(principal))
    return jsonify({**api_keys.public_key(record), "key": key}), 201


@staff.get("/api-keys")
@require_roles(*ADMINS)
def list_api_keys():
    records = gateway().db.api_keys.find(scoped(_admin(), {})).sort("created_at", -1).limit(1000)
    return jsonify({"items": [api_keys.public_key(r) for r in records]})


@staff.delete("/api-keys/<key_id>")
@require_roles(*ADMINS)
def revoke_api_key(key_id: str):
    if not api_keys.revoke(gateway().db, key_id, city_scope(_admin())):
        raise ApiError(404, "api_key_not_found", "No active API key with this id.")
    return "", 204

