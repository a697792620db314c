"""The agency and category catalogue over HTTP: staff read their city's, sysadmins edit it.
Kecamatan offices come from the kecamatan polygons; sysadmins edit their contacts, not their
existence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aduan.contracts.catalogue import AgencyIn, AgencyPatch, CategoryIn, CategoryPatch
from aduan.domain.report_types import category_types
from aduan.infra import catalogue_cache
from aduan.infra.catalogue import AGENCY_KINDS, KECAMATAN, cities, rule_agencies
from aduan.infra.versioned_cache import announce_change
from aduan.web.app import collaborators
from aduan.web.auth import ROLES, SYSADMIN, Principal
from aduan.web.errors import ApiError
from aduan.web.validation import parse_json_object, validate
from services.routing.access import signed_in


def _json_body() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send application/json.")
    return parse_json_object(request.get_data(), "The request body")


def _changes(model: type[BaseModel]) -> dict[str, Any]:
    """The fields a PATCH sets; at least one."""
    changes = validate(model, _json_body()).model_dump(exclude_unset=True)
    if not changes:
        raise ApiError(422, "empty_patch", "Send at least one field to change.")
    return changes


NESTED = ("contact", "sla")
# Person fields of catalogues seeded before people became users: nobody reads them any more.
RETIRED_AGENCY_FIELDS = ("_id", "head", "liaisons")


def _update(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The update a PATCH makes. A nested object (`contact`, `sla`) changes field by field, so
    setting a desk's email keeps its phone; a field sent as null is removed (an SLA target goes
    back to the setting's), and so is a whole object sent as null."""
    sets: dict[str, Any] = {}
    unsets: dict[str, str] = {}
    for key, value in changes.items():
        if key in NESTED and value is None:
            unsets[key] = ""
        elif key in NESTED and isinstance(current.get(key), dict):
            for field, inner in value.items():
                if inner is None:
                    unsets[f"{key}.{field}"] = ""
                else:
                    sets[f"{key}.{field}"] = inner
        elif key in NESTED:
            sets[key] = {field: inner for field, inner in value.items() if inner is not None}
        else:
            sets[key] = value
    return {"$set": sets, **({"$unset": unsets} if unsets else {})}


def _agency_view(agency: dict[str, Any], categories: list[dict[str, Any]]) -> dict[str, Any]:
    handled = [c["code"] for c in categories
               if agency["code"] in rule_agencies(c) or c.get("refer_to") == agency["code"]
               or (agency["kind"] == "kecamatan" and KECAMATAN in rule_agencies(c))]
    shown = {k: v for k, v in agency.items() if k not in RETIRED_AGENCY_FIELDS}
    shown["categories"] = handled
    for key in ("created_at", "updated_at"):
        if isinstance(shown.get(key), datetime):
            shown[key] = shown[key].isoformat()
    return shown


def _check_rule(db: Database, city: str, rule: dict[str, Any]) -> None:
    """A category routes to agencies of the city or refers to one vertical body, not both."""
    agencies = [c for c in rule.get("agencies") or [] if c != KECAMATAN]
    refer_to = rule.get("refer_to")
    if agencies and refer_to:
        raise ApiError(422, "conflicting_rule",
                       "A category either goes to agencies or is referred, not both.")
    wanted = agencies + ([refer_to] if refer_to else [])
    found = {a["code"]: a["kind"] for a in db.agencies.find(
        {"city": city, "code": {"$in": wanted}}, {"code": 1, "kind": 1})}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise ApiError(422, "unknown_agency", "No agency of this city has this code.",
                       {"agencies": missing})
    if refer_to and found[refer_to] != "vertical":
        raise ApiError(422, "not_a_vertical_body", "Only vertical bodies are referred to.",
                       {"refer_to": refer_to})
    vertical = [c for c in agencies if found[c] == "vertical"]
    if vertical:
        raise ApiError(422, "vertical_body_in_rule",
                       "Vertical bodies are referred to with refer_to.", {"agencies": vertical})


def _audit(principal: Principal) -> dict[str, Any]:
    return {"updated_at": datetime.now(UTC), "updated_by": principal.user_id}


blueprint = Blueprint("catalogue", __name__)


@blueprint.get("/categories")
def list_categories():
    routing = collaborators()
    db = routing.db
    city = request.args.get("city", "") or routing.settings.default_city
    if city not in cities():
        raise ApiError(422, "unknown_city", "This city is not served.", {"city": city})
    items = db.categories.find({"city": city}, {"_id": 0, "updated_by": 0}).sort("code", 1)
    # `types`: what the category asks of each report type, its own or the defaults.
    return jsonify({"city": city, "categories": [
        {**{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in c.items()},
         "types": category_types(c)}
        for c in items]})


@blueprint.get("/agencies")
def list_agencies():
    db = collaborators().db
    principal = signed_in(*ROLES)
    query: dict[str, Any] = {"city": principal.city}
    kind = request.args.get("kind")
    if kind:
        if kind not in AGENCY_KINDS:
            raise ApiError(422, "unknown_kind", "No such kind of agency.",
                           {"kind": kind, "kinds": list(AGENCY_KINDS)})
        query["kind"] = kind
    categories = list(db.categories.find({"city": principal.city}))
    agencies = db.agencies.find(query).sort("code", 1)
    return jsonify({"city": principal.city,
                    "agencies": [_agency_view(a, categories) for a in agencies]})


def _agency(city: str, code: str) -> dict[str, Any]:
    db = collaborators().db
    agency = db.agencies.find_one({"city": city, "code": code}) if len(code) <= 30 else None
    if agency is None:
        raise ApiError(404, "agency_not_found", "No agency of this city has this code.")
    return agency


@blueprint.get("/agencies/<code>")
def get_agency(code: str):
    db = collaborators().db
    principal = signed_in(*ROLES)
    categories = list(db.categories.find({"city": principal.city}))
    return jsonify(_agency_view(_agency(principal.city, code), categories))


@blueprint.post("/agencies")
def create_agency():
    db = collaborators().db
    principal = signed_in(SYSADMIN)
    agency = validate(AgencyIn, _json_body()).model_dump()
    doc = {**agency, "active": agency["active"] is not False, "city": principal.city,
           "_id": f"{principal.city}:{agency['code']}", "contact": agency["contact"] or {},
           "created_at": datetime.now(UTC), **_audit(principal)}
    try:
        db.agencies.insert_one(doc)
    except DuplicateKeyError as err:
        raise ApiError(409, "agency_exists", "An agency of this city has this code.",
                       {"code": agency["code"]}) from err
    _announce(db)
    return jsonify(_agency_view(doc, [])), 201


@blueprint.patch("/agencies/<code>")
def update_agency(code: str):
    db = collaborators().db
    principal = signed_in(SYSADMIN)
    changes = _changes(AgencyPatch)
    agency = _agency(principal.city, code)
    update = _update(agency, changes)
    update["$set"].update(_audit(principal))
    db.agencies.update_one({"_id": agency["_id"]}, update)
    _announce(db)
    categories = list(db.categories.find({"city": principal.city}))
    return jsonify(_agency_view(_agency(principal.city, code), categories))


def _announce(db) -> None:
    """Answered once the routing and notification workers use the change
    (aduan/infra/catalogue_cache.py)."""
    announce_change(db, collaborators().settings, catalogue_cache.NAME)


def _category(city: str, code: str) -> dict[str, Any]:
    db = collaborators().db
    category = db.categories.find_one({"city": city, "code": code}) if len(code) <= 40 \
        else None
    if category is None:
        raise ApiError(404, "category_not_found", "No category of this city has this code.")
    return category


@blueprint.post("/categories")
def create_category():
    db = collaborators().db
    principal = signed_in(SYSADMIN)
    category = validate(CategoryIn, _json_body()).model_dump(exclude_none=True)
    category.setdefault("agencies", [])
    _check_rule(db, principal.city, category)
    doc = {**category, "city": principal.city,
           "_id": f"{principal.city}:{category['code']}", **_audit(principal)}
    try:
        db.categories.insert_one(doc)
    except DuplicateKeyError as err:
        raise ApiError(409, "category_exists", "A category of this city has this code.",
                       {"code": category["code"]}) from err
    _announce(db)
    doc.pop("_id")
    doc.pop("updated_by")
    return jsonify({**doc, "updated_at": doc["updated_at"].isoformat()}), 201


@blueprint.patch("/categories/<code>")
def update_category(code: str):
    db = collaborators().db
    principal = signed_in(SYSADMIN)
    changes = _changes(CategoryPatch)
    category = _category(principal.city, code)
    # Setting one kind of rule clears the other.
    if changes.get("refer_to"):
        changes.setdefault("agencies", [])
    if changes.get("agencies"):
        changes.setdefault("refer_to", None)
    rule = {"agencies": changes.get("agencies", rule_agencies(category)),
            "refer_to": changes.get("refer_to", category.get("refer_to"))}
    _check_rule(db, principal.city, rule)
    # `types` is sent whole; null goes back to the defaults (report_types.DEFAULT_TYPES).
    clear_types = "types" in changes and changes["types"] is None
    if clear_types:
        del changes["types"]
    update = _update(category, changes)
    update["$set"].update(_audit(principal))
    # `agency` is the skeleton's single-agency rule, replaced by `agencies`.
    update["$unset"] = {**update.get("$unset", {}), "agency": "",
                        **({"types": ""} if clear_types else {})}
    db.categories.update_one({"_id": category["_id"]}, update)
    _announce(db)
    updated = _category(principal.city, code)
    updated.pop("_id")
    updated.pop("updated_by", None)
    return jsonify({**updated, "updated_at": updated["updated_at"].isoformat()})
