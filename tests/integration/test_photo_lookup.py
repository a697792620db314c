"""The duplicate-photo look-up on the real database (the MongoDB-protocol server the stack
runs): the equalised hash's chunks and their one-bit neighbours find every stored photo within
7 bits through the multikey index, and photos stored before the equalised hash existed (plain
dHash only) are still found within 3 bits.

These tests write into the database, on purpose: they test the look-up at its own layer, with
hash documents built by the code the verification worker stores them with (`hash_document`), in
a city name of their own that no report has. Hashes at exact bit distances cannot be made by
submitting photos, 300 neighbours per case through the API would take minutes, and a document
of a photo stored before the equalised hash existed can no longer be made by the product at
all. The end-to-end path (a photo submitted twice) is tests/integration/test_verification.py's."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import MongoClient, monitoring

from aduan.infra.phash import hamming
from services.verification.duplicates import (
    PhotoHash,
    find_duplicate,
    hash_document,
    look_up,
    remember,
)

pytestmark = pytest.mark.stack


def _flipped(value: int, count: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), count):
        value ^= 1 << bit
    return value


def _informative(rng: random.Random) -> int:
    return rng.getrandbits(64) | 0xF0F0  # plenty of ones and zeros


def _stored(city: str, code: str, photo: PhotoHash | int) -> dict[str, Any]:
    earlier = datetime.now(UTC) - timedelta(hours=1)
    return hash_document(city, {"_id": code, "code": code, "created_at": earlier},
                         uuid.uuid4().hex, photo)


@pytest.mark.parametrize("flips", range(10))
def test_every_equalised_hash_within_seven_bits_is_found(db, flips):
    city = f"lookup-{uuid.uuid4().hex[:8]}"
    rng = random.Random(1000 + flips)
    plain, equalised = _informative(rng), _informative(rng)
    near = PhotoHash(_informative(rng), _flipped(equalised, flips, rng))  # plain: unrelated
    noise = [_stored(city, f"N-{i}", PhotoHash(rng.getrandbits(64), rng.getrandbits(64)))
             for i in range(300)]
    # Written here, not through the API: hashes at exact bit distances (module docstring).
    db.photo_hashes.insert_many([_stored(city, "NEAR", near), *noise])
    match = find_duplicate(db, city, PhotoHash(plain, equalised), datetime.now(UTC),
                           "someone-else", 7)
    if flips <= 7:
        assert match is not None and match.code == "NEAR"
        assert match.distance == flips == hamming(equalised, near.equalised or 0)
    else:
        assert match is None


@pytest.mark.parametrize("flips", range(6))
def test_a_photo_stored_before_the_equalised_hash_is_found_within_three_bits(db, flips):
    city = f"lookup-{uuid.uuid4().hex[:8]}"
    rng = random.Random(2000 + flips)
    plain = _informative(rng)
    # A photo stored before the equalised hash existed: no API makes one now (module docstring).
    db.photo_hashes.insert_many([
        _stored(city, "LEGACY", _flipped(plain, flips, rng)),
        *[_stored(city, f"N-{i}", rng.getrandbits(64)) for i in range(300)]])
    match = find_duplicate(db, city, PhotoHash(plain, _informative(rng)), datetime.now(UTC),
                           "someone-else", 7)
    if flips <= 3:
        assert match is not None and (match.code, match.distance) == ("LEGACY", flips)
    else:
        assert match is None


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_a_photo_sent_again_is_found_in_one_command_and_its_copies_are_not_indexed(settings,
                                                                                   db):
    city = f"lookup-{uuid.uuid4().hex[:8]}"
    rng = random.Random(3000)
    photo = PhotoHash(_informative(rng), _informative(rng))
    assert photo.equalised is not None
    # More look-alikes (two bits off) than a default first batch holds (101 documents).
    db.photo_hashes.insert_many([
        _stored(city, f"N-{i}", PhotoHash(_informative(rng), _flipped(photo.equalised, 2, rng)))
        for i in range(150)])
    commands = _Commands()
    client: MongoClient = MongoClient(settings.mongo_url, tz_aware=True,
                                      event_listeners=[commands])
    try:
        counted = client[settings.mongo_db]
        first = datetime.now(UTC) - timedelta(minutes=30)
        remember(counted, city, {"_id": "R-0", "code": "C-0", "created_at": first}, "p-0",
                 photo)
        for sent in range(1, 4):
            report = {"_id": f"R-{sent}", "code": f"C-{sent}",
                      "created_at": first + timedelta(minutes=sent)}
            commands.names.clear()
            lookup = look_up(counted, city, photo, report["created_at"], report["_id"], 7)
            assert commands.names == ["find"]
            assert lookup.match is not None and lookup.copy
            assert (lookup.match.code, lookup.match.distance) == ("C-0", 0)
            remember(counted, city, report, f"p-{sent}", photo, indexed=not lookup.copy)
    finally:
        client.close()
    assert db.photo_hashes.count_documents({"city": city}) == 154
    assert db.photo_hashes.count_documents({"city": city, "chunks": {"$exists": True}}) == 151
    # The same plain hash with another equalised one: the same distance, but not a copy.
    other = PhotoHash(photo.dhash, _flipped(photo.equalised, 1, rng))
    lookup = look_up(db, city, other, datetime.now(UTC), "R-9", 7)
    assert lookup.match is not None and (lookup.match.code, lookup.match.distance) == ("C-0", 0)
    assert not lookup.copy
