"""Web Push, a delivery channel of the notification consumer (services/notification/worker.py):
who of a report's push subscriptions hears an event (`PushChannel.plan`) and one encrypted,
signed POST to the device's push service (`PushChannel.send`).

Who hears (as by email, `audiences.for_reporter` / `for_followers`):
- a reporter's device (subscribed with the tracking token): every step the reporter is told of
  (REPORTER_STATUSES) and the comments of the staff handling the report;
- a follower's device (subscribed to a public report without a token): the report's public
  steps (FOLLOWER_STATUSES) and staff comments, only while the report is public; so nothing of
  a confidential report.

A report no device subscribed to (`push_subscriptions.may_have_devices`, a mark on the report
its event carries) costs no read; nor does an event no device is told of.

The payload is `{code, title, body, url, stage, status}` (push_texts: no free text, nothing of
the reporter, no token: the app keeps the reporter's token itself), encrypted to the device's
keys (RFC 8291, aes128gcm, pywebpush) and signed with the deployment's VAPID key (RFC 8292).
The POST goes to the endpoint's checked addresses (`aduan.infra.pinned_http`), like webhooks.

Answers: 2xx sent; 404/410 the subscription is gone (every subscription of that endpoint is
deleted, the delivery is `rejected`); 401/403 to a subscription not made under today's VAPID
key (made before the pair was changed, or before the key was kept) is gone too (that one is
deleted); 429, 5xx, no answer or an endpoint whose name does not resolve now: `DeliveryFailed`,
the event is retried and what was sent already is skipped (the delivery log); any other 4xx,
or an endpoint the address rule refuses now: rejected. A send takes at most
ADUAN_PUSH_TIMEOUT_S in all and reads at most MAX_ANSWER_BYTES of the answer (only its status
counts), so a push service that trickles or streams cannot hold the worker or fill its memory;
the worker sends one event's pushes a few at a time (`worker.Notifier`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from pymongo.database import Database
from pywebpush import WebPusher, WebPushException
from urllib3.exceptions import HTTPError

from aduan.domain.followers import followers_hear
from aduan.domain.lifecycle import COMMENTED
from aduan.domain.report_types import type_of
from aduan.domain.stages import kiniko_stage
from aduan.domain.status_names import language_of
from aduan.infra import pinned_http
from aduan.infra.config import Settings
from aduan.infra.public_addresses import HOST_UNRESOLVABLE, TargetRefused
from services.notification import push_subscriptions
from services.notification.audiences import (
    REPORTER_STATUSES,
    STAFF_EVENTS,
    Notice,
    Planner,
    event_comment,
    event_status,
    public_response,
)
from services.notification.deliveries import DeliveryFailed, DeliveryRejected
from services.notification.push_message import PushMessage
from services.notification.push_subscriptions import REPORTER, mask_endpoint
from services.notification.push_texts import comment_texts, status_texts
from services.notification.vapid_keys import VapidKeys, from_settings

log = logging.getLogger(__name__)
VAPID_LIFETIME_S = 12 * 3600  # what push services accept (at most 24 h)
GONE = (404, 410)
UNAUTHORISED = (401, 403)  # the push service does not take our VAPID signature for it
MAX_ANSWER_BYTES = 4 * 1024  # of a push service's answer body; only its status counts


def tracking_url(code: str) -> str:
    return f"/#/track/{code}"


class PushChannel:
    def __init__(self, settings: Settings, db: Database, keys: VapidKeys,
                 planner: Planner | None = None) -> None:
        self.settings = settings
        self.db = db
        self.keys = keys
        self.planner = planner or Planner(settings, db)  # names, as by email and SMS

    @classmethod
    def from_settings(cls, settings: Settings, db: Database, planner: Planner | None = None
                      ) -> PushChannel | None:
        """None while push is off (no VAPID private key); VapidKeyInvalid for a bad key."""
        keys = from_settings(settings)
        return cls(settings, db, keys, planner) if keys is not None else None

    # ---- who hears --------------------------------------------------------------------------

    def plan(self, event_key: str, body: dict[str, Any], report: dict[str, Any]
             ) -> list[Notice]:
        if event_key in STAFF_EVENTS or not (event_key.startswith("report.")) \
                or not push_subscriptions.may_have_devices(report):
            return []  # no device ever subscribed to the report: nothing to read
        if event_key == COMMENTED:
            comment = event_comment(body, report)
            if comment is None or comment.get("by") == "reporter":
                return []
            subscriptions = self._subscriptions(report)
            return self._comment(comment, report, subscriptions) if subscriptions else []
        status = event_status(event_key, body, report)
        if status not in REPORTER_STATUSES:
            return []  # a step no device is told of: nothing to read
        subscriptions = self._subscriptions(report)
        answered = public_response(body, report) is not None
        notices = []
        for subscription in subscriptions:
            role = subscription.get("role")
            if role != REPORTER and not followers_hear(report, status):
                continue
            title, text = status_texts(subscription.get("language", "id"), role or "",
                                       report["code"], status, type_of(report), answered)
            notices.append(self._notice(subscription, report, title, text, status))
        return notices

    def _subscriptions(self, report: dict[str, Any]) -> list[dict[str, Any]]:
        return push_subscriptions.under_current_key(
            self.db, push_subscriptions.for_report(self.db, report["_id"]),
            self.keys.public_key)

    def _comment(self, comment: dict[str, Any], report: dict[str, Any],
                 subscriptions: list[dict[str, Any]]) -> list[Notice]:
        """A comment of the staff handling the report (never the reporter's own)."""
        notices = []
        for subscription in subscriptions:
            role = subscription.get("role") or ""
            if role != REPORTER and not followers_hear(report, None):
                continue
            language = language_of(subscription.get("language"))
            author = self.planner.comment_author(report, comment, language)
            title, text = comment_texts(language, role, report["code"], author)
            notices.append(self._notice(subscription, report, title, text, None))
        return notices

    def _notice(self, subscription: dict[str, Any], report: dict[str, Any], title: str,
                text: str, status: str | None) -> Notice:
        now = status or report["status"]
        payload = {"code": report["code"], "title": title, "body": text,
                   "url": tracking_url(report["code"]),
                   "stage": kiniko_stage({**report, "status": now}), "status": now}
        keys = subscription.get("keys") or {}
        message = PushMessage(subscription["_id"], subscription["endpoint"],
                              keys.get("p256dh", ""), keys.get("auth", ""), payload,
                              subscription.get("vapid_key"))
        return Notice(str(subscription.get("role")), "push", subscription["endpoint"],
                      push=message)

    # ---- one send ---------------------------------------------------------------------------

    def send(self, message: PushMessage) -> str:
        """POSTs the encrypted payload; the push service's status, or DeliveryRejected /
        DeliveryFailed (never quoting the endpoint)."""
        try:
            target = push_subscriptions.resolve_endpoint(self.settings, message.endpoint)
        except TargetRefused as refused:
            if refused.reason == HOST_UNRESOLVABLE:  # a name that may resolve again: retried
                raise DeliveryFailed(f"push endpoint: {refused.code}") from None
            raise DeliveryRejected(f"push endpoint refused: {refused.code}") from None
        data = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            encoded = WebPusher({"endpoint": message.endpoint,
                                 "keys": {"p256dh": message.p256dh, "auth": message.auth}}
                                ).encode(data, "aes128gcm")
        except (WebPushException, ValueError) as err:  # keys no retry will mend
            raise DeliveryRejected(f"the device's keys cannot be used ({type(err).__name__})") \
                from None
        parts = urlsplit(message.endpoint)
        audience = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port
                                                            else "")
        headers = dict(self.keys.signer.sign({"aud": audience, "sub": self.keys.subject,
                                              "exp": int(time.time()) + VAPID_LIFETIME_S}))
        headers.update({"Content-Encoding": "aes128gcm",
                        "Content-Type": "application/octet-stream",
                        "TTL": str(self.settings.push_ttl_s), "Urgency": "normal"})
        try:
            answer = pinned_http.post(target, message.endpoint, encoded["body"], headers,
                                      self.settings.push_timeout_s, MAX_ANSWER_BYTES)
        except HTTPError as err:
            raise DeliveryFailed(f"no answer from the push service ({type(err).__name__})") \
                from None
        status = answer.status
        if 200 <= status < 300:
            return str(status)
        if status in GONE:
            removed = self.db.push_subscriptions.delete_many(
                {"endpoint_key": push_subscriptions.endpoint_key(message.endpoint)})
            log.info("push subscription %s gone (%d): %d removed",
                     mask_endpoint(message.endpoint), status, removed.deleted_count)
            raise DeliveryRejected(f"push subscription gone ({status})")
        if status in UNAUTHORISED and message.vapid_key != self.keys.public_key:
            push_subscriptions.forget(self.db, message.subscription_id)
            log.info("push subscription %s made under another VAPID key refused (%d): removed",
                     mask_endpoint(message.endpoint), status)
            raise DeliveryRejected(f"push subscription of another VAPID key ({status})")
        if status == 429 or status >= 500:
            raise DeliveryFailed(f"the push service answered {status}")
        raise DeliveryRejected(f"the push service refused the message ({status})")
