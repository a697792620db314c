"""Web Push subscriptions: a browser's push endpoint and keys, per report, in
`push_subscriptions`.

    {_id, endpoint_key (hash of the endpoint without query or fragment), endpoint,
     keys: {p256dh, auth}, vapid_key (the VAPID public key it was made under), report_id, code,
     city, role: "reporter" | "follower", language: "id" | "en", created_at, updated_at}

A report with a device subscribed is marked (`REPORT_FLAG` on the report, set once, never
taken off) before the first subscription is stored, in a write that bumps the report's `version`
(`mark_report`), so the notifier reads a report's subscriptions only when the report it holds
(its event's copy, or the report read) is marked: with no device, no read. Every write that
makes an event push tells of (a status change, a staff comment) is pinned on the version it
read (a comment without an agency clock on the mark as read: `lifecycle.plan_comment`), so a
write based on a report read before the mark misses and is made again from the report as it
now is (verification writes the same verdict again without judging again: only the version
moved): a device whose subscription is stored before an event's write hears of that event.
Unsubscribing deletes the subscription (the mark stays; a marked report without devices costs
one read per event). A report whose subscriptions an earlier version stored is
marked when the notifier starts (`mark_subscribed_reports`).

One document per (device endpoint, report). A device is its endpoint without query string or
fragment (`endpoint_key`), so a query added to the same endpoint is the same device for the
limits: a report takes MAX_FOLLOWERS_PER_REPORT followers' devices and, beside them,
MAX_REPORTER_DEVICES of its reporter's (followers never lock the reporter out); a device hears
at most MAX_PER_DEVICE reports. The endpoint is the device's own address at its
browser vendor's push service (a secret URL: whoever has it may ask its messages to stop), so
logs and the delivery log name it by `endpoint_key` or `mask_endpoint`, never in full.

Checks (`checked`): the endpoint is an https URL (http only for the hosts of
ADUAN_PUSH_PRIVATE_HOSTS, the test stacks' loopback double), on port 443 in production (every
browser's push service is), whose host passes the same address rule as webhooks
(`aduan.infra.public_addresses`: ADUAN_PUSH_ALLOWED_HOSTS, where `.push.apple.com` is any host
under that domain, ADUAN_PUSH_PRIVATE_HOSTS; in production an empty list is KNOWN_PUSH_SERVICES,
the push services of the browsers residents use); p256dh is an uncompressed P-256 point
(65 bytes) and auth 16 bytes, both base64url.
"""

from __future__ import annotations

import binascii
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from aduan.domain.lifecycle import DEVICES_MARK
from aduan.infra import public_addresses
from aduan.infra.config import Settings
from aduan.infra.public_addresses import HostRule, Target, TargetRefused
from aduan.infra.secret_policy import PRODUCTION
from services.notification.vapid_keys import b64url_decode

REPORTER, FOLLOWER = "reporter", "follower"
MAX_ENDPOINT_LENGTH = 2048
MAX_FOLLOWERS_PER_REPORT = 1000  # followers' devices hearing one report
MAX_REPORTER_DEVICES = 20  # the reporter's own devices (phone, tablet, browsers), beside them
MAX_PER_REPORT = MAX_FOLLOWERS_PER_REPORT + MAX_REPORTER_DEVICES
MAX_PER_DEVICE = 200  # reports one device hears
# The push services of today's browsers (Chrome, Edge, Firefox, Safari; Samsung Internet, Opera
# and Brave use Chrome's): production's ADUAN_PUSH_ALLOWED_HOSTS when that is empty. A leading
# dot is any host under that domain (Edge and Apple give each device a regional host).
KNOWN_PUSH_SERVICES = ("fcm.googleapis.com", "updates.push.services.mozilla.com",
                       ".notify.windows.com", ".push.apple.com")
HTTPS_PORT = 443
REPORT_FLAG = DEVICES_MARK  # on the report: some device subscribed to it (never unset)
P256DH_BYTES, AUTH_BYTES = 65, 16


class SubscriptionRefused(Exception):
    """`code` is the stable error code, `field` the input it is about."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


def allowed_hosts(settings: Settings) -> str:
    if settings.push_allowed_hosts.strip() or settings.env != PRODUCTION:
        return settings.push_allowed_hosts
    return ",".join(KNOWN_PUSH_SERVICES)


def push_rule(settings: Settings) -> HostRule:
    return HostRule("push", "Push endpoints", settings.push_private_hosts,
                    allowed_hosts(settings))


def resolve_endpoint(settings: Settings, endpoint: str) -> Target:
    """The endpoint's checked addresses, for a subscription and again before every send (the
    name may point elsewhere by now); TargetRefused when the rule refuses it."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
    except ValueError:  # a malformed IPv6 literal
        raise push_rule(settings).refused(public_addresses.HOST_NOT_ALLOWED,
                                          "The URL has no valid host.") from None
    private = {h.strip().lower() for h in settings.push_private_hosts.split(",") if h.strip()}
    if parts.scheme != "https" and not (parts.scheme == "http" and host in private):
        raise TargetRefused("push_endpoint_not_https", "A push endpoint is an https URL.",
                            "not_https")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if settings.env == PRODUCTION and host not in private and port not in (None, HTTPS_PORT):
        raise TargetRefused("push_port_not_allowed", "A push endpoint is on port 443.",
                            "port_not_allowed")
    return public_addresses.resolve_target(push_rule(settings), endpoint)


def device_endpoint(endpoint: str) -> str:
    """The endpoint without query string or fragment: what names the device. (Push services
    put the device's token in the path; a query added to it reaches the same device.)"""
    return endpoint.split("#", 1)[0].split("?", 1)[0]


def endpoint_key(endpoint: str) -> str:
    """Names a device's endpoint (`device_endpoint`) without giving it. Unkeyed, unlike the
    delivery log's recipients: an endpoint holds a long random token the push service made,
    so its hash cannot be turned back by trying candidates (as a phone number's could), and a
    rotated ADUAN_DELIVERY_HASH_SECRET leaves every device able to unsubscribe."""
    return hashlib.sha256(b"push-endpoint:" + device_endpoint(endpoint).encode()
                          ).hexdigest()[:32]


def mask_endpoint(endpoint: str) -> str:
    """For logs and the delivery log: the push service's host and a short digest of the rest."""
    digest = hashlib.sha256(endpoint.encode()).hexdigest()[:12]
    return f"push:{urlsplit(endpoint).hostname or '?'}#{digest}"


def checked(settings: Settings, raw: Any) -> Subscription:
    """The browser's PushSubscription JSON (`{endpoint, keys: {p256dh, auth}}`, other members
    such as expirationTime ignored), checked; SubscriptionRefused otherwise."""
    if not isinstance(raw, dict):
        raise SubscriptionRefused("invalid_push_subscription",
                                  "subscription is an object {endpoint, keys}.", "subscription")
    endpoint = raw.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH \
            or any(c.isspace() or ord(c) < 32 for c in endpoint):
        raise SubscriptionRefused("invalid_push_endpoint",
                                  f"endpoint is a URL of at most {MAX_ENDPOINT_LENGTH} "
                                  "characters.", "subscription.endpoint")
    try:
        resolve_endpoint(settings, endpoint)
    except TargetRefused as refused:
        raise SubscriptionRefused(refused.code, refused.message,
                                  "subscription.endpoint") from None
    keys = raw.get("keys")
    if not isinstance(keys, dict):
        raise SubscriptionRefused("invalid_push_keys", "keys is an object {p256dh, auth}.",
                                  "subscription.keys")
    p256dh = _key(keys, "p256dh", P256DH_BYTES)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
    except ValueError:
        raise SubscriptionRefused("invalid_push_keys", "p256dh is not a P-256 public key.",
                                  "subscription.keys.p256dh") from None
    return Subscription(endpoint, p256dh, _key(keys, "auth", AUTH_BYTES))


def _key(keys: dict[str, Any], name: str, size: int) -> str:
    value = keys.get(name)
    try:
        raw = b64url_decode(value) if isinstance(value, str) and len(value) < 200 else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise SubscriptionRefused("invalid_push_keys",
                                  f"{name} is {size} bytes in base64url.",
                                  f"subscription.keys.{name}")
    return value.strip().rstrip("=")  # type: ignore[union-attr]


class TooMany(Exception):
    """The report has as many push subscriptions as it takes, or the device as many reports."""


def subscribe(db: Database, report: dict[str, Any], role: str,
              subscription: Subscription, language: str, vapid_key: str) -> dict[str, Any]:
    """Stores (or renews) the device's subscription to the report, made under the VAPID
    public key `vapid_key`; a reporter's stays a reporter's when the same device later
    subscribes without the token."""
    key = endpoint_key(subscription.endpoint)
    now = datetime.now(UTC)
    fresh = {"endpoint": subscription.endpoint,
             "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
             "vapid_key": vapid_key, "language": language, "updated_at": now}
    for _ in range(2):
        existing = db.push_subscriptions.find_one({"endpoint_key": key,
                                                   "report_id": report["_id"]})
        if existing is not None:
            kept_role = REPORTER if REPORTER in (role, existing.get("role")) else FOLLOWER
            db.push_subscriptions.update_one({"_id": existing["_id"]},
                                             {"$set": {**fresh, "role": kept_role}})
            return {**existing, **fresh, "role": kept_role}
        mark_report(db, report)  # before the subscription: see the module's docstring
        cap = MAX_REPORTER_DEVICES if role == REPORTER else MAX_FOLLOWERS_PER_REPORT
        if db.push_subscriptions.count_documents({"report_id": report["_id"], "role": role},
                                                 limit=cap) >= cap \
                or db.push_subscriptions.count_documents({"endpoint_key": key},
                                                         limit=MAX_PER_DEVICE) >= MAX_PER_DEVICE:
            raise TooMany()
        doc = {"_id": uuid.uuid4().hex, "endpoint_key": key, "report_id": report["_id"],
               "code": report["code"], "city": report["city"], "role": role,
               "created_at": now, **fresh}
        try:
            db.push_subscriptions.insert_one(doc)
            return doc
        except DuplicateKeyError:  # the same device, a moment ago: renew that one
            continue
    raise TooMany()  # pragma: no cover - a unique index that keeps refusing


def may_have_devices(report: dict[str, Any]) -> bool:
    """Whether the report may have subscriptions (it was marked); False: none, no read."""
    return bool(report.get(REPORT_FLAG))


def mark_report(db: Database, report: dict[str, Any]) -> None:
    """Marks the report as having devices, once (a marked one is not written again)."""
    if may_have_devices(report):
        return
    db.reports.update_one({"_id": report["_id"], REPORT_FLAG: {"$exists": False}},
                          {"$set": {REPORT_FLAG: True}, "$inc": {"version": 1}})


def mark_subscribed_reports(db: Database) -> int:
    """Marks the reports whose subscriptions an earlier version stored (unmarked); how many."""
    ids = sorted({s["report_id"] for s in db.push_subscriptions.find({}, {"report_id": 1})
                  if s.get("report_id")})
    marked = 0
    for start in range(0, len(ids), 500):
        marked += db.reports.update_many(
            {"_id": {"$in": ids[start:start + 500]}, REPORT_FLAG: {"$exists": False}},
            {"$set": {REPORT_FLAG: True}, "$inc": {"version": 1}}).modified_count
    return marked


def unsubscribe(db: Database, endpoint: str, report_id: str | None = None) -> int:
    """Removes the device's subscriptions (to one report, or all); how many there were."""
    query: dict[str, Any] = {"endpoint_key": endpoint_key(endpoint)}
    if report_id is not None:
        query["report_id"] = report_id
    return db.push_subscriptions.delete_many(query).deleted_count


def for_report(db: Database, report_id: str) -> list[dict[str, Any]]:
    return list(db.push_subscriptions.find({"report_id": report_id}).limit(MAX_PER_REPORT))


def under_current_key(db: Database, subscriptions: list[dict[str, Any]], vapid_key: str
                      ) -> list[dict[str, Any]]:
    """The subscriptions made under the deployment's VAPID key (or before the key was kept);
    those made under another (the pair was changed) are deleted: no push service takes a
    message for them any more, and the device subscribes again when the app next opens."""
    stale = [s["_id"] for s in subscriptions if s.get("vapid_key") not in (None, vapid_key)]
    if stale:
        db.push_subscriptions.delete_many({"_id": {"$in": stale}})
    return [s for s in subscriptions if s["_id"] not in stale]


def forget(db: Database, subscription_id: str) -> int:
    return db.push_subscriptions.delete_one({"_id": subscription_id}).deleted_count
