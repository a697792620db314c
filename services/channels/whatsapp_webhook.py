"""The WhatsApp Business Cloud API webhook: residents chat with the city's number.

- `GET /whatsapp/webhook`: Meta's subscription handshake (hub.mode=subscribe, hub.verify_token,
  hub.challenge → the challenge as text/plain; a wrong token → 403).
- `POST /whatsapp/webhook`: Meta's deliveries. `X-Hub-Signature-256` ("sha256=" + hex HMAC-
  SHA256 of the raw body under the app secret) is checked before the body is even parsed; a
  missing or wrong one → 401 and nothing is stored. Each message is handled once by its wamid
  (Meta retries deliveries it got no 2xx for): aduan.domain.conversation decides, the
  conversation store (services/channels/conversations.py) keeps the step, the replies to send
  and the report to file in one write, and then they are carried out. When the Graph API or
  intake is unavailable the answer is 503, so Meta delivers again later and the next delivery
  carries out what is still pending (the message itself is not handled twice).
Delivery and read statuses Meta also posts are acknowledged and ignored.

Through the gateway (`/api/v1/channels/whatsapp/webhook`), which forwards the raw body and the
signature header untouched. Deliveries count against the per-address rate limit like any public
call; Meta posts from many addresses and delivers a refused (429) one again, so none is lost.
Bodies over 256 KiB are refused by the channels service (services/channels/app.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from flask import Blueprint, Response, request
from pymongo.database import Database

from aduan.domain import conversation as bot
from aduan.domain.geo import city_area
from aduan.domain.report_types import DEFAULT_TYPE, category_types
from aduan.infra import metrics
from aduan.infra.catalogue import cities, shared_categories
from aduan.infra.config import Settings
from aduan.infra.intake_client import (
    Attachment,
    IntakeRefused,
    IntakeUnavailable,
    file_report,
)
from aduan.infra.whatsapp_graph import (
    GraphApi,
    MediaTooLarge,
    WhatsAppRefused,
    WhatsAppUnavailable,
)
from aduan.infra.whatsapp_reach import opt_in, opt_out, opted_out
from aduan.web.app import collaborators, current_request_id
from aduan.web.errors import ApiError
from services.channels.conversations import Conversation, ConversationStore
from services.channels.whatsapp_api import graph_message

log = logging.getLogger(__name__)
blueprint = Blueprint("whatsapp", __name__)
SIGNATURE_HEADER = "X-Hub-Signature-256"
ATTEMPTS = 5  # re-decisions when deliveries of one number race
# How long a delivery waits for another one carrying out the same number's work (its replies
# are usually sent within a second) before answering 503, so Meta comes back: a holder that
# crashed leaves its lease to run out, and only a later delivery can then finish its work.
WAIT_FOR_HOLDER_S = 10.0


@dataclass
class WhatsApp:
    settings: Settings
    db: Database
    store: ConversationStore
    api: GraphApi
    intake: requests.Session

    @classmethod
    def of(cls, settings: Settings, db: Database) -> WhatsApp:
        """Refuses to start on a city that is not served (never at the first message)."""
        if settings.whatsapp_phone_number_id and settings.whatsapp_city not in cities():
            raise ValueError(f"ADUAN_WHATSAPP_CITY: unknown city {settings.whatsapp_city!r}")
        return cls(settings, db, ConversationStore(db), GraphApi(settings),
                   requests.Session())

    @property
    def enabled(self) -> bool:
        return bool(self.settings.whatsapp_phone_number_id and self.settings.whatsapp_app_secret)


def _whatsapp() -> WhatsApp:
    whatsapp = collaborators().whatsapp
    if not whatsapp.enabled:
        raise ApiError(404, "channel_not_configured", "The WhatsApp channel is not configured.")
    return whatsapp


@blueprint.get("/whatsapp/webhook")
def verify_subscription() -> Response:
    settings = _whatsapp().settings
    token = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") != "subscribe" or not settings.whatsapp_verify_token or \
            not hmac.compare_digest(token.encode(), settings.whatsapp_verify_token.encode()):
        raise ApiError(403, "verification_failed", "Wrong mode or verify token.")
    return Response(request.args.get("hub.challenge", ""), mimetype="text/plain")


def signature_valid(secret: str, raw: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").encode(), expected.encode())


@blueprint.post("/whatsapp/webhook")
def receive() -> Response:
    whatsapp = _whatsapp()
    raw = request.get_data(cache=False)
    if not signature_valid(whatsapp.settings.whatsapp_app_secret, raw,
                           request.headers.get(SIGNATURE_HEADER)):
        raise ApiError(401, "invalid_signature", "The X-Hub-Signature-256 is missing or wrong.")
    try:
        payload = json.loads(raw)
    except ValueError as err:
        raise ApiError(400, "invalid_json", "The body is not JSON.") from err
    numbers: list[str] = []
    try:
        for value in _values(payload, whatsapp.settings.whatsapp_phone_number_id):
            for message in _messages(value):
                wa_id = message["from"]
                handle(whatsapp, wa_id, message)
                numbers.append(wa_id)
        for wa_id in dict.fromkeys(numbers):
            carry_out(whatsapp, wa_id)
    except (WhatsAppUnavailable, IntakeUnavailable) as err:
        log.warning("whatsapp webhook: %s; Meta will deliver again", err)
        raise ApiError(503, "upstream_unavailable",
                       "Could not finish now; deliver again later.") from err
    return Response("{}", mimetype="application/json")


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _values(payload: Any, phone_number_id: str) -> list[dict[str, Any]]:
    """The `value`s of the `messages` changes addressed to the city's number (one app may
    serve several numbers; the others' are not ours)."""
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_payload", "Not a WhatsApp webhook payload.")
    values = []
    for entry in _list(payload.get("entry")):
        for change in _list(entry.get("changes")):
            value = change.get("value")
            if change.get("field") == "messages" and isinstance(value, dict) and \
                    isinstance(value.get("metadata"), dict) and \
                    value["metadata"].get("phone_number_id") == phone_number_id:
                values.append(value)
    return values


WA_ID = re.compile(r"^[0-9]{6,20}$")


def _messages(value: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages with a sender and an id (statuses, errors and anything else are not)."""
    return [m for m in _list(value.get("messages"))
            if isinstance(m.get("from"), str) and WA_ID.match(m["from"])
            and isinstance(m.get("id"), str) and 0 < len(m["id"]) <= 200]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def incoming_of(message: dict[str, Any]) -> bot.Incoming:
    """A message of Meta's documented shapes; a signed one of another shape is "other"."""
    kind = message.get("type")
    if kind == "text":
        return bot.Incoming("text", text=_str(_dict(message.get("text")).get("body")))
    if kind == "image":
        image = _dict(message.get("image"))
        if not _str(image.get("id")):
            return bot.Incoming("other")
        return bot.Incoming("image", media_id=image["id"], text=_str(image.get("caption")))
    if kind == "location":
        place = _dict(message.get("location"))
        address = ", ".join(str(place[k]) for k in ("name", "address") if place.get(k))
        try:
            return bot.Incoming("location", lat=float(place["latitude"]),
                                lon=float(place["longitude"]), address=address)
        except (KeyError, TypeError, ValueError):
            return bot.Incoming("other")
    if kind == "interactive":
        interactive = _dict(message.get("interactive"))
        picked = _dict(interactive.get(_str(interactive.get("type"))))
        return bot.Incoming("choice", choice=_str(picked.get("id")))
    if kind == "button":  # a quick-reply button of a template message
        return bot.Incoming("text", text=_str(_dict(message.get("button")).get("text")))
    return bot.Incoming("other")


def _categories(db: Database, city: str) -> list[bot.Category]:
    found = [c for c in db.categories.find({"city": city, "active": {"$ne": False}},
                                           {"_id": 0, "code": 1, "name_id": 1, "name_en": 1,
                                            "types": 1})
             if DEFAULT_TYPE in category_types(c)]
    # The shared catalogue's order (most asked first), a city's own after, "other" last.
    order = {c["code"]: n for n, c in enumerate(shared_categories())}
    found.sort(key=lambda c: (c["code"] == "other", order.get(c["code"], len(order)),
                              c.get("name_id", c["code"])))
    return [bot.Category(c["code"], c.get("name_id", c["code"]), c.get("name_en", c["code"]))
            for c in found]


def handle(whatsapp: WhatsApp, wa_id: str, message: dict[str, Any]) -> None:
    """Decides what one message does and stores it with the message's wamid, once."""
    city = whatsapp.settings.whatsapp_city
    wamid = message["id"]
    received_at = _sent_at(message)
    incoming = incoming_of(message)
    store = whatsapp.store
    for _ in range(ATTEMPTS):
        conversation = store.load(wa_id, city)
        if wamid in conversation.processed:
            return
        stopped = opted_out(whatsapp.db, wa_id)
        state = bot.State.from_dict(conversation.state)
        if incoming.kind == "image" and not stopped and state.step in bot.PHOTO_STEPS:
            incoming = _downloaded(whatsapp, wa_id, incoming)
        outcome = bot.step(state, incoming, _categories(whatsapp.db, city),
                           _city(whatsapp.settings), stopped)
        if outcome.opt == "out":
            opt_out(whatsapp.db, wa_id)
        elif outcome.opt == "in":
            opt_in(whatsapp.db, wa_id)
        filing = None
        if outcome.filing is not None:
            filing = {"key": f"wa:{wamid}", "wamid": wamid, "report": outcome.filing.report,
                      "media": list(outcome.filing.photos)}
        if store.advance(conversation, wamid, outcome.state.to_dict(), outcome.replies, filing,
                         received_at):
            metrics.whatsapp_messages.labels(incoming.kind).inc()
            return
    raise WhatsAppUnavailable("the conversation kept changing")  # Meta delivers it again


def _city(settings: Settings) -> bot.City:
    """The number's city, its area with the margin verification allows its photos."""
    city = settings.whatsapp_city
    return bot.City(cities()[city]["name"], city_area(city), settings.city_margin_m)


def _sent_at(message: dict[str, Any]) -> datetime:
    """When the resident sent it (Meta's `timestamp`; now if absent or later): WhatsApp's
    24-hour window runs from there, not from a retried delivery."""
    now = datetime.now(UTC)
    try:
        return min(datetime.fromtimestamp(int(message["timestamp"]), UTC), now)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return now


def _downloaded(whatsapp: WhatsApp, wa_id: str, incoming: bot.Incoming) -> bot.Incoming:
    if whatsapp.store.has_media(incoming.media_id):
        return incoming
    try:
        data, content_type = whatsapp.api.media(incoming.media_id)
    except (MediaTooLarge, WhatsAppRefused) as err:
        log.info("whatsapp photo %s not taken: %s", incoming.media_id, err)
        return bot.Incoming("other")
    whatsapp.store.keep_media(incoming.media_id, wa_id, data, content_type)
    return incoming


def carry_out(whatsapp: WhatsApp, wa_id: str) -> None:
    """Files the pending report and sends the pending replies of a number, one process at a
    time (a lease), until none is left. While another delivery holds the lease this one waits
    for it a little; should the work still be pending then (its holder may have died), it
    raises WhatsAppUnavailable: a 503, so Meta delivers again after the lease ran out, instead
    of leaving a report unfiled until the resident writes again."""
    store = whatsapp.store
    deadline = time.monotonic() + WAIT_FOR_HOLDER_S
    while True:
        left = store.pending(wa_id)
        if left is None or (left.filing is None and not left.outbox):
            return
        token = store.claim(wa_id)
        if token is None:
            if time.monotonic() > deadline:
                raise WhatsAppUnavailable("another delivery holds this number's pending work")
            time.sleep(0.1)
            continue
        try:
            held = store.pending(wa_id)  # as it is now that this delivery holds it
            if held is not None and held.filing is not None:
                _file(whatsapp, held)
            _send(whatsapp, wa_id, token)
        finally:
            store.release(wa_id, token)


def _file(whatsapp: WhatsApp, conversation: Conversation) -> None:
    settings = whatsapp.settings
    filing = conversation.filing or {}
    state = bot.State.from_dict(conversation.state)
    photos = [Attachment(f"whatsapp-{m['_id']}.jpg", bytes(m["data"]), m["content_type"])
              for m in whatsapp.store.media(filing["media"])]
    report = {**filing["report"], "city": settings.whatsapp_city,
              "reporter": {"phone": f"+{conversation.wa_id}", "language": state.lang},
              "external_id": filing["wamid"]}
    try:
        receipt = file_report(whatsapp.intake, settings.intake_url, settings.whatsapp_timeout_s,
                              "whatsapp", report, photos, idempotency_key=filing["key"],
                              request_id=current_request_id())
        outcome = bot.filed(state, receipt["code"], receipt.get("tracking_link")
                            or receipt.get("tracking_url", ""))
        metrics.whatsapp_reports.labels("filed").inc()
    except IntakeRefused as err:
        log.warning("whatsapp report refused by intake: %s", err)
        outcome = bot.refused(state, err.code or str(err.status))
        metrics.whatsapp_reports.labels("refused").inc()
    whatsapp.store.filed(conversation.wa_id, filing["key"], outcome.state.to_dict(),
                         outcome.replies)
    whatsapp.store.drop_media(filing["media"])


def _send(whatsapp: WhatsApp, wa_id: str, token: str) -> None:
    conversation = whatsapp.store.pending(wa_id)
    if conversation is None:
        return
    stopped = opted_out(whatsapp.db, wa_id)
    for item in conversation.outbox:
        if not whatsapp.store.renew(wa_id, token):
            return  # sends took so long that another holder took over: it sends the rest
        reply = item["reply"]
        result = "opted_out"
        if not stopped or reply.get("even_if_stopped"):
            try:
                whatsapp.api.send(wa_id, graph_message(reply))
                result = "sent"
            except WhatsAppRefused as err:  # e.g. the number is not on WhatsApp
                log.warning("whatsapp reply to a number refused: %s", err)
                result = "refused"
            except WhatsAppUnavailable:
                metrics.whatsapp_replies.labels("unavailable").inc()
                raise
        whatsapp.store.reply_sent(wa_id, item["id"])
        metrics.whatsapp_replies.labels(result).inc()
