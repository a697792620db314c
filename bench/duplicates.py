"""Duplicate photos: recall and false matches of the old and new look-up on pairs built from the
sample photos, and the look-up time at 1,000,000 stored hashes on a real database.

Pairs. Each decodable sample photo in tests/data/photos (their sources and licences are in
tests/data/photos/MANIFEST.tsv; the corrupt, truncated and bomb files are left out) is altered
the ways a second photo of the same scene, or a copy of it, differs: exposure, gamma and
contrast shifts, a crop of a few per cent, a small rotation, a re-encode, and combinations.
Positives: (photo, altered photo). Negatives: every pair of pictures (originals and altered)
of two different photos. Every picture is hashed by the product's own code (`render`, as the
verification worker does) and compared by it:
- old: plain dHash within 3 bits (the look-up before: four exact 16-bit chunks);
- old-threshold-7: plain dHash within 7 bits (what raising the threshold alone gives);
- new: `duplicates.distance` at the default `duplicate_max_distance` (equalised dHash within 7
  bits, or plain dHash within 3).

Look-up. Starts a throwaway SecantusDB (`secantusd-py`, on disk in a temporary folder; the
MongoDB-protocol server the tests use) unless `--mongo-url` names a server, creates the
product's indexes (`aduan.infra.db.INDEXES`), stores N photo hashes of random pictures for one
city (a share of them as photos stored before the equalised hash existed: plain dHash only),
5% more in another city, and the original of every positive pair; then times `find_duplicate`,
the worker's own code, old way (a plain dHash, within 3: 4 index keys) and new way (both
hashes, within 7: 72 index keys) for: each altered photo (its original is stored), a stored
random hash with 0-7 bits flipped, and a fresh random hash (a miss).

    .venv/bin/python bench/duplicates.py [--hashes 1000000] [--lookups 1000]

Prints the figures and writes bench/results/duplicates.json.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageEnhance
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import throwaway_mongo, write_result  # noqa: E402

from aduan.infra.config import Settings  # noqa: E402
from aduan.infra.db import INDEXES  # noqa: E402
from aduan.infra.images import accepted_formats, open_image, render, upright  # noqa: E402
from aduan.infra.phash import hamming  # noqa: E402
from services.verification.duplicates import (  # noqa: E402
    COLLECTION,
    LEGACY_MAX_DISTANCE,
    PhotoHash,
    distance,
    find_duplicate,
    hash_document,
    informative,
    lookup_keys,
)

PHOTOS = ROOT / "tests" / "data" / "photos"
# Not pictures the product accepts: broken on purpose (tests of the refusals).
LEFT_OUT = {"DSCN0010_truncated60.jpg", "bomb_30000x30000.png"}
CITY = "padang"
NEW_MAX_DISTANCE = Settings().duplicate_max_distance
MAX_PIXELS = 50_000_000


def _gamma(image: Image.Image, gamma: float) -> Image.Image:
    table = [round(255 * (level / 255) ** gamma) for level in range(256)]
    return image.point(table * len(image.getbands()))


def _crop(image: Image.Image, share: float, shift: float = 0.5) -> Image.Image:
    """`share` of the width and height cut off, `shift` of it on the left and top."""
    width, height = image.size
    dx, dy = round(width * share), round(height * share)
    left, top = round(dx * shift), round(dy * shift)
    return image.crop((left, top, width - (dx - left), height - (dy - top)))


def _rotate(image: Image.Image, degrees: float) -> Image.Image:
    """Turned by a few degrees, the empty corners cropped away, as a hand-held second shot."""
    turned = image.rotate(degrees, resample=Image.Resampling.BICUBIC)
    return _crop(turned, 2 * abs(degrees) / 57.3 + 0.01)


def _brightness(factor: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: ImageEnhance.Brightness(image).enhance(factor)


def _contrast(factor: float) -> Callable[[Image.Image], Image.Image]:
    return lambda image: ImageEnhance.Contrast(image).enhance(factor)


# name: (kind, alteration, JPEG quality)
ALTERATIONS: dict[str, tuple[str, Callable[[Image.Image], Image.Image], int]] = {
    "exposure x0.7": ("exposure", _brightness(0.7), 90),
    "exposure x1.3": ("exposure", _brightness(1.3), 90),
    "exposure x1.6": ("exposure", _brightness(1.6), 90),
    "gamma 0.6": ("exposure", lambda i: _gamma(i, 0.6), 90),
    "gamma 1.6": ("exposure", lambda i: _gamma(i, 1.6), 90),
    "contrast x0.7": ("exposure", _contrast(0.7), 90),
    "contrast x1.4": ("exposure", _contrast(1.4), 90),
    "re-encode q30": ("re-encode", lambda i: i, 30),
    "half size q60": ("re-encode", lambda i: i.resize((i.width // 2, i.height // 2)), 60),
    "crop 3%": ("crop", lambda i: _crop(i, 0.03), 90),
    "crop 6% off-centre": ("crop", lambda i: _crop(i, 0.06, 0.2), 90),
    "rotate 2°": ("rotation", lambda i: _rotate(i, 2), 90),
    "rotate -3°": ("rotation", lambda i: _rotate(i, -3), 90),
    # A second shot seconds later: another exposure and a slightly different framing.
    "second shot: exposure x1.4 + crop 4%": (
        "second shot", lambda i: _crop(_brightness(1.4)(i), 0.04, 0.3), 85),
    "second shot: gamma 0.7 + rotate 1.5°": (
        "second shot", lambda i: _rotate(_gamma(i, 0.7), 1.5), 85),
    "second shot: exposure x0.8 + crop 2%": (
        "second shot", lambda i: _crop(_brightness(0.8)(i), 0.02, 0.7), 85),
}

Method = Callable[[PhotoHash, PhotoHash], bool]
METHODS: dict[str, Method] = {
    "old: dHash <= 3": lambda a, b: hamming(a.dhash, b.dhash) <= LEGACY_MAX_DISTANCE,
    "old-threshold-7: dHash <= 7": lambda a, b: hamming(a.dhash, b.dhash) <= 7,
    "equalised dHash <= 7 alone": lambda a, b: hamming(a.equalised or 0, b.equalised or 0) <= 7,
    f"new at 3: equalised dHash <= 3 or dHash <= {LEGACY_MAX_DISTANCE}":
        lambda a, b: distance(a, hash_document(CITY, _REPORT, "p", b), 3) is not None,
    f"new: equalised dHash <= {NEW_MAX_DISTANCE} or dHash <= {LEGACY_MAX_DISTANCE}":
        lambda a, b: distance(a, hash_document(CITY, _REPORT, "p", b), NEW_MAX_DISTANCE)
        is not None,
}
_REPORT = {"_id": "r", "code": "C", "created_at": datetime(2026, 1, 1, tzinfo=UTC)}


def _hash(data: bytes, formats: frozenset[str]) -> PhotoHash:
    rendition = render(open_image(data, MAX_PIXELS, formats))
    return PhotoHash(rendition.dhash, rendition.equalised_dhash)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def hashed_pictures(featureless: list[str] | None = None) -> dict[str, dict[str, PhotoHash]]:
    """photo name -> {"original" | alteration name: its hashes}. A featureless photo (its hash
    has too few ones or zeros) is neither stored nor looked up by the product, old or new: it
    is left out and named in `featureless`."""
    formats = accepted_formats(True)
    pictures: dict[str, dict[str, PhotoHash]] = {}
    for path in sorted(PHOTOS.iterdir()):
        if path.suffix.lower() not in {".jpg", ".png", ".heic"} or path.name in LEFT_OUT:
            continue
        data = path.read_bytes()
        image = upright(open_image(data, MAX_PIXELS, formats)).convert("RGB")
        hashes = {"original": _hash(data, formats)}
        if not informative(hashes["original"].dhash):
            if featureless is not None:
                featureless.append(path.name)
            continue
        for name, (_, alter, quality) in ALTERATIONS.items():
            hashes[name] = _hash(_jpeg(alter(image), quality), formats)
        pictures[path.name] = hashes
        print(f"  hashed {path.name} and {len(ALTERATIONS)} alterations", flush=True)
    return pictures


def pair_figures(pictures: dict[str, dict[str, PhotoHash]]) -> dict[str, Any]:
    positives = [(photo, name, hashes["original"], hashes[name])
                 for photo, hashes in pictures.items() for name in ALTERATIONS]
    negatives = [(a, b) for (photo_a, hashes_a), (photo_b, hashes_b)
                 in itertools.combinations(pictures.items(), 2)
                 for a in hashes_a.values() for b in hashes_b.values()]
    figures: dict[str, Any] = {}
    for method, matches in METHODS.items():
        found = [matches(altered, original) for _, _, original, altered in positives]
        by_kind: dict[str, list[bool]] = {}
        for (_, name, _, _), hit in zip(positives, found, strict=True):
            by_kind.setdefault(ALTERATIONS[name][0], []).append(hit)
        false = sum(matches(a, b) for a, b in negatives)
        figures[method] = {
            "recall": round(sum(found) / len(found), 3),
            "found": f"{sum(found)}/{len(found)}",
            "recall_by_kind": {kind: f"{sum(hits)}/{len(hits)}" for kind, hits in by_kind.items()},
            "false_matches": f"{false}/{len(negatives)}",
            "false_match_rate": false / len(negatives),
        }
    plain = [hamming(a.dhash, b.dhash) for a, b in negatives]
    equalised = [hamming(a.equalised or 0, b.equalised or 0) for a, b in negatives]
    return {"photos": len(pictures), "positive_pairs": len(positives),
            "negative_pairs": len(negatives), "methods": figures,
            "nearest_negative_bits": {"dhash": min(plain), "equalised_dhash": min(equalised)}}


def _random_hash(rng: random.Random, legacy: bool = False) -> PhotoHash:
    while True:
        value = PhotoHash(rng.getrandbits(64), None if legacy else rng.getrandbits(64))
        if informative(value.dhash) and (legacy or informative(value.equalised or 0)):
            return value


def _flipped(value: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


def fill(collection, count: int, legacy_share: float, rng: random.Random
         ) -> tuple[list[PhotoHash], float]:
    """Stores `count` random photos' hashes for CITY (`legacy_share` of them with the plain
    dHash only) and 5% more elsewhere; returns a sample of the new-style ones and hashes/s."""
    started = time.perf_counter()
    at = datetime.now(UTC) - timedelta(days=1)
    sample: list[PhotoHash] = []
    batch: list[dict] = []
    total = count + count // 20
    for index in range(total):
        legacy = rng.random() < legacy_share
        value = _random_hash(rng, legacy)
        city = CITY if index < count else "depok"
        report = {"_id": f"r{index}", "code": f"PDG-2026-{index:07d}", "created_at": at}
        batch.append(hash_document(city, report, uuid.uuid4().hex, value))
        if city == CITY and not legacy and len(sample) < 5000:
            sample.append(value)
        if len(batch) == 10_000:
            collection.insert_many(batch, ordered=False)
            batch = []
            if (index + 1) % 100_000 == 0:
                print(f"  stored {index + 1:>9,} hashes", flush=True)
    if batch:
        collection.insert_many(batch, ordered=False)
    return sample, total / (time.perf_counter() - started)


def _summary(timings: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(timings), 3),
            "p95_ms": round(statistics.quantiles(timings, n=20)[-1], 3),
            "p99_ms": round(statistics.quantiles(timings, n=100)[-1], 3)}


def lookup_figures(args: argparse.Namespace, url: str,
                   pictures: dict[str, dict[str, PhotoHash]]) -> dict[str, Any]:
    rng = random.Random(2026)
    database = f"aduan_bench_{uuid.uuid4().hex[:8]}"
    client = MongoClient(url, tz_aware=True)
    try:
        db = client[database]
        collection = db[COLLECTION]
        print(f"storing {args.hashes:,} hashes (+5% in another city) in {url} ...")
        sample, rate = fill(collection, args.hashes, args.legacy_share, rng)
        at = datetime.now(UTC) - timedelta(hours=1)
        originals = {photo: f"ORIGINAL-{number}" for number, photo in enumerate(pictures)}
        collection.insert_many([
            hash_document(CITY, {"_id": code, "code": code, "created_at": at}, code,
                          pictures[photo]["original"]) for photo, code in originals.items()])
        started = time.perf_counter()
        collection.create_indexes(INDEXES[COLLECTION])  # faster after the bulk load
        index_s = time.perf_counter() - started
        print(f"  {rate:,.0f} hashes/s; indexes built in {index_s:.1f} s")
        now = datetime.now(UTC)

        def timed(photo: PhotoHash | int, max_distance: int) -> tuple[float, Any]:
            started = time.perf_counter()
            match = find_duplicate(db, CITY, photo, now, "bench", max_distance)
            return (time.perf_counter() - started) * 1000, match

        ways: dict[str, tuple[Callable[[PhotoHash], tuple[float, Any]], int, bool]] = {
            "old (dHash, <= 3, 4 keys)": (
                lambda p: timed(p.dhash, LEGACY_MAX_DISTANCE), LEGACY_MAX_DISTANCE, False),
            f"new at 3 (both hashes, <= 3, {len(lookup_keys(sample[0], 3))} keys)": (
                lambda p: timed(p, 3), 3, True),
            f"new (both hashes, <= {NEW_MAX_DISTANCE}, "
            f"{len(lookup_keys(sample[0], NEW_MAX_DISTANCE))} keys)": (
                lambda p: timed(p, NEW_MAX_DISTANCE), NEW_MAX_DISTANCE, True),
        }
        result: dict[str, Any] = {
            "stored_hashes": args.hashes, "legacy_share": args.legacy_share,
            "insert_hashes_per_s": round(rate), "index_build_s": round(index_s, 1)}
        for way, (look_up, max_distance, both) in ways.items():
            timings: dict[str, list[float]] = {"altered photo": [], "near": [], "miss": []}
            found: dict[str, int] = dict.fromkeys(timings, 0)
            right = 0
            for photo, hashes in pictures.items():
                for name in ALTERATIONS:
                    elapsed, match = look_up(hashes[name])
                    timings["altered photo"].append(elapsed)
                    found["altered photo"] += match is not None
                    right += match is not None and match.code == originals[photo]
            for index in range(args.lookups):
                if index % 2 == 0:
                    stored = rng.choice(sample)
                    bits = rng.randint(0, NEW_MAX_DISTANCE)
                    probe = PhotoHash(_flipped(stored.dhash, bits, rng),
                                      _flipped(stored.equalised or 0, bits, rng))
                    kind = "near"
                else:
                    probe, kind = _random_hash(rng), "miss"
                elapsed, match = look_up(probe)
                timings[kind].append(elapsed)
                found[kind] += match is not None
            every = [t for values in timings.values() for t in values]
            candidates = [collection.count_documents(
                {"city": CITY, "chunks": {"$in": lookup_keys(
                    _random_hash(rng) if both else PhotoHash(_random_hash(rng).dhash),
                    max_distance)}})
                for _ in range(20)]
            result[way] = {
                **_summary(every),
                "by_probe": {kind: {**_summary(values), "found": f"{found[kind]}/{len(values)}"}
                             for kind, values in timings.items()},
                "altered_photos_linked_to_their_original": right,
                "index_candidates_per_lookup_median": statistics.median(candidates),
            }
            print(f"  {way}: median {result[way]['median_ms']:.3f} ms, p95 "
                  f"{result[way]['p95_ms']:.3f} ms, p99 {result[way]['p99_ms']:.3f} ms; "
                  + "; ".join(f"{kind} found {found[kind]}/{len(values)}"
                              for kind, values in timings.items())
                  + f"; ~{statistics.median(candidates):.0f} index candidates", flush=True)
        return result
    finally:
        client.drop_database(database)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--legacy-share", type=float, default=0.1,
                        help="share of stored photos hashed before the equalised hash")
    parser.add_argument("--pairs-only", action="store_true", help="no database look-ups")
    parser.add_argument("--mongo-url", default=os.environ.get("ADUAN_MONGO_URL"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop the server we started
    print(f"hashing the sample photos of {PHOTOS.relative_to(ROOT)} and their alterations ...")
    featureless: list[str] = []
    pictures = hashed_pictures(featureless)
    pairs = {**pair_figures(pictures), "left_out_featureless": featureless}
    print(f"{pairs['positive_pairs']} positive pairs, {pairs['negative_pairs']:,} negative "
          f"pairs ({pairs['photos']} photos):")
    for method, figures in pairs["methods"].items():
        print(f"  {method}: recall {figures['recall']:.3f} ({figures['found']}), false matches "
              f"{figures['false_matches']} ({figures['false_match_rate']:.5f})")
        print(f"      by kind: {figures['recall_by_kind']}")
    print(f"  nearest different photos: {pairs['nearest_negative_bits']} bits apart")
    result: dict[str, Any] = {
        "bench": "duplicates", "at": datetime.now(UTC).isoformat(),
        # The machine is shared: a high load makes every timing slower.
        "load_average_1m_at_start": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "command": " ".join([".venv/bin/python", "bench/duplicates.py", *sys.argv[1:]]),
        "pairs": pairs}
    if not args.pairs_only:
        with throwaway_mongo(args.mongo_url) as url:
            result["server"] = (url.split("@")[-1] if args.mongo_url
                                else "secantusdb (local, on disk)")
            result["lookup"] = lookup_figures(args, url, pictures)
    path = write_result("duplicates", result)
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
