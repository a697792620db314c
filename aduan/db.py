"""MongoDB access: one client per process (created after fork), and every index the product uses."""

from __future__ import annotations

import os
import threading

from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient
from pymongo.database import Database

from aduan.config import Settings

_clients: dict[tuple[int, str], MongoClient] = {}
_lock = threading.Lock()

INDEXES: dict[str, list[IndexModel]] = {
    "reports": [
        IndexModel([("code", ASCENDING)], unique=True),
        IndexModel(
            [("idempotency_key", ASCENDING)],
            unique=True,
            partialFilterExpression={"idempotency_key": {"$type": "string"}},
        ),
        IndexModel([("outbox.created_at", ASCENDING)]),
        IndexModel([("city", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)]),
    ],
    "deliveries": [IndexModel([("report_id", ASCENDING), ("created_at", ASCENDING)])],
    # Duplicate-photo look-up: the perceptual hash's four position-tagged 16-bit chunks.
    "photo_hashes": [IndexModel([("city", ASCENDING), ("chunks", ASCENDING)])],
}


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
                )
                _clients[key] = client
    return client[settings.mongo_db]


def ensure_indexes(db: Database) -> None:
    for collection, indexes in INDEXES.items():
        db[collection].create_indexes(indexes)


def ping(db: Database) -> None:
    db.client.admin.command("ping")
