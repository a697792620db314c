import io

import piexif
import pytest
from photo_factory import PHOTOS, camera_photo
from PIL import Image

from aduan.infra.images import (
    ORIGINAL_SIZE,
    ImageRejected,
    draft_scale,
    enable_heif,
    open_image,
    render,
)
from aduan.infra.jpeg_segments import without_metadata


@pytest.mark.parametrize("copied", [False, True], ids=["encoded", "copied"])
def test_public_copy_carries_no_exif_or_xmp_but_keeps_the_colour_profile(copied):
    source = Image.open(PHOTOS / "no_exif.jpg")  # has EXIF, XMP and an ICC profile
    assert source.info.get("icc_profile") and source.info.get("xmp") and source.getexif()
    data = (PHOTOS / "no_exif.jpg").read_bytes()
    rendition = render(open_image(data, 50_000_000), data if copied else None)
    for jpeg in (rendition.public_jpeg, rendition.thumbnail_jpeg):
        public = Image.open(io.BytesIO(jpeg))
        assert not public.getexif()
        assert "exif" not in public.info and "xmp" not in public.info
        assert b"Exif\x00\x00" not in jpeg and b"http://ns.adobe.com/xap" not in jpeg
        assert public.info.get("icc_profile") == source.info["icc_profile"]


def test_a_large_jpeg_is_decoded_at_reduced_scale_for_a_copy_of_1600_to_2048_pixels():
    image = open_image((PHOTOS / "iphone_hdr_YES.jpg").read_bytes(), 50_000_000)
    assert image.size == (1632, 1224)  # 3264x2448 decoded at 1/2 DCT scale
    assert image.info[ORIGINAL_SIZE] == (3264, 2448)
    rendition = render(image)
    assert (rendition.width, rendition.height) == (1632, 1224)
    assert Image.open(io.BytesIO(rendition.public_jpeg)).size == (1632, 1224)


@pytest.mark.parametrize(
    "size, scale",
    [((640, 480), 1), ((2048, 1536), 1), ((3000, 2000), 1), ((3264, 2448), 2),
     ((4000, 3000), 2), ((3024, 4032), 2), ((6000, 4000), 2), ((8000, 6000), 4),
     ((13000, 9000), 8)],
)
def test_draft_scale_keeps_the_longest_side_at_least_1600(size, scale):
    assert draft_scale(*size) == scale
    assert max(size) / scale >= 1600 or scale == 1


def test_a_copy_is_never_larger_than_2048():
    big = Image.new("RGB", (3000, 2000), (10, 120, 200))
    out = io.BytesIO()
    big.save(out, "PNG")
    rendition = render(open_image(out.getvalue(), 50_000_000))
    assert (rendition.width, rendition.height) == (2048, 1365)


def test_heic_copy_carries_no_exif():
    image = open_image((PHOTOS / "iphone_13_pro_max.HEIC").read_bytes(), 50_000_000,
                       enable_heif())
    assert image.getexif()  # the original has camera EXIF
    rendition = render(image)
    for jpeg in (rendition.public_jpeg, rendition.thumbnail_jpeg):
        assert b"Exif\x00\x00" not in jpeg
        assert not Image.open(io.BytesIO(jpeg)).getexif()


def test_gps_never_reaches_the_public_copy():
    rendition = render(open_image(camera_photo(-0.95, 100.4, None), 50_000_000))
    assert piexif.load(rendition.public_jpeg)["GPS"] == {}


def test_orientation_is_applied():
    rendition = render(open_image((PHOTOS / "portrait_6.jpg").read_bytes(), 50_000_000))
    assert (rendition.width, rendition.height) == (450, 600)  # stored 600x450, orientation 6
    assert max(Image.open(io.BytesIO(rendition.thumbnail_jpeg)).size) == 320


@pytest.mark.parametrize(
    "name, formats, reason",
    [("bomb_30000x30000.png", {"JPEG", "PNG"}, "too_many_pixels"),
     ("DSCN0010_truncated60.jpg", {"JPEG", "PNG"}, "corrupt_image"),
     ("cheers_1440x960.heic", {"JPEG", "PNG"}, "unsupported_format"),
     ("sampleWithExifData.png", {"JPEG"}, "unsupported_format")],
)
def test_bad_images_are_refused_before_or_while_decoding(name, formats, reason):
    with pytest.raises(ImageRejected) as caught:
        open_image((PHOTOS / name).read_bytes(), 50_000_000, frozenset(formats))
    assert caught.value.reason == reason


def test_pixel_limit_is_configurable():
    data = (PHOTOS / "DSCN0010.jpg").read_bytes()  # 640x480
    with pytest.raises(ImageRejected):
        open_image(data, 640 * 480 - 1)
    assert open_image(data, 640 * 480).size == (640, 480)


def test_non_image_bytes_are_unsupported():
    with pytest.raises(ImageRejected) as caught:
        open_image(b"\xff\xd8\xff" + b"not really a jpeg" * 10, 50_000_000)
    assert caught.value.reason in {"unsupported_format", "corrupt_image"}


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


def test_a_small_upright_jpeg_is_copied_without_its_metadata_not_encoded_again():
    data = (PHOTOS / "no_exif.jpg").read_bytes()  # EXIF, XMP, IPTC, ICC; upright, 640 wide
    rendition = render(open_image(data, 50_000_000), data)
    assert rendition.public_jpeg == without_metadata(data)
    assert _pixels(rendition.public_jpeg) == _pixels(data)  # the same picture, no new loss
    assert b"Photoshop 3.0" in data and b"Photoshop 3.0" not in rendition.public_jpeg


def test_comments_other_segments_and_trailing_data_are_dropped():
    picture = Image.new("RGB", (64, 48), (200, 40, 90))
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=piexif.dump({"GPS": {piexif.GPSIFD.GPSLatitudeRef: b"S"}}),
                 comment=b"shot at Jl. Sudirman 5")
    data = out.getvalue()
    # An APP5 segment a maker might write, after the JFIF header, and a trailer after the end.
    data = data[:20] + b"\xff\xe5\x00\x08secret" + data[20:] + b"MPF trailer"
    copy = without_metadata(data)
    assert copy is not None and _pixels(copy) == _pixels(data)
    for leak in (b"Exif\x00\x00", b"Sudirman", b"secret", b"MPF trailer"):
        assert leak in data and leak not in copy


@pytest.mark.parametrize("change", ["arithmetic", "truncated", "not a jpeg"])
def test_an_unusual_jpeg_is_encoded_again(change):
    data = (PHOTOS / "DSCN0010.jpg").read_bytes()
    if change == "arithmetic":  # SOF9: decoders of browsers do not take it
        frame = data.rindex(b"\xff\xc0")  # the picture's, not its EXIF thumbnail's
        data = data[:frame + 1] + b"\xc9" + data[frame + 2:]
    elif change == "truncated":
        data = data[:len(data) // 2]
    else:
        data = b"\x89PNG" + data[4:]
    assert without_metadata(data) is None


def test_a_turned_or_shrunk_photo_is_encoded_again():
    for name in ("portrait_6.jpg", "iphone_hdr_YES.jpg"):  # orientation 6; 3264x2448
        data = (PHOTOS / name).read_bytes()
        rendition = render(open_image(data, 50_000_000), data)
        assert rendition.public_jpeg != without_metadata(data)
        assert b"Exif\x00\x00" not in rendition.public_jpeg
