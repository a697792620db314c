"""The parking queue of a consumer, for operators: list what is parked, replay it.

Listing takes messages without acking them and closes the channel, so the broker puts every
one back; replaying publishes a copy to the consumer's queue (confirmed) before acking the
parked one, so a message is never lost on the way.

The parking queue is shared by every city: a city's staff see and replay only messages whose
event names their city (`aduan.web.scope`); the rest (another city's, or no readable city) are
left for the platform admin.
"""

from __future__ import annotations

import json
from typing import Any

import pika
from flask import Blueprint, jsonify, request

from aduan.contracts.parking import MAX_LISTED, ReplayIn
from aduan.infra import report_snapshots
from aduan.infra.config import Settings
from aduan.infra.messaging import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    connect,
    parking_queue_name,
    queue_name,
)
from aduan.web.auth import OPERATOR, PLATFORM_ADMIN, SYSADMIN, current_principal, require_roles
from aduan.web.scope import city_scope
from aduan.web.validation import parse_json_object, validate


def _describe(properties: pika.BasicProperties, body: bytes) -> dict[str, Any]:
    headers = properties.headers or {}
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        payload = body[:500].decode("utf-8", errors="replace")
    if isinstance(payload, dict):
        # The report the event carries for its consumers holds the reporter's identity, which
        # not everyone who may list parked messages may read (aduan/infra/report_snapshots.py);
        # a replay sends the message as it was, report included.
        payload.pop(report_snapshots.FIELD, None)
    return {
        "message_id": properties.message_id,
        "type": properties.type,
        "routing_key": headers.get("x-aduan-routing-key"),
        "correlation_id": properties.correlation_id,
        "attempts": headers.get(ATTEMPTS_HEADER),
        "last_error": headers.get(ERROR_HEADER),
        "body": payload,
    }


def _city_of(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    city = payload.get("city") if isinstance(payload, dict) else None
    return city if isinstance(city, str) else None


def _visible(body: bytes, city: str | None) -> bool:
    """`city` None: every message (the platform admin)."""
    return city is None or _city_of(body) == city


def list_parked(settings: Settings, consumer: str, city: str | None,
                limit: int = MAX_LISTED) -> list[dict]:
    connection = connect(settings)
    try:
        channel = connection.channel()
        parked = []
        for _ in range(limit):
            method, properties, body = channel.basic_get(parking_queue_name(settings, consumer))
            if method is None:
                break
            if _visible(body, city):
                parked.append(_describe(properties, body))
        return parked  # closing the channel unacked returns every message to the queue
    finally:
        connection.close()


def replay_parked(settings: Settings, consumer: str, message_ids: set[str] | None,
                  city: str | None) -> int:
    connection = connect(settings)
    replayed = 0
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for _ in range(MAX_LISTED):
            method, properties, body = channel.basic_get(parking_queue_name(settings, consumer))
            if method is None:
                break
            if not _visible(body, city) or (
                    message_ids is not None and properties.message_id not in message_ids):
                continue  # left unacked: back to the parking queue when the channel closes
            headers = dict(properties.headers or {})
            headers[ATTEMPTS_HEADER] = 0
            headers["x-aduan-replayed"] = True
            properties.headers = headers
            channel.basic_publish("", queue_name(settings, consumer), body,
                                  properties=properties, mandatory=True)
            channel.basic_ack(method.delivery_tag)
            replayed += 1
    finally:
        connection.close()
    return replayed


def parking_blueprint(settings: Settings, consumer: str) -> Blueprint:
    blueprint = Blueprint(f"parking_{consumer}", __name__)

    def _city() -> str | None:
        principal = current_principal()
        assert principal is not None  # require_roles refused the request otherwise
        return city_scope(principal)

    @blueprint.get("/ops/parked")
    @require_roles(OPERATOR, SYSADMIN, PLATFORM_ADMIN)
    def parked():
        items = list_parked(settings, consumer, _city())
        return jsonify({"consumer": consumer, "items": items, "count": len(items)})

    @blueprint.post("/ops/parked/replay")
    @require_roles(OPERATOR, SYSADMIN, PLATFORM_ADMIN)
    def replay():
        body = validate(ReplayIn, parse_json_object(request.get_data() or b"{}", "The body"))
        ids = set(body.message_ids) if body.message_ids else None
        return jsonify({"consumer": consumer, "replayed": replay_parked(settings, consumer, ids,
                                                                           _city())})

    return blueprint
