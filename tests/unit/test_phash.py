import io
import random

import piexif
import pytest
from photo_factory import PHOTOS
from PIL import Image, ImageEnhance

from aduan.infra.images import open_image, render
from aduan.infra.phash import (
    CHUNKS,
    chunks,
    dhash,
    equalised_dhash,
    from_int64,
    hamming,
    near_chunks,
    to_int64,
)
from services.verification.duplicates import (
    MAX_DISTANCE,
    PhotoHash,
    chunk_keys,
    distance,
    hash_document,
    informative,
    lookup_keys,
    near_chunk_keys,
)


def _hash_of(data: bytes) -> int:
    return render(open_image(data, 50_000_000)).dhash


def _jpeg(image: Image.Image, exif: bytes | None = None, quality: int = 90) -> bytes:
    out = io.BytesIO()
    options = {"quality": quality}
    if exif:
        options["exif"] = exif
    image.save(out, "JPEG", **options)
    return out.getvalue()


ORIGINAL = (PHOTOS / "DSCN0010.jpg").read_bytes()


def test_the_same_photo_hashes_the_same():
    assert _hash_of(ORIGINAL) == _hash_of(ORIGINAL)


def test_a_re_encoded_smaller_brighter_copy_stays_near():
    picture = Image.open(io.BytesIO(ORIGINAL)).convert("RGB")
    altered = ImageEnhance.Brightness(picture.resize((480, 360))).enhance(1.1)
    assert hamming(_hash_of(ORIGINAL), _hash_of(_jpeg(altered, quality=60))) <= 3


def test_a_copy_rotated_by_its_exif_orientation_hashes_like_the_upright_photo():
    picture = Image.open(io.BytesIO(ORIGINAL)).convert("RGB")
    # Stored turned 90° clockwise with orientation 8 ("rotate 90° counter-clockwise to view").
    stored = picture.transpose(Image.Transpose.ROTATE_270)
    exif = piexif.dump({"0th": {piexif.ImageIFD.Orientation: 8}})
    assert hamming(_hash_of(ORIGINAL), _hash_of(_jpeg(stored, exif))) <= 2
    # Without the tag the same pixels are another picture.
    assert hamming(_hash_of(ORIGINAL), _hash_of(_jpeg(stored))) > 10


def test_different_photos_are_far_apart():
    others = ["DSCN0012.jpg", "87_OSError.jpg", "iphone_hdr_YES.jpg", "30-type_error.jpg"]
    hashes = [_hash_of(ORIGINAL)] + [_hash_of((PHOTOS / n).read_bytes()) for n in others]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1:]:
            assert hamming(a, b) > 10


def test_a_flat_picture_is_not_informative():
    flat = dhash(Image.new("RGB", (64, 48), (137, 137, 137)))
    assert flat == 0 and not informative(flat)
    assert not informative((1 << 64) - 1)
    assert informative(_hash_of(ORIGINAL))


def test_chunks_and_signed_storage_round_trip():
    value = 0xFEDC_BA98_7654_3210
    assert chunks(value) == [0xFEDC, 0xBA98, 0x7654, 0x3210]
    assert to_int64(value) < 0 and from_int64(to_int64(value)) == value
    assert from_int64(to_int64(0x1234)) == 0x1234


@pytest.mark.parametrize("flips", [0, 1, 2, 3])
def test_pigeonhole_any_hash_within_three_bits_shares_a_chunk(flips):
    rng = random.Random(flips)
    for _ in range(500):
        value = rng.getrandbits(64)
        other = value
        for bit in rng.sample(range(64), flips):
            other ^= 1 << bit
        assert hamming(value, other) == flips
        assert any(a == b for a, b in zip(chunks(value), chunks(other), strict=True))


# ---- the equalised hash and the look-up within 7 bits ----------------------------------------

def _hashes_of(data: bytes) -> PhotoHash:
    rendition = render(open_image(data, 50_000_000))
    return PhotoHash(rendition.dhash, rendition.equalised_dhash)


def _gamma(picture: Image.Image, gamma: float) -> Image.Image:
    return picture.point([round(255 * (v / 255) ** gamma) for v in range(256)] * 3)


@pytest.mark.parametrize("alter", [
    lambda p: ImageEnhance.Brightness(p).enhance(0.7),
    lambda p: ImageEnhance.Brightness(p).enhance(1.4),
    lambda p: ImageEnhance.Contrast(p).enhance(0.7),
    lambda p: ImageEnhance.Contrast(p).enhance(1.4),
    lambda p: _gamma(p, 0.6),
    lambda p: _gamma(p, 1.6),
], ids=["darker", "brighter", "flatter", "punchier", "gamma-0.6", "gamma-1.6"])
def test_another_exposure_of_the_scene_keeps_the_equalised_hash_within_seven_bits(alter):
    picture = Image.open(io.BytesIO(ORIGINAL)).convert("RGB")
    original, altered = _hashes_of(ORIGINAL), _hashes_of(_jpeg(alter(picture)))
    assert hamming(original.equalised, altered.equalised) <= 3
    stored = hash_document("padang", {"_id": "r", "code": "C", "created_at": None}, "p",
                           original)
    assert distance(altered, stored, MAX_DISTANCE) is not None


def test_different_photos_are_far_apart_on_the_equalised_hash_too():
    names = ["DSCN0010.jpg", "DSCN0012.jpg", "87_OSError.jpg", "iphone_hdr_YES.jpg",
             "30-type_error.jpg", "portrait_6.jpg"]
    hashes = [_hashes_of((PHOTOS / n).read_bytes()).equalised for n in names]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1:]:
            assert hamming(a, b) > 2 * MAX_DISTANCE


def test_a_flat_picture_has_no_equalised_hash_stored():
    flat = Image.new("RGB", (64, 48), (137, 137, 137))
    assert equalised_dhash(flat) == 0
    doc = hash_document("padang", {"_id": "r", "code": "C", "created_at": None}, "p",
                        PhotoHash(0xF0F0_F0F0_F0F0_F0F0, equalised_dhash(flat)))
    assert "ehash" not in doc and len(doc["chunks"]) == 4


def test_near_chunks_are_the_chunk_and_its_sixteen_one_bit_neighbours():
    near = near_chunks(0xA5A5)
    assert len(set(near)) == 17 and near[0] == 0xA5A5
    assert sorted(hamming(0xA5A5, other) for other in near) == [0] + [1] * 16


@pytest.mark.parametrize("flips", range(8))
def test_pigeonhole_any_equalised_hash_within_seven_bits_meets_a_lookup_key(flips):
    rng = random.Random(100 + flips)
    for _ in range(300):
        value = rng.getrandbits(64)
        other = value
        for bit in rng.sample(range(64), flips):
            other ^= 1 << bit
        stored = set(chunk_keys(other, CHUNKS))
        assert stored & set(near_chunk_keys(value, CHUNKS))
        # Only the equalised chunks' positions (4-7) meet: the plain ones (0-3) never mix in.
        assert not stored & set(chunk_keys(value))


def test_a_new_document_keeps_both_hashes_and_a_legacy_one_its_plain_hash():
    report = {"_id": "r", "code": "C", "created_at": None}
    new = hash_document("padang", report, "p", PhotoHash(0x1234_5678_9ABC_DEF0,
                                                          0x0FED_CBA9_8765_4321))
    assert from_int64(new["hash"]) == 0x1234_5678_9ABC_DEF0
    assert from_int64(new["ehash"]) == 0x0FED_CBA9_8765_4321
    assert new["chunks"] == [0x1234, 1 << 16 | 0x5678, 2 << 16 | 0x9ABC, 3 << 16 | 0xDEF0,
                             4 << 16 | 0x0FED, 5 << 16 | 0xCBA9, 6 << 16 | 0x8765,
                             7 << 16 | 0x4321]
    legacy = hash_document("padang", report, "p", 0x1234_5678_9ABC_DEF0)
    assert "ehash" not in legacy and legacy["chunks"] == new["chunks"][:4]


def test_a_photo_stored_before_the_equalised_hash_is_compared_on_its_plain_hash_within_3():
    base = 0x1234_5678_9ABC_DEF0
    legacy = hash_document("padang", {"_id": "r", "code": "C", "created_at": None}, "p", base)
    for flips, found in [(3, True), (4, False)]:
        plain = base ^ ((1 << flips) - 1)
        photo = PhotoHash(plain, 0x0FED_CBA9_8765_4321)
        assert (distance(photo, legacy, MAX_DISTANCE) is not None) is found
        # And the look-up asks for its plain chunks exactly, so the index finds it.
        assert set(lookup_keys(photo, MAX_DISTANCE)) & set(legacy["chunks"]) or not found


def test_the_closer_of_the_two_hashes_is_the_distance_and_the_threshold_bounds_both():
    stored = hash_document("padang", {"_id": "r", "code": "C", "created_at": None}, "p",
                           PhotoHash(0x1234_5678_9ABC_DEF0, 0x0FED_CBA9_8765_4321))
    assert distance(PhotoHash(0x1234_5678_9ABC_DEF0 ^ 0b11, 0x0FED_CBA9_8765_4321 ^ 0x7F),
                    stored, 7) == 2
    assert distance(PhotoHash(0x1234_5678_9ABC_DEF0 ^ 0xFF, 0x0FED_CBA9_8765_4321 ^ 0x7F),
                    stored, 7) == 7
    assert distance(PhotoHash(0x1234_5678_9ABC_DEF0 ^ 0xFF, 0x0FED_CBA9_8765_4321 ^ 0x7F),
                    stored, 6) is None
