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

from aduan.infra.phash import hamming
from services.verification.duplicates import PhotoHash, find_duplicate, hash_document

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
