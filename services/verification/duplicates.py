"""Earlier photos of the same city that look the same: perceptual hashes kept in MongoDB.

Each photo has two 64-bit hashes (aduan/infra/phash.py): `hash`, its dHash, and `ehash`, the
dHash of its equalised grey levels, which a change of exposure, gamma or contrast barely moves.
Their 16-bit chunks, each tagged with its position (`position << 16 | chunk`; positions 0-3
for `hash`, 4-7 for `ehash`), sit in one indexed array field `chunks`.

Multi-index hashing on that single multikey index: two hashes within Hamming distance 3 share
a chunk at the same position (pigeonhole), and within distance 7 they have a chunk at the same
position that differs in at most one bit; so one indexed `$in` over the `ehash` chunks and
their one-bit neighbours (68 keys), plus the `hash` chunks (4 keys), finds every candidate, and
the exact distance is checked here. Photos stored before `ehash` existed have only `hash`
(and its four chunks): they are still found, within LEGACY_MAX_DISTANCE of their dHash.
Hashes of featureless pictures (a flat grey or black frame) match one another by accident, so
they are neither stored nor looked up.

One command per look-up: the `$in` above, read in one batch (no getMore). The same photo sent
again (the commonest duplicate) is found by it too; so that a flood of copies does not make
every later look-up read them all, a photo whose two hashes equal those of an earlier report's
photo the look-up found is stored without `chunks`: that earlier photo answers every later
look-up the copy would (same distance, earlier report), so no answer changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.database import Database

from aduan.infra.phash import (
    BITS,
    CHUNK_BITS,
    CHUNKS,
    chunks,
    from_int64,
    hamming,
    near_chunks,
    to_int64,
)

COLLECTION = "photo_hashes"
# Random 64-bit hashes sharing a 16-bit chunk with one of the 72 keys are ~1,100 per million
# stored; the bound keeps a flood of look-alike photos from making one look-up scan them all.
MAX_CANDIDATES = 5000
MIN_INFORMATIVE_BITS = 6
# The distance up to which an equalised-hash neighbour is sure to be found (see above).
MAX_DISTANCE = 2 * CHUNKS - 1
# Plain dHash only finds neighbours within 3 bits (one exact chunk); past that it would also
# link look-alike scenes: the equalised hash is the one compared further.
LEGACY_MAX_DISTANCE = CHUNKS - 1


@dataclass(frozen=True)
class PhotoHash:
    dhash: int
    equalised: int | None = None  # None: a photo hashed before the equalised hash existed


@dataclass(frozen=True)
class DuplicateMatch:
    report_id: str
    code: str
    photo_id: str
    distance: int

    def as_doc(self) -> dict[str, Any]:
        return {"report_id": self.report_id, "code": self.code, "photo_id": self.photo_id,
                "distance": self.distance}


def informative(value: int) -> bool:
    ones = value.bit_count()
    return MIN_INFORMATIVE_BITS <= ones <= BITS - MIN_INFORMATIVE_BITS


def _equalised(photo: PhotoHash) -> int | None:
    return photo.equalised if photo.equalised is not None and informative(photo.equalised) \
        else None


def chunk_keys(value: int, first_position: int = 0) -> list[int]:
    return [(first_position + position) << CHUNK_BITS | part
            for position, part in enumerate(chunks(value))]


def near_chunk_keys(value: int, first_position: int) -> list[int]:
    """Each chunk's key and its one-bit neighbours' keys."""
    return [(first_position + position) << CHUNK_BITS | near
            for position, part in enumerate(chunks(value)) for near in near_chunks(part)]


def lookup_keys(photo: PhotoHash, max_distance: int) -> list[int]:
    keys = chunk_keys(photo.dhash)
    equalised = _equalised(photo)
    if equalised is not None:
        keys += (near_chunk_keys(equalised, CHUNKS) if max_distance > LEGACY_MAX_DISTANCE
                 else chunk_keys(equalised, CHUNKS))
    return keys


def hash_document(city: str, report: dict[str, Any], photo_id: str, photo: PhotoHash | int,
                  indexed: bool = True) -> dict[str, Any]:
    """`indexed`: False stores no `chunks` (a copy of an earlier photo, see above)."""
    photo = photo if isinstance(photo, PhotoHash) else PhotoHash(photo)
    doc = {
        "_id": photo_id,
        "city": city,
        "report_id": report["_id"],
        "code": report["code"],
        "reported_at": report["created_at"],
        "hash": to_int64(photo.dhash),
        "chunks": chunk_keys(photo.dhash),
    }
    equalised = _equalised(photo)
    if equalised is not None:
        doc["ehash"] = to_int64(equalised)
        doc["chunks"] += chunk_keys(equalised, CHUNKS)
    if not indexed:
        del doc["chunks"]
    return doc


def remember(db: Database, city: str, report: dict[str, Any], photo_id: str,
             photo: PhotoHash, indexed: bool = True) -> None:
    """Stores a photo's hashes once (keyed by photo id, so a redelivery adds nothing)."""
    if informative(photo.dhash):
        doc = hash_document(city, report, photo_id, photo, indexed)
        db[COLLECTION].update_one({"_id": photo_id}, {"$setOnInsert": doc}, upsert=True)


def distance(photo: PhotoHash, stored: dict[str, Any], max_distance: int) -> int | None:
    """The distance between a photo and a stored one if they are near enough, else None: the
    equalised hashes within `max_distance`, or the plain ones within LEGACY_MAX_DISTANCE (the
    only comparison a photo stored before the equalised hash allows)."""
    found: list[int] = []
    plain = hamming(photo.dhash, from_int64(stored["hash"]))
    if plain <= min(max_distance, LEGACY_MAX_DISTANCE):
        found.append(plain)
    equalised = _equalised(photo)
    if equalised is not None and stored.get("ehash") is not None:
        near = hamming(equalised, from_int64(stored["ehash"]))
        if near <= max_distance:
            found.append(near)
    return min(found) if found else None


@dataclass(frozen=True)
class Lookup:
    match: DuplicateMatch | None
    # An earlier report's photo has both hashes of this one: store this one without `chunks`.
    copy: bool = False


def _same_hashes(photo: PhotoHash, stored: dict[str, Any]) -> bool:
    equalised = _equalised(photo)
    return (stored["hash"] == to_int64(photo.dhash)
            and stored.get("ehash") == (None if equalised is None else to_int64(equalised)))


def look_up(db: Database, city: str, photo: PhotoHash, reported_before: datetime,
            exclude_report: str, max_distance: int) -> Lookup:
    """The nearest photo of another, earlier report of the city within `max_distance` bits
    (at most MAX_DISTANCE; the earliest such report on a tie), and whether one of them is the
    same photo; one `find` in one batch."""
    if not informative(photo.dhash):
        return Lookup(None)
    projection = {"hash": 1, "ehash": 1, "report_id": 1, "code": 1, "reported_at": 1}
    # The report itself and later ones are skipped here, not in the query: with a `$ne` in it,
    # SecantusDB leaves the index and scans the collection (660 ms at 20,000 hashes, against
    # 0.4 ms). A batch as large as the limit: the look-up is one command, never a getMore.
    candidates = db[COLLECTION].find(
        {"city": city, "chunks": {"$in": lookup_keys(photo, max_distance)}}, projection,
        limit=MAX_CANDIDATES, batch_size=MAX_CANDIDATES)
    best: tuple[int, datetime, dict[str, Any]] | None = None
    copy = False
    for doc in candidates:
        if doc["report_id"] == exclude_report or doc["reported_at"] >= reported_before:
            continue
        copy = copy or _same_hashes(photo, doc)
        bits = distance(photo, doc, max_distance)
        if bits is not None and (best is None or (bits, doc["reported_at"])
                                 < (best[0], best[1])):
            best = (bits, doc["reported_at"], doc)
    if best is None:
        return Lookup(None)
    bits, _, doc = best
    return Lookup(DuplicateMatch(doc["report_id"], doc["code"], doc["_id"], bits), copy)


def find_duplicate(db: Database, city: str, photo: PhotoHash | int, reported_before: datetime,
                   exclude_report: str, max_distance: int) -> DuplicateMatch | None:
    """`look_up`'s match alone. A bare int is a plain dHash alone."""
    photo = photo if isinstance(photo, PhotoHash) else PhotoHash(photo)
    return look_up(db, city, photo, reported_before, exclude_report, max_distance).match
