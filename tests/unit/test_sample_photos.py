"""Every real sample photo gets an expected verdict and reasons (judged as if submitted in
Padang at a fixed moment, with the default policy, so the outcome does not depend on today's
date)."""

import csv
import hashlib
from datetime import UTC, datetime

import pytest
from photo_factory import INSIDE, PHOTOS

from aduan.infra.images import ALLOWED_FORMATS, enable_heif
from services.verification.judge import examine_photo
from services.verification.policy import Policy

SUBMITTED_AT = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
POLICY = Policy(city="padang")
FORMATS = enable_heif()

EXPECTED = {
    "30-type_error.jpg": ("needs_review", ["gps_missing", "capture_time_missing",
                                           "camera_missing", "edited_software"]),
    "67-0_length_string.jpg": ("rejected", ["outside_city", "capture_time_missing"]),
    "87_OSError.jpg": ("rejected", ["outside_city", "stale_photo"]),
    "Canon_40D.jpg": ("needs_review", ["gps_missing", "stale_photo", "edited_software"]),
    "DSCN0010.jpg": ("rejected", ["outside_city", "stale_photo"]),
    "DSCN0012.jpg": ("rejected", ["outside_city", "stale_photo"]),
    "DSCN0010_truncated60.jpg": ("rejected", ["corrupt_image"]),
    "Kodak_CX7530.jpg": ("rejected", ["outside_city", "stale_photo", "edited_software"]),
    "WWL_(Polaroid)_ION230.jpg": ("needs_review", ["gps_missing", "future_capture_time"]),
    "bomb_30000x30000.png": ("rejected", ["too_many_pixels"]),
    # HEIC decodes (pi-heif); this one carries no EXIF at all.
    "cheers_1440x960.heic": ("needs_review", ["exif_missing"]),
    "iphone_13_pro_max.HEIC": ("needs_review", ["gps_missing", "stale_photo"]),
    "iphone_hdr_YES.jpg": ("rejected", ["outside_city", "stale_photo"]),
    "no_exif.jpg": ("needs_review", ["gps_missing", "capture_time_missing", "camera_missing",
                                     "edited_software"]),
    "portrait_6.jpg": ("needs_review", ["gps_missing", "capture_time_missing",
                                        "camera_missing"]),
    # A PNG without any camera make or model: a screenshot or a saved image.
    "sampleWithExifData.png": ("needs_review", ["gps_missing", "capture_time_missing",
                                                "camera_missing", "screenshot"]),
}


def _manifest() -> dict[str, dict[str, str]]:
    with open(PHOTOS / "MANIFEST.tsv", newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_every_sample_photo_has_provenance_and_an_expectation():
    manifest = _manifest()
    on_disk = {p.name for p in PHOTOS.iterdir() if p.suffix.lower() in
               {".jpg", ".png", ".heic"}}
    assert on_disk == set(manifest) == set(EXPECTED)
    for name, row in manifest.items():
        digest = hashlib.sha256((PHOTOS / name).read_bytes()).hexdigest()
        assert digest.startswith(row["sha256"]), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_photo_verdict(name):
    finding = examine_photo((PHOTOS / name).read_bytes(), POLICY, SUBMITTED_AT,
                            INSIDE["padang"], max_pixels=50_000_000, formats=FORMATS)
    expected_verdict, expected_reasons = EXPECTED[name]
    assert finding.reasons == expected_reasons
    assert POLICY.verdict(finding.reasons) == expected_verdict
    assert (finding.rendition is None) == (finding.metadata is None)


@pytest.mark.parametrize("name", ["cheers_1440x960.heic", "iphone_13_pro_max.HEIC"])
def test_heic_is_unsupported_where_heif_decoding_is_off(name):
    finding = examine_photo((PHOTOS / name).read_bytes(), POLICY, SUBMITTED_AT,
                            INSIDE["padang"], max_pixels=50_000_000, formats=ALLOWED_FORMATS)
    assert finding.reasons == ["unsupported_format"]
    assert POLICY.verdict(finding.reasons) == "rejected"


def test_heic_metadata_is_read_and_its_copy_is_a_plain_jpeg():
    finding = examine_photo((PHOTOS / "iphone_13_pro_max.HEIC").read_bytes(), POLICY,
                            SUBMITTED_AT, INSIDE["padang"], max_pixels=50_000_000,
                            formats=FORMATS)
    assert finding.metadata["make"] == "Apple"
    assert finding.metadata["model"] == "iPhone 13 Pro Max"
    assert finding.metadata["format"] == "HEIF"
    assert (finding.metadata["width"], finding.metadata["height"]) == (3024, 4032)
    assert finding.rendition.public_jpeg.startswith(b"\xff\xd8\xff")
    assert max(finding.rendition.width, finding.rendition.height) <= 2048
