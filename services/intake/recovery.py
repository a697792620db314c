"""Getting the reporter's tracking access back on another device, by a one-time code.

`POST /tracking/recover {code, contact}`: when `contact` is the email or phone given with the
report, a six-digit code is sent there (event `report.recovery_requested` through the report's
outbox; the notifier sends it). `POST /tracking/verify {code, otp}`: the right code, in time,
gives the report's tracking token (the one intake handed out when it was filed).

- **No oracle.** `recover` answers 202 with the same body whatever happened: no such report,
  the contact did not match, too many codes asked for already, or a code is on its way. Both
  paths make one write (the real request's, or a decoy's) and the event is stored and
  published after the answer, so the time taken tells nothing either.
- **Nothing secret at rest.** A code is an HMAC of the report id and a random nonce under the
  token key (`aduan.infra.tokens.recovery_code`): `tracking_recoveries` keeps the nonce, the
  events carry the nonce, and neither gives the code without the key (a plain hash of six
  digits would be reversed by trying the million of them).
- **Limits.** A code lasts RECOVERY_TTL and allows MAX_ATTEMPTS tries (each counted before it
  is checked, by one conditional update); it works once. At most CODES_PER_WINDOW codes per
  report per ISSUE_WINDOW (so a stranger cannot flood the reporter's phone), and the gateway
  limits both endpoints per address (`recovery_limit_per_ip`). Every wrong answer is the same
  422 `invalid_code`, whether the code was wrong, expired, used up, or the report unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pymongo.database import Database

from aduan.contracts.tracking import RecoverIn, VerifyIn
from aduan.domain.contact_details import normalize_email, normalize_phone
from aduan.domain.lifecycle import Actor, Plan
from aduan.infra.config import Settings
from aduan.infra.keyring import reporter_token_keys
from aduan.infra.messaging import Publisher
from aduan.infra.reports import Reports
from aduan.infra.tokens import RECOVERY_TTL, recovery_code, reporter_token
from aduan.infra.tracking_links import reporter_link
from aduan.web.app import collaborators, current_request_id
from aduan.web.errors import ApiError
from aduan.web.validation import parse_json_object, validate
from services.intake.reporter_contacts import MAX_OTHERS, lookup_keys

log = logging.getLogger(__name__)

RECOVERY_REQUESTED = "report.recovery_requested"
COLLECTION = "tracking_recoveries"
MAX_ATTEMPTS = 5
CODES_PER_WINDOW = 3
ISSUE_WINDOW = timedelta(hours=1)
SYSTEM = Actor(kind="system", id=None)
ACCEPTED = {"status": "accepted",
            "message": "If the contact is the one given with this report, a code was sent to "
                       "it. Kode dikirim bila kontak sesuai dengan yang diberikan saat melapor."}

blueprint = Blueprint("intake_recovery", __name__)
_announcer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="recovery")


def _body(model: type[Any]) -> Any:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send JSON.")
    return validate(model, parse_json_object(request.get_data(), "The body"))


def channel_of(report: dict[str, Any], contact: str) -> str | None:
    """`email` or `sms` when `contact` is the reporter's email or phone, else None."""
    reporter = report.get("reporter") or {}
    given = normalize_email(contact)
    if given and reporter.get("email") and hmac.compare_digest(
            given.lower(), (normalize_email(reporter["email"]) or "").lower()):
        return "email"
    phone = normalize_phone(contact)
    if phone and reporter.get("phone") and hmac.compare_digest(
            phone, normalize_phone(reporter["phone"]) or ""):
        return "sms"
    return None


def _decoy_id(settings: Settings, code: str) -> str:
    """Where a request that sends nothing writes, so both paths cost one write."""
    mac = hmac.new(settings.token_secret.encode(), f"decoy:{code}".encode(), hashlib.sha256)
    return f"decoy:{mac.hexdigest()[:24]}"


def request_code(settings: Settings, db: Database, code: str, contact: str, now: datetime
                 ) -> tuple[dict[str, Any], Plan] | None:
    """Stores a new nonce for the report when the contact matches and the report may have
    another code now; returns (report, the plan of its event), or None (nothing to send).
    Every path reads the same and writes once."""
    report = db.reports.find_one({"code": code}, {"_id": 1, "code": 1, "city": 1,
                                                  "reporter": 1})
    channel = channel_of(report, contact) if report is not None else None
    sending = report is not None and channel is not None
    key = report["_id"] if sending else _decoy_id(settings, code)
    earlier = db[COLLECTION].find_one({"_id": key}) or {}
    issued = [at for at in earlier.get("issued", []) if _aware(at) > now - ISSUE_WINDOW]
    if not sending or len(issued) >= CODES_PER_WINDOW:
        db[COLLECTION].update_one({"_id": _decoy_id(settings, code)},
                                  {"$set": {"purge_at": now + RECOVERY_TTL}}, upsert=True)
        return None
    assert report is not None and channel is not None
    nonce = secrets.token_urlsafe(18)
    # A new code replaces the one before (its tries start again; the issue cap bounds that).
    db[COLLECTION].update_one({"_id": key}, {"$set": {
        "nonce": nonce, "expires_at": now + RECOVERY_TTL, "attempts": 0, "channel": channel,
        "issued": [*issued, now], "purge_at": now + ISSUE_WINDOW}}, upsert=True)
    plan = Plan("recover", None, routing_key=RECOVERY_REQUESTED,
                event_body={"nonce": nonce, "channel": channel})
    return report, plan


def check_code(settings: Settings, db: Database, code: str, otp: str, now: datetime
               ) -> dict[str, Any] | None:
    """The report when `otp` is its live code (which is then used up), else None; with
    `verified_channel`, the contact the code went to (`email` or `sms`)."""
    report = db.reports.find_one({"code": code}, {"_id": 1, "code": 1, "reporter": 1})
    key = report["_id"] if report is not None else _decoy_id(settings, code)
    pending = db[COLLECTION].find_one({"_id": key})
    if report is None or not pending or not pending.get("nonce") \
            or _aware(pending["expires_at"]) <= now:
        return None
    counted = db[COLLECTION].update_one(
        {"_id": key, "nonce": pending["nonce"], "attempts": {"$lt": MAX_ATTEMPTS}},
        {"$inc": {"attempts": 1}})
    if counted.matched_count == 0:
        return None
    wanted = recovery_code(reporter_token_keys(settings), report["_id"], pending["nonce"])
    if not hmac.compare_digest(wanted, otp):
        return None
    # Used once: of two right answers at once, one takes it.
    used = db[COLLECTION].update_one({"_id": key, "nonce": pending["nonce"]},
                                     {"$unset": {"nonce": "", "expires_at": ""}})
    if used.modified_count != 1:
        return None
    return {**report, "verified_channel": pending.get("channel")}


def other_reports(settings: Settings, db: Database, report: dict[str, Any]
                  ) -> list[dict[str, str]]:
    """The same reporter's other reports, newest first: those whose stored contact is the
    one the code was sent to (never the other contact the report may also hold)."""
    channel = report.get("verified_channel")
    keys = reporter_token_keys(settings)
    wanted = lookup_keys(channel, report.get("reporter"), keys) if channel else []
    if not wanted:
        return []
    found = db.reports.find({"contact_keys": {"$in": wanted}, "_id": {"$ne": report["_id"]}},
                            {"code": 1}).sort("created_at", -1).limit(MAX_OTHERS)
    return [{"code": other["code"], "token": reporter_token(keys, other["_id"])}
            for other in found]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _announce(db: Database, publisher: Publisher | None, report: dict[str, Any], plan: Plan,
              now: datetime, request_id: str | None) -> None:
    try:
        Reports(db, publisher).commit(report, plan, SYSTEM, now, request_id)
    except Exception:  # the reporter asks again; nothing else depends on it
        log.exception("recovery code of %s not announced", report["code"])


@blueprint.post("/tracking/recover")
def recover() -> tuple[Response, int]:
    context = collaborators()
    body = _body(RecoverIn)
    now = datetime.now(UTC)
    found = request_code(context.settings, context.db, body.code, body.contact, now)
    if found is not None:
        report, plan = found
        _announcer.submit(_announce, context.db, context.intake.reports.publisher, report,
                          plan, now, current_request_id())
    return jsonify(ACCEPTED), 202


@blueprint.post("/tracking/verify")
def verify() -> Response:
    context = collaborators()
    body = _body(VerifyIn)
    report = check_code(context.settings, context.db, body.code, body.otp, datetime.now(UTC))
    if report is None:
        raise ApiError(422, "invalid_code",
                       "This code is wrong, expired or used up; ask for a new one.")
    settings = context.settings
    return jsonify({"code": report["code"],
                    "token": reporter_token(reporter_token_keys(settings), report["_id"]),
                    "tracking_link": reporter_link(settings, report),
                    "others": other_reports(settings, context.db, report)})
