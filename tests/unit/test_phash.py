import io
import random

import piexif
import pytest
from photo_factory import PHOTOS
from PIL import Image, ImageEnhance

from aduan.infra.images import open_image, render
from aduan.infra.phash import chunks, dhash, from_int64, hamming, to_int64
from services.verification.duplicates import informative


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
