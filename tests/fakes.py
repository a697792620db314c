"""In-memory stand-ins for the three things every handler is given, so handlers and planners
are tested in milliseconds (`tests/unit/`). The integration tests prove the real servers.

- `fake_db()`: a MongoDB database in memory (mongomock), with the product's indexes, so a
  duplicate key is refused as MongoDB refuses it.
- `FakeStore`: the `ObjectStore` interface over a dict of buckets.
- `FakePublisher`: the `Publisher` interface; it keeps what it was given, and can be made to
  fail like a broker that is down.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import mongomock
import pika.exceptions
from pymongo.database import Database

from aduan.infra.catalogue import ensure_seeded
from aduan.infra.db import ensure_indexes
from aduan.infra.messaging import Event


def _bulk_update_without_sort() -> None:
    """pymongo 4.20's UpdateOne hands mongomock 4.3's bulk builder a `sort` (None unless asked
    for) it does not know yet: accept the None, so the product's bulk upserts (the catalogue
    seeding) run against the fake as they do against MongoDB."""
    builder = mongomock.collection.BulkOperationBuilder
    if getattr(builder.add_update, "accepts_sort", False):
        return
    add_update = builder.add_update

    def accepting_sort(self, *args: Any, sort: Any = None, **kwargs: Any) -> Any:
        if sort is not None:
            raise NotImplementedError("the fake database does not sort bulk updates")
        return add_update(self, *args, **kwargs)

    accepting_sort.accepts_sort = True  # type: ignore[attr-defined]
    builder.add_update = accepting_sort


_bulk_update_without_sort()


_SEEDED: dict[str, list[dict[str, Any]]] = {}


def seeded_fake_db() -> Database:
    """`fake_db()` holding the catalogue every service seeds at start-up (agencies, categories
    of every city): seeded once by `ensure_seeded` itself, then copied into each new database."""
    if not _SEEDED:
        template = fake_db()
        ensure_seeded(template)
        _SEEDED.update({name: list(template[name].find()) for name in ("agencies", "categories")})
    db = fake_db()
    for name, documents in _SEEDED.items():
        # The seeding's own result, copied: what every service seeds at start-up.
        db[name].insert_many(copy.deepcopy(documents))
    return db


def fake_db(name: str = "aduan") -> Database:
    db = mongomock.MongoClient(tz_aware=True)[name]
    ensure_indexes(db)
    return db



@dataclass
class FakeAnswer:
    """An HTTP answer of a fake `requests` session: `body` is what json() returns (an exception
    is raised instead: an answer that is not JSON), `data` what a streamed download yields."""

    status_code: int
    body: Any = field(default_factory=dict)
    data: bytes = b""

    def json(self) -> Any:
        if isinstance(self.body, Exception):
            raise self.body
        return self.body

    def iter_content(self, size: int):
        yield self.data

    def close(self) -> None:
        pass


class NothingRevoked:
    """Token revocations, none: what a service app checks every staff token against (the real
    ones read the database for revoked sign-ins; these tests revoke nothing they then use)."""

    def revoked(self, db: Database, user_id: str, issued_at: float) -> bool:
        return False


class FakeStore:
    def __init__(self, raw_bucket: str = "raw", public_bucket: str = "public") -> None:
        self.raw_bucket = raw_bucket
        self.public_bucket = public_bucket
        self.objects: dict[str, dict[str, tuple[bytes, str]]] = {raw_bucket: {},
                                                                  public_bucket: {}}

    def ensure_buckets(self) -> None:
        pass

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        self.objects[bucket][key] = (bytes(data), content_type)

    def get(self, bucket: str, key: str) -> bytes:
        if key not in self.objects[bucket]:
            raise KeyError(f"{bucket}/{key}")
        return self.objects[bucket][key][0]

    def exists(self, bucket: str, key: str) -> bool:
        return key in self.objects[bucket]

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        return sorted(key for key in self.objects[bucket] if key.startswith(prefix))

    def delete(self, bucket: str, key: str) -> None:
        self.objects[bucket].pop(key, None)

    def delete_many(self, bucket: str, keys: list[str]) -> None:
        for key in keys:
            self.delete(bucket, key)

    def presigned_url(self, bucket: str, key: str, ttl: timedelta) -> str:
        return f"http://store.invalid/{bucket}/{key}?ttl={int(ttl.total_seconds())}"

    def ping(self) -> None:
        pass


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[Event] = []
        self.down = False

    def publish(self, event: Event) -> None:
        if self.down:
            raise pika.exceptions.AMQPConnectionError("broker down (fake)")
        self.published.append(event)

    def keys(self) -> list[str]:
        return [event.routing_key for event in self.published]

    def bodies(self, routing_key: str) -> list[dict[str, Any]]:
        return [event.body for event in self.published if event.routing_key == routing_key]

    def close(self) -> None:
        pass


# ---- message senders (services/notification/senders.py) -----------------------------------

class FakeEmail:
    """The `EmailSender` interface: keeps each message; `failures` are raised, one per send,
    before anything is kept (e.g. DeliveryFailed("SMTP 451"), DeliveryRejected(...))."""

    def __init__(self, *failures: Exception) -> None:
        self.sent: list[tuple[str, Any, str]] = []  # (to, Rendered, message id)
        self.failures = list(failures)

    def send(self, to: str, message: Any, message_id: str) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((to, message, message_id))
        return f"250 2.0.0 queued as fake-{len(self.sent)}"

    def to(self, address: str) -> list[Any]:
        return [message for recipient, message, _ in self.sent if recipient == address]


class FakeSms:
    """The `SmsSender` interface: keeps each text; `failures` as FakeEmail's."""

    def __init__(self, *failures: Exception) -> None:
        self.sent: list[tuple[str, str]] = []  # (to, text)
        self.failures = list(failures)

    def send(self, to: str, text: str) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((to, text))
        return f"HTTP 200 id=fake-{len(self.sent)}"


class FakeWebhooks:
    """The `WebhookSender` interface: answers each attempt with the next of `answers` (an HTTP
    status, or an exception to raise: TargetRefused, urllib3's HTTPError), then 200; keeps the
    requests that got a status."""

    def __init__(self, *answers: int | Exception) -> None:
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []  # (url, body, headers)
        self.answers = list(answers)
        self.attempts = 0

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.attempts += 1
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        self.requests.append((url, body, dict(headers)))
        return answer
