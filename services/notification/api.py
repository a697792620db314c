"""The notification service's HTTP API (public under /api/v1 through the gateway).

- `POST /webhooks`, `GET /webhooks`, `DELETE /webhooks/<id>`: subscriptions of the sysadmin's
  city (a subscription always has a city: the sysadmin's own);
- `GET /webhook-deliveries?result=parked`: webhook deliveries of the caller's city, newest
  first;
- `POST /webhook-deliveries/<id>/redeliver`: a parked delivery gets a fresh set of attempts;
- `GET /reports/<code>/deliveries`: the delivery log of one report (operators and sysadmins of
  its city), recipients masked.

The platform admin (`aduan.web.scope`) sees and manages every city's.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, jsonify, request
from pymongo.database import Database

from aduan.contracts.webhooks import SubscriptionIn
from aduan.infra.catalogue import cities
from aduan.infra.config import Settings
from aduan.infra.public_addresses import TargetRefused
from aduan.infra.versioned_cache import announce_change
from aduan.web.app import collaborators
from aduan.web.auth import (
    OPERATOR,
    PLATFORM_ADMIN,
    SYSADMIN,
    authorised_principal,
    require_roles,
)
from aduan.web.errors import ApiError
from aduan.web.report_access import lookup, not_found
from aduan.web.scope import city_scope, may_administer, require_city, scoped
from aduan.web.validation import parse_json_object, validate
from services.notification import deliveries, subscription_cache, webhooks
from services.notification.webhook_targets import resolve_target

RESULTS = ("pending", "sent", "parked", "cancelled")
MAX_LIMIT = 200



ADMINS = (SYSADMIN, PLATFORM_ADMIN)
CITY_STAFF = (OPERATOR, SYSADMIN, PLATFORM_ADMIN)


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "invalid_parameter", f"limit must be 1 to {MAX_LIMIT}.",
                       {"parameter": "limit"})
    return int(raw)


@dataclass(frozen=True)
class Context:
    """What the routes work with (`aduan.web.app.provide`)."""

    settings: Settings
    db: Database


def _context() -> Context:
    return collaborators()


blueprint = Blueprint("notification_api", __name__)


@blueprint.post("/webhooks")
@require_roles(*ADMINS)
def create_webhook() -> tuple[Response, int, dict[str, str]]:
    context = _context()
    data = validate(SubscriptionIn, parse_json_object(request.get_data(), "The request body"))
    principal = authorised_principal()
    # Never city-less: such a subscription would hear every city's reports.
    city = data.city or city_scope(principal)
    if city is None:
        raise ApiError(422, "city_required", "Name the city this webhook is for.",
                       {"field": "city"})
    require_city(principal, city)
    data = data.model_copy(update={"city": city})
    try:
        resolve_target(context.settings, data.url)
    except TargetRefused as refused:
        raise ApiError(422, refused.code, refused.message, {"url": data.url}) from None
    if data.city not in cities():
        raise ApiError(422, "unknown_city", "This city is not served.", {"city": data.city})
    if data.owner == "agency" and not data.agency:
        raise ApiError(422, "agency_required",
                       "A subscription owned by an agency must name that agency.",
                       {"field": "agency"})
    if data.agency:
        query = {"code": data.agency, "city": data.city}
        if context.db.agencies.find_one(query, {"_id": 1}) is None:
            raise ApiError(422, "unknown_agency", "No such agency.", {"agency": data.agency})
    subscription = webhooks.new_subscription(data, principal.user_id)
    context.db.webhook_subscriptions.insert_one(subscription)
    # Answered once every notification process hears events for it (versioned_cache.py).
    announce_change(context.db, context.settings, subscription_cache.NAME)
    view = webhooks.subscription_view(subscription)
    return jsonify(view), 201, {"Location": f"/api/v1/webhooks/{view['id']}"}


@blueprint.get("/webhooks")
@require_roles(*ADMINS)
def list_webhooks() -> Response:
    active = scoped(authorised_principal(), {"active": True})
    found = _context().db.webhook_subscriptions.find(active).sort("created_at", 1)
    return jsonify({"webhooks": [webhooks.subscription_view(s) for s in found]})


@blueprint.delete("/webhooks/<subscription_id>")
@require_roles(*ADMINS)
def delete_webhook(subscription_id: str) -> tuple[str, int]:
    context = _context()
    db = context.db
    query = scoped(authorised_principal(), {"_id": subscription_id})
    if db.webhook_subscriptions.delete_one(query).deleted_count == 0:
        raise ApiError(404, "webhook_not_found", "No webhook subscription has this id.")
    # Answered once no notification process schedules deliveries for it any more.
    announce_change(db, context.settings, subscription_cache.NAME)
    webhooks.cancel_pending(db, subscription_id)
    return "", 204


@blueprint.get("/webhook-deliveries")
@require_roles(*CITY_STAFF)
def list_webhook_deliveries() -> Response:
    result = request.args.get("result", "parked")
    if result not in RESULTS:
        raise ApiError(400, "invalid_parameter", f"result must be one of {', '.join(RESULTS)}.",
                       {"parameter": "result"})
    query = scoped(authorised_principal(), {"channel": "webhook", "result": result})
    found = _context().db.deliveries.find(query).sort("created_at", -1).limit(_limit())
    return jsonify({"deliveries": [deliveries.public_view(d) for d in found]})


@blueprint.post("/webhook-deliveries/<delivery_id>/redeliver")
@require_roles(*CITY_STAFF)
def redeliver(delivery_id: str) -> tuple[Response, int]:
    db = _context().db
    principal = authorised_principal()
    existing = db.deliveries.find_one(
        scoped(principal, {"_id": delivery_id, "channel": "webhook"}), {"city": 1})
    if existing is None:
        raise ApiError(404, "delivery_not_found", "No webhook delivery has this id.")
    try:
        updated = webhooks.redeliver(db, delivery_id, principal.user_id)
    except webhooks.NotRedeliverable as err:
        code = str(err)
        message = ("Only a parked delivery can be redelivered." if code == "not_parked"
                   else "Its webhook subscription has been deleted.")
        raise ApiError(409, code, message) from None
    if updated is None:
        raise ApiError(404, "delivery_not_found", "No webhook delivery has this id.")
    return jsonify(deliveries.public_view(updated)), 202


@blueprint.get("/reports/<code>/deliveries")
@require_roles(*CITY_STAFF)
def report_deliveries(code: str) -> Response:
    """An administrator's door (the platform admin's too): another city's report is answered as
    a missing one."""
    db = _context().db
    report = lookup(db, code)
    if report is None or not may_administer(authorised_principal(), report["city"]):
        raise not_found()
    return jsonify({"code": report["code"],
                    "deliveries": deliveries.for_report(db, report["_id"])})
