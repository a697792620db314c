"""Inbound SMS: `POST /sms` (public as /api/v1/channels/sms through the gateway), the
webhook the city registers at its SMS provider, the same generic HTTP provider the notifier
sends through (aduan/infra/sms_provider.py).

The provider POSTs a form (urlencoded or multipart) whose fields are named by settings:
sms_inbound_from_field (the sender), sms_inbound_text_field (the text) and, if it sends one,
sms_inbound_id_field (its message id). It proves itself with a shared secret in the header
sms_inbound_secret_header (compared in constant time): missing or wrong → 401
`invalid_sms_secret`; no secret configured → 404 `channel_not_configured` (the endpoint is
off; a 4xx like the WhatsApp webhook's, as nothing failed: every public route answers a
client's request below 500, tests/integration/test_openapi.py).

What the text asks (aduan/domain/sms_commands.py):
- a report ("SAMPAH Jl. Sudirman depan pasar"): filed with intake as the `sms` connector
  (aduan/infra/intake_client.py): no photo, so it goes to the operators' review queue
  (`no_photo`); the address the resident wrote, no point (operators complete it); the sender's
  phone as the reporter's. Its Idempotency-Key is the provider's message id, or, when it
  sends none, the key the number's same text got when first sent in the last hours
  (sms_links.SAME_TEXT_KEPT), so a retried delivery is the same report. The
  tracking code reaches the resident as the notifier's receipt SMS of `report.submitted`.
- STOP / BERHENTI: no more SMS to that number (aduan/infra/sms_reach.py, honoured by the
  notifier); MULAI / START, or a new report, resumes them.
- anything else: a reply to a status message, which becomes the reporter's comment on the
  newest of the number's SMS reports still open (`sms_links`), posted through intake's
  comment endpoint with the reporter's token, as the reporter's own device would; with no
  such report, the answer explains the format. The message is claimed before the comment
  is posted (sms_links.py), so a retry arriving meanwhile is not a second comment.
The provider gets 200 with what was done ({"result": ...}); 503 when intake cannot be reached,
or while another delivery of the same message is being handled, so that it delivers the
message again.

The handler (`SmsInbound`, on the channels app's `Channels`) is handed the session it calls
intake with and the sender of its answers (None: no SMS provider, no answers).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import requests
from flask import Blueprint, Response, jsonify, request
from pymongo.database import Database

from aduan.contracts.base import replace_control_characters
from aduan.domain import sms_commands
from aduan.domain.contact_details import normalize_phone
from aduan.domain.lifecycle import TERMINAL
from aduan.infra import metrics, sms_provider, sms_reach
from aduan.infra.config import Settings
from aduan.infra.intake_client import IntakeRefused, IntakeUnavailable, file_report
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.logs import mask_phone
from aduan.infra.sms_provider import SmsNotSent, SmsProvider
from aduan.infra.tokens import reporter_token
from aduan.web.app import collaborators, current_request_id
from aduan.web.errors import ApiError
from aduan.web.report_access import REPORTER_TOKEN_HEADER
from services.channels import sms_texts
from services.channels.sms_links import InProgress, SmsLinks

log = logging.getLogger(__name__)

KEYWORDS_FILE = Path(__file__).resolve().parents[2] / "aduan" / "data" / "sms_keywords.json"
MAX_TEXT = 1600  # ten concatenated SMS
MESSAGE_ID = re.compile(r"^[A-Za-z0-9._:=+/-]{1,100}$")


@cache
def seed_keywords() -> dict[str, list[str]]:
    return json.loads(KEYWORDS_FILE.read_text())["keywords"]


@dataclass(frozen=True)
class Inbound:
    phone: str  # "+62..."
    text: str
    key: str  # the provider's message id, or the key of the number's same text (links)
    message_id: str | None


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> str:
        """Sends one SMS; returns the provider's status; raises when it was not sent."""
        ...


class SmsInbound:
    """One inbound SMS → what it asks for; the HTTP edge is `blueprint` below. `intake`: the
    session intake is called with; `sender`: the answers' (None: no answers are sent)."""

    def __init__(self, settings: Settings, db: Database, intake: requests.Session,
                 sender: SmsSender | None) -> None:
        self.settings = settings
        self.db = db
        self.session = intake
        self.sender = sender
        self.links = SmsLinks(db, timedelta(days=settings.sms_reply_window_days))
        self.city = settings.sms_inbound_city

    @classmethod
    def of(cls, settings: Settings, db: Database) -> SmsInbound:
        sender = SmsProvider(settings, requests.Session()) \
            if sms_provider.sms_enabled(settings) else None
        return cls(settings, db, requests.Session(), sender)

    def inbound(self, phone: str, text: str, message_id: str | None,
                now: datetime) -> Inbound:
        key = message_id or self.links.text_key(phone, text, now)
        return Inbound(phone, text, key, message_id)

    def keyword_table(self) -> dict[str, sms_commands.Keyword]:
        categories = self.db.categories.find({"city": self.city}, {"_id": 0})
        return sms_commands.keyword_table(categories, seed_keywords())

    def handle(self, message: Inbound) -> dict[str, Any]:
        table = self.keyword_table()
        recent = self.links.recent(message.phone)
        # The answers speak the language of the number's last report (else Indonesian).
        language = recent[0].get("language", "id") if recent else "id"
        command = sms_commands.parse(message.text, table, capitals_only=bool(recent))
        if isinstance(command, sms_commands.Stop):
            self.reply(message.phone, sms_texts.stopped(language), even_if_stopped=True)
            sms_reach.opt_out(self.db, message.phone)
            return {"result": "stopped"}
        if isinstance(command, sms_commands.Start):
            sms_reach.opt_in(self.db, message.phone)
            self.reply(message.phone, sms_texts.started(language))
            return {"result": "started"}
        if isinstance(command, sms_commands.NewReport):
            return self.file(message, command)
        if isinstance(command, sms_commands.Incomplete):
            self.reply(message.phone, sms_texts.incomplete(command.language, command.keyword))
            return {"result": "incomplete"}
        return self.comment(message, command.text, table, language)

    def file(self, message: Inbound, command: sms_commands.NewReport) -> dict[str, Any]:
        report: dict[str, Any] = {
            "city": self.city, "category": command.category, "type": "complaint",
            "description": command.description,
            "reporter": {"phone": message.phone, "language": command.language}}
        if command.address:
            report["location"] = {"address": command.address}
        if message.message_id:
            report["external_id"] = message.message_id
        # Writing a report asks for answers again, even after a STOP.
        sms_reach.opt_in(self.db, message.phone)
        try:
            receipt = file_report(self.session, self.settings.intake_url,
                                  self.settings.upstream_timeout_s, "sms", report,
                                  idempotency_key=f"sms:{self.city}:{message.key}",
                                  request_id=current_request_id())
        except IntakeRefused as err:
            log.warning("intake refused an SMS report from %s: %s", mask_phone(message.phone),
                        err.code or err.status)
            if err.code == "location_required":  # "KEYWORD # what": the place is missing
                self.reply(message.phone, sms_texts.incomplete(command.language,
                                                               command.keyword))
            else:
                self.reply(message.phone, sms_texts.refused(command.language))
            return {"result": "refused", "reason": err.code or str(err.status)}
        self.links.remember(receipt["id"], receipt["code"], self.city, message.phone,
                            command.language)
        log.info("SMS report %s filed from %s", receipt["code"], mask_phone(message.phone))
        return {"result": "filed", "code": receipt["code"]}

    def comment(self, message: Inbound, text: str, table: dict[str, sms_commands.Keyword],
                language: str) -> dict[str, Any]:
        done = self.links.commented(message.key)
        if done is not None:
            return {"result": "commented", "code": done["code"]}
        target = self.open_report(message.phone)
        if target is None:
            self.reply(message.phone, sms_texts.how_to(language, sms_commands.examples(table)))
            return {"result": "help"}
        code, token = target
        try:
            claim = self.links.claim(message.key, datetime.now(UTC))
        except InProgress:
            done = self.links.commented(message.key)  # finished meanwhile?
            if done is not None:
                return {"result": "commented", "code": done["code"]}
            raise
        try:
            response = self.session.post(
                f"{self.settings.intake_url.rstrip('/')}/reports/{code}/comments",
                json={"text": text[:2000]}, timeout=self.settings.upstream_timeout_s,
                headers={REPORTER_TOKEN_HEADER: token,
                         "X-Request-Id": current_request_id() or ""})
        except requests.RequestException as err:
            self.links.release(message.key, claim)
            raise IntakeUnavailable(type(err).__name__) from err
        if response.status_code >= 500:
            self.links.release(message.key, claim)
            raise IntakeUnavailable(f"intake answered {response.status_code}")
        if response.status_code != 201:
            self.links.release(message.key, claim)
            log.warning("intake refused an SMS reply on %s: %s", code, response.status_code)
            self.reply(message.phone, sms_texts.comment_refused(language, code))
            return {"result": "refused", "code": code}
        self.links.record_comment(message.key, claim, code)
        self.reply(message.phone, sms_texts.comment_received(language, code))
        return {"result": "commented", "code": code}

    def open_report(self, phone: str) -> tuple[str, str] | None:
        """(code, reporter token) of the newest of the number's SMS reports still open."""
        keys = reporter_token_keys(self.settings)
        for link in self.links.recent(phone):
            token = reporter_token(keys, link["_id"])
            try:
                response = self.session.get(
                    f"{self.settings.intake_url.rstrip('/')}/reports/{link['code']}",
                    headers={REPORTER_TOKEN_HEADER: token},
                    timeout=self.settings.upstream_timeout_s)
            except requests.RequestException as err:
                raise IntakeUnavailable(type(err).__name__) from err
            if response.status_code == 200 and response.json().get("status") not in TERMINAL:
                return link["code"], token
        return None

    def reply(self, phone: str, text: str, even_if_stopped: bool = False) -> None:
        """An answer of this channel, sent at once; best effort (a lost answer is a resident
        who texts again, a retried one could be a second report: so never a 5xx for it)."""
        if self.sender is None:
            return
        if not even_if_stopped and sms_reach.opted_out(self.db, phone):
            return
        try:
            self.sender.send(phone, text)
        except SmsNotSent as err:
            log.warning("SMS answer to %s not sent: %s", mask_phone(phone), err)


# ---- HTTP ------------------------------------------------------------------------------------

blueprint = Blueprint("sms_inbound", __name__)


def read_inbound(handler: SmsInbound) -> Inbound:
    settings = handler.settings
    form = request.form
    phone = normalize_phone(form.get(settings.sms_inbound_from_field, ""))
    if phone is None:
        raise ApiError(422, "invalid_sender", "The sender is no phone number.",
                       {"field": settings.sms_inbound_from_field})
    text = replace_control_characters(form.get(settings.sms_inbound_text_field, "")).strip()
    if not text or len(text) > MAX_TEXT:
        raise ApiError(422, "invalid_text", f"The text must be 1 to {MAX_TEXT} characters.",
                       {"field": settings.sms_inbound_text_field})
    message_id = form.get(settings.sms_inbound_id_field) or None
    if message_id is not None and not MESSAGE_ID.match(message_id):
        raise ApiError(422, "invalid_message_id", "The message id has unexpected characters.",
                       {"field": settings.sms_inbound_id_field})
    return handler.inbound(phone, text, message_id, datetime.now(UTC))


@blueprint.post("/sms")
def inbound_sms() -> tuple[Response, int]:
    handler: SmsInbound = collaborators().sms
    settings = handler.settings
    if not settings.sms_inbound_secret:
        raise ApiError(404, "channel_not_configured", "Inbound SMS is not configured.")
    given = request.headers.get(settings.sms_inbound_secret_header, "")
    if not hmac.compare_digest(given.encode(), settings.sms_inbound_secret.encode()):
        raise ApiError(401, "invalid_sms_secret", "The provider's shared secret is wrong.")
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "Send the SMS as a form.")
    message = read_inbound(handler)
    try:
        answer = handler.handle(message)
    except InProgress:
        metrics.sms_inbound.labels("in_progress").inc()
        raise ApiError(503, "message_in_progress",
                       "This message is being handled; deliver it again later.") from None
    except IntakeUnavailable as err:
        metrics.sms_inbound.labels("unavailable").inc()
        log.warning("inbound SMS from %s not handled: %s", mask_phone(message.phone), err)
        raise ApiError(503, "intake_unavailable", "Try again later.") from None
    metrics.sms_inbound.labels(answer["result"]).inc()
    return jsonify(answer), 200
