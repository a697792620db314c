"""Per-process copies read again when a change is announced (aduan/infra/versioned_cache.py),
over the in-memory fake database and a hand-moved clock.

These tests write users, agencies, categories and webhook_subscriptions straight into the fake:
what is tested is the cache over whatever a writer left (and the counter it bumped), not the
writers, which a unit test over the fake can't run. Through the API, on the real stack, a
change is in effect for the next event once it is answered:
tests/integration/test_webhooks.py::test_a_subscription_made_or_deleted_through_the_api_is_in_
effect_when_answered (webhook subscriptions), tests/integration/test_notifications.py (staff
made, changed and disabled through the user API, then told of reports)."""

from __future__ import annotations

import pytest
from fakes import fake_db
from pymongo.errors import ServerSelectionTimeoutError

from aduan.infra.catalogue_cache import CatalogueCache
from aduan.infra.config import Settings
from aduan.infra.versioned_cache import (
    VersionedCache,
    Versions,
    announce_change,
    bump,
)
from services.notification import contacts


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting_loader(collection: str):
    reads: list[int] = []

    def load(db) -> list[dict]:
        reads.append(1)
        return list(db[collection].find({}))
    return load, reads


def test_a_copy_is_read_once_until_a_change_is_announced_and_checked():
    db, clock = fake_db(), Clock()
    # Written straight into the fake: the loader reads what a writer left, whoever it was.
    db.webhook_subscriptions.insert_one({"_id": "a"})
    load, reads = counting_loader("webhook_subscriptions")
    cache = VersionedCache(Versions(db, 1.0, clock), "webhook_subscriptions", load, 60.0, clock)
    assert [s["_id"] for s in cache.get()] == ["a"]
    for _ in range(50):
        cache.get()
    assert len(reads) == 1

    db.webhook_subscriptions.insert_one({"_id": "b"})
    bump(db, "webhook_subscriptions")
    clock.now += 0.5  # the counter was read less than check_s ago: the copy still stands
    assert len(cache.get()) == 1
    clock.now += 0.5
    assert [s["_id"] for s in cache.get()] == ["a", "b"] and len(reads) == 2


def test_another_name_s_change_leaves_the_copy_and_max_age_reads_it_anyway():
    db, clock = fake_db(), Clock()
    load, reads = counting_loader("webhook_subscriptions")
    cache = VersionedCache(Versions(db, 1.0, clock), "webhook_subscriptions", load, 60.0, clock)
    cache.get()
    bump(db, "catalogue")
    clock.now += 2
    cache.get()
    assert len(reads) == 1
    # A write nobody announced (an older replica, a hand edit) shows once the copy is old.
    clock.now += 60
    cache.get()
    assert len(reads) == 2


def test_the_catalogue_copy_answers_as_the_database_look_ups_do():
    db = fake_db()
    # Written straight into the fake, as ensure_seeded and the catalogue API store them.
    db.agencies.insert_one({"_id": "depok:DLH", "city": "depok", "code": "DLH"})
    db.agencies.insert_one({"_id": "depok:OLD", "city": "depok", "code": "OLD", "active": False})
    db.categories.insert_one({"_id": "depok:waste", "city": "depok", "code": "waste"})
    catalogue = CatalogueCache(Versions(db, 1.0))
    assert catalogue.category_of({"city": "depok", "category": "waste"})["code"] == "waste"
    assert catalogue.category_of({"city": "padang", "category": "waste"}) is None
    assert catalogue.active_agency("depok", "DLH")["code"] == "DLH"
    assert catalogue.active_agency("depok", "OLD") is None
    assert catalogue.agency("depok", "OLD")["code"] == "OLD"


def test_the_staff_copy_finds_whom_the_database_finds():
    db = fake_db()
    users = [("a-op", "operator", None, False), ("b-admin", "agency_admin", "DLH", False),
             ("c-admin", "agency_admin", "DLH", True), ("d-off", "officer", "DLH", False),
             ("e-sys", "sysadmin", None, False), ("f-admin", "agency_admin", "PUPR", False)]
    for username, role, agency, disabled in users:
        # Written straight into the fake, as gateway.users.create_user stores a user.
        db.users.insert_one({"_id": username, "username": username, "role": role,
                             "city": "depok", "agency": agency, "disabled": disabled,
                             "email": f"{username}@depok.example", "language": "id"})
    cached = contacts.StaffCache(Versions(db, 1.0))
    for ask in (lambda people: contacts.liaisons(people, "depok", "DLH"),
                lambda people: contacts.operators(people, "depok"),
                lambda people: contacts.operators(people, "padang"),
                lambda people: contacts.officers(people, "depok", "DLH", ["d-off", "b-admin"]),
                lambda people: contacts.escalation(people, "depok", "PUPR", "follow_up",
                                                   [{"role": "agency_admin"}])):
        assert ask(cached) == ask(db)
    assert [c.user_id for c in contacts.liaisons(cached, "depok", "DLH")] == ["b-admin"]


class Unreachable:
    """A database that is away: each of its collections fails."""

    def __getitem__(self, name: str) -> Unreachable:
        return self

    def find_one(self, *args, **kwargs):
        raise ServerSelectionTimeoutError("database away (test)")

    def update_one(self, *args, **kwargs):
        raise ServerSelectionTimeoutError("database away (test)")


def test_a_failed_read_of_the_counters_is_tried_again_by_the_next_caller():
    db, clock = fake_db(), Clock()
    versions = Versions(Unreachable(), 1.0, clock)  # type: ignore[arg-type]
    with pytest.raises(ServerSelectionTimeoutError):
        versions.counter("webhook_subscriptions")
    versions.db = db  # back
    bump(db, "webhook_subscriptions")
    assert versions.counter("webhook_subscriptions") == 1  # same moment: read, not skipped


def test_a_change_whose_announcement_fails_is_still_answered(caplog):
    announce_change(Unreachable(), Settings(cache_check_s=0.0),  # type: ignore[arg-type]
                    "webhook_subscriptions")
    assert "not announced" in caplog.text
