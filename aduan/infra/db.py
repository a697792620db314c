"""MongoDB access: one client per process (created after fork), and every index the product uses."""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient, ReturnDocument, monitoring
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

from aduan.infra import metrics
from aduan.infra.config import Settings

_clients: dict[tuple[int, str], MongoClient] = {}
_lock = threading.Lock()

INDEXES: dict[str, list[IndexModel]] = {
    "reports": [
        IndexModel([("code", ASCENDING)], unique=True),
        # Sparse (here and below): no entry for each report that lacks the field, as most do
        # (a smaller index; on SecantusDB the time per write barely changes: it pays per index
        # kept). MongoDB still uses such an index for a look-up that cannot match a missing
        # field (a range, an $in of values), which is all that reads these; not for a sort.
        IndexModel([("outbox.created_at", ASCENDING)], sparse=True),
        IndexModel([("city", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)]),
        # Lists by date either way and the leaders' stats by period.
        IndexModel([("city", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("keywords", ASCENDING)]),
        # Map boxes. Not a 2dsphere index: SecantusDB recomputes its cells on every update of
        # a report (the costliest index by far, bench/database_ops.py), and a box needs none.
        IndexModel([("city", ASCENDING), ("location.lat", ASCENDING),
                    ("location.lon", ASCENDING)]),
        # Possible duplicates by place: category and grid cell (aduan/domain/nearby.py), set
        # when a report is judged.
        IndexModel([("city", ASCENDING), ("place_key", ASCENDING)]),
        # Agency inboxes and lists, and (by its prefix) the leaders' digest of one agency.
        IndexModel([("city", ASCENDING), ("agencies.code", ASCENDING),
                    ("created_at", DESCENDING)]),
        # The SLA sweep's deadlines, and the day postponed reports come back. Routing sets the
        # first two on nearly every report; the others are set on few.
        IndexModel([("forward_due_at", ASCENDING)]),
        IndexModel([("agencies.due_at", ASCENDING)]),
        IndexModel([("agencies.resolution_due_at", ASCENDING)], sparse=True),
        IndexModel([("auto_close_at", ASCENDING)], sparse=True),
        IndexModel([("postponed_until", ASCENDING)], sparse=True),
        # The escalations inbox: a city's escalated reports, or one agency's.
        IndexModel([("city", ASCENDING), ("escalations.agency", ASCENDING)]),
        # A reporter's other reports after the one-time-code recovery (services/intake/
        # reporter_contacts.py).
        IndexModel([("contact_keys", ASCENDING)], sparse=True),
    ],
    # Resumable photo uploads (services/intake/resumable.py): the purge of expired ones, the
    # open ones of an address, and the documents of used and expired ones gone with time.
    "uploads": [
        IndexModel([("state", ASCENDING), ("expires_at", ASCENDING)]),
        IndexModel([("address", ASCENDING), ("state", ASCENDING), ("expires_at", ASCENDING)]),
        IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),
        IndexModel([("chunks_left_since", ASCENDING)]),
    ],
    "agencies": [IndexModel([("city", ASCENDING), ("code", ASCENDING)], unique=True)],
    "categories": [IndexModel([("city", ASCENDING), ("code", ASCENDING)], unique=True)],
    # The notification delivery log (email, SMS and webhook deliveries alike).
    "deliveries": [
        IndexModel([("report_id", ASCENDING), ("created_at", ASCENDING)]),
        # The webhook dispatcher takes the deliveries that are due, oldest first.
        IndexModel([("channel", ASCENDING), ("result", ASCENDING),
                    ("next_attempt_at", ASCENDING)]),
        # Operators list parked webhook deliveries, newest first, per city.
        IndexModel([("channel", ASCENDING), ("result", ASCENDING), ("city", ASCENDING),
                    ("created_at", DESCENDING)]),
        IndexModel([("subscription_id", ASCENDING), ("result", ASCENDING)]),
    ],
    "webhook_subscriptions": [IndexModel([("active", ASCENDING), ("created_at", ASCENDING)])],
    # Web Push subscriptions (services/notification/push_subscriptions.py): one per device and
    # report; a report's devices when it moves, a device's when it unsubscribes or is gone.
    "push_subscriptions": [
        IndexModel([("endpoint_key", ASCENDING), ("report_id", ASCENDING)], unique=True),
        IndexModel([("report_id", ASCENDING)]),
    ],
    "users": [
        IndexModel([("username", ASCENDING)], unique=True),
        # The notifier finds who hears what by role (services/notification/contacts.py).
        IndexModel([("city", ASCENDING), ("role", ASCENDING), ("agency", ASCENDING)]),
    ],
    "refresh_tokens": [
        IndexModel([("user_id", ASCENDING)]),
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),
    ],
    "api_keys": [IndexModel([("created_at", DESCENDING)])],
    "rate_limits": [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)],
    # Failed sign-ins per account (gateway/login_throttle.py).
    "login_failures": [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)],
    # One-time tracking recovery codes' nonces (services/intake/recovery.py), gone with time.
    "tracking_recoveries": [IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0)],
    # SP4N-LAPOR! (services/lapor/sync.py): the importer asks whether a Tracking ID is linked.
    "lapor_sync": [IndexModel([("city", ASCENDING), ("tracking_id", ASCENDING)])],
    # Inbound SMS (services/channels/sms_links.py): a sender's recent reports (a reply is a
    # comment on the newest open one), the messages already handled and the keys of texts
    # sent without the provider's id; all gone with time.
    "sms_reports": [
        IndexModel([("phone", ASCENDING), ("at", DESCENDING)]),
        IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),
    ],
    "sms_inbound": [IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0)],
    "sms_text_keys": [IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0)],
    # Duplicate-photo look-up: the perceptual hash's four position-tagged 16-bit chunks.
    "photo_hashes": [
        IndexModel([("city", ASCENDING), ("chunks", ASCENDING)]),
    ],
    # Photos residents sent the WhatsApp bot (services/channels/conversations.py), kept until
    # their report is filed; those of a conversation abandoned for a week go.
    "wa_media": [IndexModel([("at", ASCENDING)], expireAfterSeconds=7 * 86400)],
}


class _CommandMetrics(monitoring.CommandListener):
    """Counts and times every command, so ops (and the load bench) see which service asks the
    database for what, and how often per report."""

    def __init__(self) -> None:
        self._collections: dict[tuple[Any, int], str] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        if event.command_name == "getMore":
            target = event.command.get("collection")
        self._collections[(event.connection_id, event.request_id)] = (
            target if isinstance(target, str) else "")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        collection = self._observe(event)
        reply = event.reply
        if event.command_name == "update":
            written = reply.get("nModified", 0) + len(reply.get("upserted", []))
        else:
            written = reply.get("n", 0) if event.command_name in ("insert", "delete") else 0
        if written:
            metrics.database_documents_written.labels(event.command_name, collection).inc(
                written)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._observe(event)

    def _observe(self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent
                 ) -> str:
        collection = self._collections.pop((event.connection_id, event.request_id), "")
        metrics.database_commands.labels(event.command_name, collection).observe(
            event.duration_micros / 1e6)
        return collection


def get_db(settings: Settings) -> Database:
    """The database of this process; pymongo clients must not cross a fork, hence the pid key."""
    key = (os.getpid(), settings.mongo_url)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = MongoClient(
                    settings.mongo_url,
                    serverSelectionTimeoutMS=3000,
                    connectTimeoutMS=3000,
                    tz_aware=True,
                    # A hello every few seconds instead of a held-open streaming one per
                    # process: with dozens of processes the streams cost the server real CPU.
                    serverMonitoringMode="poll",
                    event_listeners=[_CommandMetrics()],
                )
                _clients[key] = client
    return client[settings.mongo_db]


def increment(collection: Collection, key: str, field: str = "n",
              on_insert: dict[str, Any] | None = None) -> dict[str, Any]:
    """Atomically adds 1 to `field` of document `key`, creating it if needed; returns the
    document after the increment.

    No upsert: when concurrent first increments race, an upserting find-and-modify may fail on
    MongoDB (duplicate key) and, on SecantusDB, apply the increment yet return nothing, so a
    retry would count twice. Creating the document apart (a lost race is harmless) and then
    incrementing the existing one is exact on both.
    """
    for _ in range(2):
        document = collection.find_one_and_update(
            {"_id": key}, {"$inc": {field: 1}}, return_document=ReturnDocument.AFTER)
        if document is not None:
            return document
        with contextlib.suppress(DuplicateKeyError):
            collection.insert_one({"_id": key, field: 0, **(on_insert or {})})
    raise RuntimeError(f"could not increment {collection.name}/{key}")


# Indexes earlier versions made that nothing needs any more (the last three repeat another
# index's prefix or direction): dropped at start-up, since every write would keep paying for
# them.
OBSOLETE_INDEXES: dict[str, list[str]] = {
    "reports": ["geo_2dsphere", "idempotency_key_1", "city_1_created_at_1",
                "city_1_agencies.code_1", "agencies.code_1_created_at_-1"],
    # The exact-copy look-up it served is part of the one look-up by chunks now.
    "photo_hashes": ["city_1_hash_1_reported_at_1"],
}


def ensure_indexes(db: Database) -> None:
    """Creates the indexes that do not exist yet (by name) and drops obsolete ones, and those an
    earlier version made sparse or not otherwise than now (same name: dropped and made again).
    Existing ones are skipped, not asked for again: SecantusDB refuses that for some kinds
    (2dsphere)."""
    for collection, indexes in INDEXES.items():
        existing = {index["name"]: index for index in db[collection].list_indexes()}
        wanted = {i.document["name"]: i.document for i in indexes}
        changed = [name for name, index in existing.items() if name in wanted
                   and bool(index.get("sparse")) != bool(wanted[name].get("sparse"))]
        for name in [*OBSOLETE_INDEXES.get(collection, []), *changed]:
            if name in existing:
                with contextlib.suppress(OperationFailure):  # another process dropped it
                    db[collection].drop_index(name)
                del existing[name]
        missing = [i for i in indexes if i.document["name"] not in existing]
        if missing:
            db[collection].create_indexes(missing)


def ping(db: Database) -> None:
    db.client.admin.command("ping")
