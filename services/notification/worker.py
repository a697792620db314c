"""Notification consumer: for each report event, tells whoever must hear of it (see
`audiences`), once per (event, recipient, channel), and schedules the webhook deliveries that
the dispatcher process then makes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from aduan.contracts.webhooks import EVENTS
from aduan.domain.followers import FOLLOW_REQUESTED
from aduan.infra import metrics, sms_reach, whatsapp_reach
from aduan.infra.catalogue_cache import CatalogueCache
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.logs import mask_email, mask_phone, redact_contacts
from aduan.infra.messaging import Delivery, run_consumer_process
from aduan.infra.report_snapshots import carried
from aduan.infra.versioned_cache import Versions
from aduan.web.errors import PermanentError
from services.notification import contacts, push_subscriptions, sms, webhooks
from services.notification.audiences import RECOVERY_REQUESTED, STAFF_EVENTS, Notice, Planner
from services.notification.deliveries import (
    FAILED,
    REJECTED,
    SENT,
    Claim,
    DeliveryFailed,
    DeliveryLog,
    DeliveryRejected,
    delivery_id,
)
from services.notification.push import PushChannel
from services.notification.push_subscriptions import mask_endpoint
from services.notification.senders import Senders
from services.notification.subscription_cache import SubscriptionCache

log = logging.getLogger(__name__)
PUSH_CONCURRENCY = 4  # pushes of one event sent at once


def masked(notice: Notice) -> str:
    if notice.channel == "push":
        return mask_endpoint(notice.address)
    return mask_email(notice.address) if notice.channel == "email" else mask_phone(notice.address)


class Notifier:
    def __init__(self, settings: Settings, db: Database, senders: Senders) -> None:
        self.settings = settings
        self.db = db
        self.senders = senders
        versions = Versions(db, settings.cache_check_s)  # one read per cache_check_s for both
        self.subscriptions = SubscriptionCache(versions)
        self.planner = Planner(settings, db, CatalogueCache(versions),
                               contacts.StaffCache(versions))
        self.log = DeliveryLog(db, settings.delivery_lease_s)
        self.push = PushChannel.from_settings(settings, db, self.planner)  # None: push off
        if self.push is not None:  # reports whose devices an earlier version stored
            push_subscriptions.mark_subscribed_reports(db)
        # One event's pushes go out a few at a time (a report may have many devices), each
        # bounded in time (`PushChannel.send`); kept so each thread keeps its connections.
        self.push_pool = ThreadPoolExecutor(PUSH_CONCURRENCY, thread_name_prefix="push")

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        return cls(settings, get_db(settings), Senders.from_settings(settings))

    def handle(self, delivery: Delivery) -> None:
        if delivery.routing_key not in EVENTS and delivery.routing_key not in STAFF_EVENTS \
                and delivery.routing_key not in (RECOVERY_REQUESTED, FOLLOW_REQUESTED):
            return
        if not delivery.message_id:
            raise PermanentError("event without message_id: cannot be delivered only once")
        subscriptions = self.subscriptions.subscribed(delivery.routing_key)
        if not subscriptions and not self.planner.anyone_hears(delivery.routing_key,
                                                               delivery.body):
            return  # e.g. report.verified: no person is told, and no one subscribed
        report_id = delivery.body.get("report_id")
        # People hear of the report as the step left it, which a fresh event carries; a
        # retried, redelivered, replayed or late event (and one without it) reads the report
        # as it is now: who follows it and what is public may have changed since.
        report = carried(delivery)
        if report is None and report_id:
            report = self.db.reports.find_one({"_id": report_id})
        if report is None:
            raise PermanentError(f"no report {report_id!r}")
        webhooks.schedule(self.db, delivery.message_id, delivery.routing_key, delivery.body,
                          report, subscriptions)
        notices = self.planner.plan(delivery.routing_key, delivery.body, report)
        if self.push is not None:
            notices += self.push.plan(delivery.routing_key, delivery.body, report)
        # Pushes go out a few at a time while the other channels are sent here.
        pushing = [(n, self.push_pool.submit(self.deliver, delivery, report, n))
                   for n in notices if n.channel == "push"]
        failed = 0
        for notice in notices:
            if notice.channel != "push":
                failed += _failed(notice, report, lambda n=notice: self.deliver(delivery,
                                                                                report, n))
        for notice, sending in pushing:
            failed += _failed(notice, report, sending.result)
        if failed:
            # The whole event is retried; what was sent already is skipped then.
            raise DeliveryFailed(f"{failed} of {len(notices)} deliveries failed")

    def deliver(self, delivery: Delivery, report: dict[str, Any], notice: Notice) -> None:
        assert delivery.message_id
        did = delivery_id(self.settings.delivery_hash_secret, delivery.message_id,
                          notice.channel, notice.address)
        claimed = self.log.claim(did, {
            "report_id": report["_id"], "city": report["city"], "event": delivery.routing_key,
            "message_id": delivery.message_id, "channel": notice.channel,
            "audience": notice.audience, "recipient": masked(notice),
        })
        if claimed.outcome is Claim.DONE:
            metrics.notifications_skipped.labels(notice.channel).inc()
            return
        if claimed.outcome is Claim.BUSY:
            raise DeliveryFailed("another copy is sending this right now")
        assert claimed.token
        started = time.perf_counter()
        try:
            status = self._send(notice, did)
        except DeliveryRejected as err:
            self.log.finish(did, claimed.token, REJECTED, None, redact_contacts(str(err)))
            metrics.notifications_sent.labels(notice.channel, REJECTED).inc()
            log.warning("%s to %s about %s refused: %s", notice.channel, masked(notice),
                        report["code"], err)
            return
        except Exception as err:  # any failure of a send is retried with the event
            reason = redact_contacts(str(err)) if isinstance(err, DeliveryFailed) \
                else type(err).__name__
            self.log.finish(did, claimed.token, FAILED, None, reason)
            metrics.notifications_sent.labels(notice.channel, FAILED).inc()
            raise DeliveryFailed(reason) from None
        finally:
            metrics.notification_send_duration.labels(notice.channel).observe(
                time.perf_counter() - started)
        self.log.finish(did, claimed.token, SENT, redact_contacts(status))
        metrics.notifications_sent.labels(notice.channel, SENT).inc()
        log.info("%s sent to %s (%s) about %s", notice.channel, masked(notice), notice.audience,
                 report["code"])

    def _send(self, notice: Notice, did: str) -> str:
        if notice.channel == "email" and notice.email is not None:
            return self.senders.email.send(notice.address, notice.email, did.replace(":", "."))
        if notice.channel == "sms" and notice.sms is not None:
            if sms_reach.opted_out(self.db, notice.address):
                raise DeliveryRejected("the number said STOP")
            return self.senders.sms.send(notice.address, notice.sms)
        if notice.channel == "whatsapp" and notice.whatsapp is not None \
                and self.senders.whatsapp is not None:
            if whatsapp_reach.opted_out(self.db, notice.address):
                raise DeliveryRejected("the number said STOP")
            # Decided now, not when planned: a retry may come after the window closed.
            in_window = whatsapp_reach.in_service_window(self.db, notice.address,
                                                         datetime.now(UTC))
            return self.senders.whatsapp.send(notice.address, notice.whatsapp, in_window)
        if notice.channel == "push" and notice.push is not None and self.push is not None:
            return self.push.send(notice.push)
        raise DeliveryRejected(f"nothing to send over {notice.channel}")


def _failed(notice: Notice, report: dict[str, Any], send: Callable[[], None]) -> int:
    """1 when the send failed (to be retried with the event), else 0."""
    try:
        send()
        return 0
    except DeliveryFailed as err:
        log.warning("%s to %s about %s failed: %s", notice.channel, masked(notice),
                    report["code"], err)
        return 1


def _notifier(settings: Settings):
    sms.check_configuration(settings)
    return Notifier.from_settings(settings).handle


def main() -> None:
    run_consumer_process("notification", _notifier, redact_logs=True)


if __name__ == "__main__":
    main()
