"""The notification service's HTTP API (public under /api/v1 through the gateway).

- `POST /webhooks`, `GET /webhooks`, `DELETE /webhooks/<id>`: subscriptions (sysadmin);
- `GET /webhook-deliveries?result=parked`: webhook deliveries, newest first (operators see
  their city's, sysadmins all);
- `POST /webhook-deliveries/<id>/redeliver`: a parked delivery gets a fresh set of attempts;
- `GET /reports/<code>/deliveries`: the delivery log of one report (operators of its city,
  sysadmins), recipients masked.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from pymongo.database import Database

from aduan.auth import OPERATOR, SYSADMIN, Principal, current_principal, require_roles
from aduan.catalogue import cities
from aduan.config import Settings
from aduan.errors import ApiError
from aduan.validation import parse_json_object, validate
from services.notification import deliveries, webhooks

RESULTS = ("pending", "sent", "parked", "cancelled")
MAX_LIMIT = 200


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # require_roles ran first
    return principal


def _city_scope(principal: Principal) -> str | None:
    """The only city an operator may look into; None: every city (sysadmin)."""
    return None if principal.role == SYSADMIN else principal.city


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "invalid_parameter", f"limit must be 1 to {MAX_LIMIT}.",
                       {"parameter": "limit"})
    return int(raw)


def create_blueprint(db: Database, settings: Settings) -> Blueprint:
    api = Blueprint("notification_api", __name__)

    @api.post("/webhooks")
    @require_roles(SYSADMIN)
    def create_webhook() -> tuple[Response, int, dict[str, str]]:
        data = validate(webhooks.SubscriptionIn,
                        parse_json_object(request.get_data(), "The request body"))
        if not webhooks.host_allowed(settings, data.url):
            raise ApiError(422, "webhook_host_not_allowed",
                           "Webhooks may not be sent to this host.", {"url": data.url})
        if data.city and data.city not in cities():
            raise ApiError(422, "unknown_city", "This city is not served.", {"city": data.city})
        if data.owner == "agency" and not data.agency:
            raise ApiError(422, "agency_required",
                           "A subscription owned by an agency must name that agency.",
                           {"field": "agency"})
        if data.agency:
            query = {"code": data.agency, **({"city": data.city} if data.city else {})}
            if db.agencies.find_one(query, {"_id": 1}) is None:
                raise ApiError(422, "unknown_agency", "No such agency.", {"agency": data.agency})
        subscription = webhooks.new_subscription(data, _principal().user_id)
        db.webhook_subscriptions.insert_one(subscription)
        view = webhooks.subscription_view(subscription)
        return jsonify(view), 201, {"Location": f"/api/v1/webhooks/{view['id']}"}

    @api.get("/webhooks")
    @require_roles(SYSADMIN)
    def list_webhooks() -> Response:
        found = db.webhook_subscriptions.find({"active": True}).sort("created_at", 1)
        return jsonify({"webhooks": [webhooks.subscription_view(s) for s in found]})

    @api.delete("/webhooks/<subscription_id>")
    @require_roles(SYSADMIN)
    def delete_webhook(subscription_id: str) -> tuple[str, int]:
        if db.webhook_subscriptions.delete_one({"_id": subscription_id}).deleted_count == 0:
            raise ApiError(404, "webhook_not_found", "No webhook subscription has this id.")
        webhooks.cancel_pending(db, subscription_id)
        return "", 204

    @api.get("/webhook-deliveries")
    @require_roles(OPERATOR, SYSADMIN)
    def list_webhook_deliveries() -> Response:
        result = request.args.get("result", "parked")
        if result not in RESULTS:
            raise ApiError(400, "invalid_parameter", f"result must be one of {', '.join(RESULTS)}.",
                           {"parameter": "result"})
        query = {"channel": "webhook", "result": result}
        city = _city_scope(_principal())
        if city is not None:
            query["city"] = city
        found = db.deliveries.find(query).sort("created_at", -1).limit(_limit())
        return jsonify({"deliveries": [deliveries.public_view(d) for d in found]})

    @api.post("/webhook-deliveries/<delivery_id>/redeliver")
    @require_roles(OPERATOR, SYSADMIN)
    def redeliver(delivery_id: str) -> tuple[Response, int]:
        principal = _principal()
        city = _city_scope(principal)
        existing = db.deliveries.find_one({"_id": delivery_id, "channel": "webhook"},
                                          {"city": 1})
        if existing is None or (city is not None and existing.get("city") != city):
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

    @api.get("/reports/<code>/deliveries")
    @require_roles(OPERATOR, SYSADMIN)
    def report_deliveries(code: str) -> Response:
        report = db.reports.find_one({"code": code}, {"city": 1, "code": 1})
        city = _city_scope(_principal())
        if report is None or (city is not None and report["city"] != city):
            raise ApiError(404, "report_not_found", "No report has this tracking code.")
        return jsonify({"code": code, "deliveries": deliveries.for_report(db, report["_id"])})

    return api
