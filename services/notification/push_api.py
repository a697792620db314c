"""Web Push subscriptions over the API (public under /api/v1 through the gateway).

- `GET /push/key`: the VAPID public key a browser subscribes with (404 `push_disabled` while
  the deployment has no key);
- `POST /reports/<code>/push` `{subscription: {endpoint, keys: {p256dh, auth}}, language}`:
  with `X-Reporter-Token`, the reporter's device hears of their own report (whatever its
  visibility); without, a device follows a public report (its public steps only). The endpoint
  is the device's own, so no confirmation message is needed. 201 `{id, role}`;
- `DELETE /reports/<code>/push` `{endpoint}`: that device stops hearing of that report;
- `DELETE /push/subscriptions` `{endpoint}`: that device stops hearing of every report.
Both deletes answer 204 whether or not anything was subscribed (knowing the endpoint is the
proof: it is the device's secret address), so they tell no one which reports exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from aduan.domain.codes import normalise
from aduan.web.app import collaborators
from aduan.web.errors import ApiError
from aduan.web.report_access import REPORTER_TOKEN_HEADER, find_for_request, lookup
from aduan.web.validation import parse_json_object
from services.notification import push_subscriptions
from services.notification.push_subscriptions import (
    FOLLOWER,
    MAX_ENDPOINT_LENGTH,
    REPORTER,
    SubscriptionRefused,
    TooMany,
)
from services.notification.vapid_keys import from_settings

blueprint = Blueprint("notification_push", __name__)
LANGUAGES = ("id", "en")


def _require_push() -> str:
    """The public key; 404 `push_disabled` while the deployment has none."""
    keys = from_settings(collaborators().settings)
    if keys is None:
        raise ApiError(404, "push_disabled", "Push notifications are not set up here.")
    return keys.public_key


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send JSON.")
    return parse_json_object(request.get_data(), "The body")


def _endpoint(body: dict[str, Any]) -> str:
    unknown = sorted(set(body) - {"endpoint"})
    if unknown:
        raise ApiError(422, "invalid_push_subscription", "Only `endpoint` is taken here.",
                       {"field": unknown[0]})
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise ApiError(422, "invalid_push_endpoint", "endpoint is the subscription's URL.",
                       {"field": "endpoint"})
    return endpoint


@blueprint.get("/push/key")
def public_key() -> Response:
    response = jsonify({"public_key": _require_push()})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blueprint.post("/reports/<code>/push")
def subscribe(code: str) -> tuple[Response, int]:
    vapid_key = _require_push()
    context = collaborators()
    body = _body()
    unknown = sorted(set(body) - {"subscription", "language"})
    if unknown:
        raise ApiError(422, "invalid_push_subscription",
                       "Send {subscription, language} only.", {"field": unknown[0]})
    language = body.get("language", "id")
    if language not in LANGUAGES:
        raise ApiError(422, "invalid_language", "language is \"id\" or \"en\".",
                       {"field": "language"})
    try:
        subscription = push_subscriptions.checked(context.settings, body.get("subscription"))
    except SubscriptionRefused as refused:
        raise ApiError(422, refused.code, refused.message, {"field": refused.field}) from None
    # With a token, only the reporter's door (a wrong token is a missing report, never a
    # quiet fall back to following); without, only a public report.
    with_token = bool(request.headers.get(REPORTER_TOKEN_HEADER))
    found = find_for_request(context.db, context.settings, code,
                             ("reporter",) if with_token else ("public",))
    role = REPORTER if with_token else FOLLOWER
    try:
        stored = push_subscriptions.subscribe(context.db, found.report, role,
                                              subscription, language, vapid_key)
    except TooMany:
        raise ApiError(422, "push_subscription_limit",
                       "This report, or this device, has as many push subscriptions as it "
                       "takes.") from None
    return jsonify({"id": stored["_id"], "code": found.report["code"],
                    "role": stored["role"]}), 201


@blueprint.delete("/reports/<code>/push")
def unsubscribe_report(code: str) -> tuple[str, int]:
    context = collaborators()
    endpoint = _endpoint(_body())
    report = lookup(context.db, normalise(code))
    if report is not None:
        push_subscriptions.unsubscribe(context.db, endpoint, report["_id"])
    return "", 204


@blueprint.delete("/push/subscriptions")
def unsubscribe_device() -> tuple[str, int]:
    context = collaborators()
    push_subscriptions.unsubscribe(context.db, _endpoint(_body()))
    return "", 204
