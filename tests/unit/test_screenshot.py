import io
from datetime import UTC, datetime

import piexif
import pytest
from photo_factory import INSIDE, PHOTOS, camera_photo
from PIL import Image

from aduan.domain.photo_checks import PhotoMetadata
from services.verification.judge import examine_photo
from services.verification.policy import Policy
from services.verification.screenshot import looks_like_screenshot

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
BARE = PhotoMetadata(False, None, None, None, None, None, None, None, None)
CAMERA = PhotoMetadata(True, None, None, None, None, "samsung", "SM-G930F", None, 1)


def _image(fmt: str, size: tuple[int, int], exif: dict | None = None) -> bytes:
    out = io.BytesIO()
    options = {"exif": piexif.dump(exif)} if exif else {}
    Image.new("RGB", size, (30, 60, 90)).save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    "fmt, size, meta, expected",
    [
        ("PNG", (256, 256), BARE, True),  # a PNG without a camera
        ("JPEG", (1170, 2532), BARE, True),  # an iPhone screen, saved as JPEG
        ("JPEG", (2400, 1080), BARE, True),  # an Android screen, landscape
        ("JPEG", (1080, 2500), BARE, True),  # a tall phone-screen shape
        ("JPEG", (1366, 768), BARE, True),  # a laptop screen
        ("JPEG", (322, 466), BARE, False),  # a small picture of no screen size
        ("JPEG", (4032, 2012), CAMERA, False),  # a wide camera photo: the camera is named
        ("PNG", (1170, 2532), CAMERA, False),
        ("JPEG", (4000, 3000), PhotoMetadata(True, None, None, None, None, None, None,
                                             "Greenshot", None), True),
        ("JPEG", (640, 480), PhotoMetadata(True, None, None, None, None, "Apple", "iPhone",
                                           None, 1, user_comment="Screenshot"), True),
    ],
)
def test_screenshot_signs(fmt, size, meta, expected):
    assert looks_like_screenshot(fmt, *size, meta) is expected


def test_an_ios_screenshot_png_is_found_by_its_user_comment():
    data = _image("PNG", (1179, 2556), {"Exif": {
        piexif.ExifIFD.UserComment: b"ASCII\x00\x00\x00Screenshot"}})
    finding = examine_photo(data, Policy(city="padang"), NOW, INSIDE["padang"], 50_000_000)
    assert finding.metadata["user_comment"] == "Screenshot"
    assert finding.reasons[-1] == "screenshot"
    assert (finding.metadata["width"], finding.metadata["height"]) == (1179, 2556)


def test_a_camera_photo_is_not_a_screenshot():
    finding = examine_photo(camera_photo(*INSIDE["padang"], NOW), Policy(city="padang"), NOW,
                            INSIDE["padang"], 50_000_000)
    assert "screenshot" not in finding.reasons


def test_the_screenshot_check_follows_the_city_policy():
    data = (PHOTOS / "sampleWithExifData.png").read_bytes()
    strict = Policy(city="depok", actions={"screenshot": "reject"})
    off = Policy(city="depok", actions={"screenshot": "off"})
    assert strict.verdict(examine_photo(data, strict, NOW, INSIDE["depok"],
                                        50_000_000).reasons) == "rejected"
    assert "screenshot" not in examine_photo(data, off, NOW, INSIDE["depok"],
                                             50_000_000).reasons
