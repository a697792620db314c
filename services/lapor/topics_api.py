"""The city's SP4N-LAPOR! topic mapping over HTTP: operators read it, sysadmins edit it.

City walls (aduan/web/scope.py): a city's staff read and edit their own city's table; the
platform admin names the city (`?city=`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pymongo.errors import DuplicateKeyError

from aduan.contracts.lapor import TOPIC_ID_PATTERN, TopicIn
from aduan.infra.catalogue import cities
from aduan.web.app import collaborators
from aduan.web.auth import (
    OPERATOR,
    PLATFORM_ADMIN,
    SYSADMIN,
    Principal,
    authorised_principal,
    require_roles,
)
from aduan.web.errors import ApiError
from aduan.web.scope import city_scope
from aduan.web.validation import parse_json_object, validate
from services.lapor import topics

READERS = (OPERATOR, SYSADMIN, PLATFORM_ADMIN)
EDITORS = (SYSADMIN, PLATFORM_ADMIN)

blueprint = Blueprint("lapor_topics", __name__)



def _city(principal: Principal) -> str:
    """The principal's own city; the platform admin's `?city=`."""
    city = city_scope(principal) or request.args.get("city", "")
    if city not in cities():
        raise ApiError(422, "unknown_city", "Name a city this platform serves (?city=).",
                       {"city": city})
    return city


def _topic_id(raw: str) -> str:
    if not re.fullmatch(TOPIC_ID_PATTERN, raw):
        raise ApiError(404, "topic_not_found", "No LAPOR! topic has this id.")
    return raw


def topic_view(topic: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    updated = topic.get("updated_at")
    return {"topic_id": topic["topic_id"], "parent_id": topic.get("parent_id"),
            "name": topic.get("name") or "", "category": topic.get("category"),
            "category_name": names.get(topic.get("category") or ""),
            "seeded": bool(topic.get("seeded")),
            "updated_at": updated.isoformat() if isinstance(updated, datetime) else None}


def _category_names(city: str) -> dict[str, str]:
    return {c["code"]: c.get("name_id", c["code"])
            for c in collaborators().db.categories.find({"city": city},
                                                        {"code": 1, "name_id": 1})}


@blueprint.get("/lapor/topics")
@require_roles(*READERS)
def list_topics() -> Response:
    db = collaborators().db
    city = _city(authorised_principal())
    topics.ensure_seeded(db)
    found = db[topics.COLLECTION].find({"city": city, "deleted": {"$ne": True}})
    names = _category_names(city)
    items = sorted((topic_view(t, names) for t in found),
                   key=lambda t: (t["topic_id"].zfill(12), t["topic_id"]))
    return jsonify({"city": city, "fallback_category": topics.fallback_category(db, city),
                    "topics": items})


@blueprint.put("/lapor/topics/<topic_id>")
@require_roles(*EDITORS)
def put_topic(topic_id: str) -> Response:
    db = collaborators().db
    principal = authorised_principal()
    city = _city(principal)
    topic_id = _topic_id(topic_id)
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send application/json.")
    data = validate(TopicIn, parse_json_object(request.get_data(), "The request body"))
    sent = data.model_dump(exclude_unset=True)
    if data.category is not None and not db.categories.count_documents(
            {"city": city, "code": data.category}, limit=1):
        raise ApiError(422, "unknown_category", "This city has no category with this code.",
                       {"category": data.category})
    if data.parent_id == topic_id:
        raise ApiError(422, "topic_own_parent", "A topic cannot be its own parent.",
                       {"parent_id": data.parent_id})
    topics.ensure_seeded(db)
    key = topics.doc_id(city, topic_id)
    now = datetime.now(UTC)
    changes = {"category": data.category, "deleted": False, "updated_at": now,
               "updated_by": principal.user_id,
               **{field: sent[field] for field in ("parent_id", "name") if field in sent}}
    update = {"$set": changes,
              "$setOnInsert": {"city": city, "topic_id": topic_id, "seeded": False,
                               **{field: None for field in ("parent_id", "name")
                                  if field not in sent}}}
    try:
        db[topics.COLLECTION].update_one({"_id": key}, update, upsert=True)
    except DuplicateKeyError:
        # Two sysadmins adding the same topic at once: the other inserted it; this one updates.
        db[topics.COLLECTION].update_one({"_id": key}, update)
    return jsonify(topic_view(db[topics.COLLECTION].find_one({"_id": key}) or {},
                              _category_names(city)))


@blueprint.delete("/lapor/topics/<topic_id>")
@require_roles(*EDITORS)
def delete_topic(topic_id: str) -> tuple[str, int]:
    db = collaborators().db
    principal = authorised_principal()
    city = _city(principal)
    topics.ensure_seeded(db)
    # A tombstone, so that seeding does not bring the topic back.
    done = db[topics.COLLECTION].update_one(
        {"_id": topics.doc_id(city, _topic_id(topic_id)), "deleted": {"$ne": True}},
        {"$set": {"deleted": True, "category": None, "updated_at": datetime.now(UTC),
                  "updated_by": principal.user_id}})
    if done.matched_count == 0:
        raise ApiError(404, "topic_not_found", "No LAPOR! topic has this id.")
    return "", 204
