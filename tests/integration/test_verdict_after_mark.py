"""A device registered for push while verification judges (or routing routes) a report (the
PWA registers about 100 ms after filing, `web/static/js/push.js`): the mark bumps the report's
version, so the write, pinned on the version read, misses. The verdict (the routing) is still
written, whether the report came with its event or was read, and the photos are not judged
twice for a mark. Real database and object store; the workers run in this process, on a
database of their own (no stack worker acts on these reports), and the mark is the one
`push_subscriptions.subscribe` makes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from photo_factory import INSIDE, camera_photo
from pymongo.database import Database

from aduan.domain.codes import new_code
from aduan.domain.lifecycle import Actor, new_report
from aduan.infra.catalogue_cache import CatalogueCache
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes
from aduan.infra.deadlines import Deadlines
from aduan.infra.messaging import Delivery
from aduan.infra.reports import Reports
from aduan.infra.storage import ObjectStore
from aduan.infra.versioned_cache import Versions
from services.notification.push_subscriptions import mark_report
from services.routing.worker import Router
from services.verification.worker import Verifier

pytestmark = pytest.mark.stack


@pytest.fixture
def own_db(db: Database) -> Iterator[Database]:
    mine = db.client[f"f1_verdict_{uuid.uuid4().hex[:8]}"]
    ensure_indexes(mine)
    yield mine
    db.client.drop_database(mine.name)


class MarkedWhileJudged:
    """The object store, with a device registering for push while the photo is fetched (that
    is, while the report is judged), or (`edits`) another writer changing the report at each
    fetch; counts the fetches of raw photos (each is a judging)."""

    def __init__(self, store: ObjectStore, db: Database, edits: bool = False) -> None:
        self.store, self.db, self.edits = store, db, edits
        self.fetches = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def get(self, bucket: str, key: str) -> bytes:
        data = self.store.get(bucket, key)
        if bucket == self.store.raw_bucket:
            self.fetches += 1
            report_id = key.split("/")[1]
            if not self.edits:
                mark_report(self.db, {"_id": report_id})
            else:  # another writer, changing what is judged
                self.db.reports.update_one({"_id": report_id}, {
                    "$set": {"description": f"edit {self.fetches}"}, "$inc": {"version": 1}})
        return data


def _submitted(db: Database, store: ObjectStore) -> tuple[dict[str, Any], Delivery]:
    report_id = uuid.uuid4().hex
    raw_key = f"padang/{report_id}/p1.jpg"
    photo = camera_photo(*INSIDE["padang"], datetime.now(UTC) - timedelta(minutes=20))
    store.put(store.raw_bucket, raw_key, photo, "image/jpeg")
    lat, lon = INSIDE["padang"]
    fields = {"_id": report_id, "code": new_code("PDG", 2026), "city": "padang",
              "category": "waste", "description": "Sampah menumpuk", "privacy": "public",
              "location": {"lat": lat, "lon": lon}, "channel": "app",
              "photos": [{"id": "p1", "raw_key": raw_key, "content_type": "image/jpeg"}]}
    report, event = new_report(fields, Actor(kind="reporter", id=None), datetime.now(UTC))
    message = Reports(db, None).create(report, event, None)
    delivery = Delivery(routing_key=message.routing_key, body=message.body,
                        message_id=uuid.uuid4().hex, correlation_id=None, type=None,
                        attempts=0)
    return report, delivery


def _verifier(settings: Settings, db: Database, store: Any) -> Verifier:
    return Verifier(settings, db, store, None)


def test_a_report_read_and_marked_while_judged_is_judged(settings, own_db, store):
    """The event carries no report (an earlier version's, or a retry): the report is read; the
    mark moves its version while it is judged; the verdict is written all the same."""
    report, delivery = _submitted(own_db, store)
    read = Delivery(routing_key=delivery.routing_key, body={"report_id": report["_id"]},
                    message_id=delivery.message_id, correlation_id=None, type=None,
                    attempts=1)
    marking = MarkedWhileJudged(store, own_db)
    _verifier(settings, own_db, marking).handle(read)
    judged = own_db.reports.find_one({"_id": report["_id"]})
    assert judged["status"] in {"verified", "needs_review"}
    assert judged["push_subscribed"] is True
    assert marking.fetches == 1  # the mark changed nothing the judging read


def test_a_report_its_event_carries_is_judged_once_when_marked_meanwhile(
        settings, own_db, store):
    report, delivery = _submitted(own_db, store)
    marking = MarkedWhileJudged(store, own_db)
    _verifier(settings, own_db, marking).handle(delivery)
    judged = own_db.reports.find_one({"_id": report["_id"]})
    assert judged["status"] in {"verified", "needs_review"}
    assert judged["push_subscribed"] is True and judged["version"] == report.get("version", 0) + 2
    assert marking.fetches == 1


def test_a_report_changing_at_every_write_is_left_to_the_retry(settings, own_db, store):
    """Missing every time raises (the consumer retries the event), never acks it unjudged."""
    report, delivery = _submitted(own_db, store)
    # Each judging moves the version, and each miss's read finds the report judged changed,
    # so it is judged again: every write misses.
    marking = MarkedWhileJudged(store, own_db, edits=True)
    with pytest.raises(RuntimeError, match="kept changing"):
        _verifier(settings, own_db, marking).handle(delivery)
    assert own_db.reports.find_one({"_id": report["_id"]})["status"] == "submitted"
    assert marking.fetches == 5


class MarkedWhileRouted:
    """The deadlines, with a device registering for push while the agencies' follow-up
    deadlines are reckoned (that is, while the report is routed, before the write)."""

    def __init__(self, deadlines: Deadlines, db: Database, report_id: str) -> None:
        self.deadlines, self.db, self.report_id = deadlines, db, report_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self.deadlines, name)

    def follow_up_due(self, city: str, category: Any, start: datetime) -> datetime:
        mark_report(self.db, {"_id": self.report_id})
        return self.deadlines.follow_up_due(city, category, start)


def test_a_report_read_and_marked_while_routed_is_routed(settings, db, own_db, store):
    """The routing event is a retry (its report read): the mark moves the version while the
    report is routed; it is routed all the same (was: left `verified`, the event acked)."""
    report, delivery = _submitted(own_db, store)
    _verifier(settings, own_db, store).handle(delivery)
    assert own_db.reports.find_one({"_id": report["_id"]})["status"] == "verified"
    deadlines = MarkedWhileRouted(Deadlines.from_settings(settings), own_db, report["_id"])
    router = Router(own_db, None, deadlines,  # type: ignore[arg-type]
                    CatalogueCache(Versions(db, 0.0), max_age_s=0.0))  # the stack's catalogue
    router.handle(Delivery(routing_key="report.verified", body={"report_id": report["_id"]},
                           message_id=uuid.uuid4().hex, correlation_id=None, type=None,
                           attempts=1))
    routed = own_db.reports.find_one({"_id": report["_id"]})
    assert routed["status"] == "forwarded"
    assert routed["push_subscribed"] is True
    assert routed["forward_due_at"] is not None
