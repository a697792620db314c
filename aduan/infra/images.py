"""Safe decoding and the publishable copies of a photo."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from aduan.infra.jpeg_segments import without_metadata
from aduan.infra.phash import dhash, equalised_dhash

PUBLIC_MAX_SIDE = 2048
# A large JPEG is decoded at a reduced DCT scale (1/2, 1/4, 1/8) as long as its longest side
# stays at least this long: a 12 MP photo (4000x3000) becomes 2000x1500, never 1000x750.
PUBLIC_MIN_SIDE = 1600
THUMBNAIL_MAX_SIDE = 320
ALLOWED_FORMATS = frozenset({"JPEG", "PNG"})
HEIF_FORMAT = "HEIF"
ORIGINAL_SIZE = "original_size"
ORIENTATION_TAG = 0x0112

# Pixel limits are checked by `open_image` before decoding; Pillow's own warning is off so the
# limit is one setting, ours.
Image.MAX_IMAGE_PIXELS = None


def enable_heif() -> frozenset[str]:
    """Registers the HEIF decoder with Pillow; the formats `open_image` may then accept."""
    from pi_heif import register_heif_opener

    register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    return ALLOWED_FORMATS | {HEIF_FORMAT}


def accepted_formats(heif_enabled: bool) -> frozenset[str]:
    """The formats a service decodes: with HEIF when the settings allow it."""
    return enable_heif() if heif_enabled else ALLOWED_FORMATS


class ImageRejected(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Rendition:
    public_jpeg: bytes
    thumbnail_jpeg: bytes
    width: int
    height: int
    dhash: int  # perceptual hash of the upright picture, for duplicate detection
    equalised_dhash: int | None = None  # the same of its equalised grey levels


def draft_scale(width: int, height: int) -> int:
    """The largest DCT reduction that keeps the longest side at least PUBLIC_MIN_SIDE."""
    longest = max(width, height)
    for scale in (8, 4, 2):
        if longest / scale >= PUBLIC_MIN_SIDE:
            return scale
    return 1


def open_image(data: bytes, max_pixels: int, formats: frozenset[str] = ALLOWED_FORMATS
               ) -> Image.Image:
    """Opens and fully decodes an image, refusing bombs, truncation and unknown formats."""
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as err:
        raise ImageRejected("unsupported_format", "not a decodable image") from err
    except (OSError, SyntaxError, ValueError) as err:  # a known format with a broken header
        raise ImageRejected("corrupt_image", str(err)[:200]) from err
    if image.format not in formats:
        raise ImageRejected("unsupported_format", f"format {image.format}")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected("too_many_pixels", f"{width}x{height}")
    image.info[ORIGINAL_SIZE] = (width, height)  # draft decoding shrinks image.size
    scale = draft_scale(width, height)
    if image.format == "JPEG" and scale > 1:
        image.draft("RGB", (width // scale, height // scale))
        _fastest_dct(image)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            image.load()
    except (OSError, SyntaxError, ValueError, Warning) as err:
        raise ImageRejected("corrupt_image", str(err)[:200]) from err
    return image


def _fastest_dct(image: Image.Image) -> None:
    """Asks libjpeg for its fastest IDCT and plain chroma upsampling (Pillow's own "draft"
    decoder flag). The copy is shrunk by at least half, so the difference is invisible; it
    saves about a tenth of the decoding time. Without the flag (another Pillow) only speed
    is lost."""
    config = getattr(image, "decoderconfig", None)
    if isinstance(config, tuple) and len(config) == 2:
        image.decoderconfig = (config[0], 1)


def upright(image: Image.Image) -> Image.Image:
    """The picture as the camera saw it: EXIF orientation applied, flattened to RGB or L."""
    orientation = image.getexif().get(ORIENTATION_TAG)
    turned = image if orientation in (None, 1) else ImageOps.exif_transpose(image)
    if turned.mode in ("RGB", "L"):
        return turned
    if turned.mode in ("RGBA", "LA", "P", "PA") or "transparency" in turned.info:
        flattened = Image.new("RGB", turned.size, (255, 255, 255))
        rgba = turned.convert("RGBA")
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        return flattened
    return turned.convert("RGB")


def render(image: Image.Image, source: bytes | None = None) -> Rendition:
    """An EXIF- and XMP-free JPEG (orientation applied, colour profile kept), a thumbnail and
    the perceptual hash of the upright picture. `source`: the file `image` was opened from;
    a JPEG that needs no resizing or turning is then copied without its metadata segments
    (`jpeg_segments`), not encoded again: no encoding time and no second loss of quality."""
    # A CMYK profile would be wrong on the RGB copy.
    icc_profile = image.info.get("icc_profile") if image.mode != "CMYK" else None
    picture = upright(image)
    public = _unchanged_jpeg(image, picture, source)
    if max(picture.size) > PUBLIC_MAX_SIDE:
        picture = picture.resize(_fit(picture.size, PUBLIC_MAX_SIDE), Image.Resampling.LANCZOS,
                                 reducing_gap=3.0)
    # Nothing of the original's metadata travels except the colour profile (passed to save).
    thumbnail = _thumbnail(picture)
    return Rendition(
        public_jpeg=public if public is not None else _jpeg(picture, 85, icc_profile),
        thumbnail_jpeg=_jpeg(thumbnail, 80, icc_profile),
        width=picture.width,
        height=picture.height,
        dhash=dhash(thumbnail),
        equalised_dhash=equalised_dhash(thumbnail),
    )


def _unchanged_jpeg(image: Image.Image, picture: Image.Image, source: bytes | None
                    ) -> bytes | None:
    """`source` without its metadata when the public copy would be the same picture: a JPEG
    decoded at full size (no draft scale), upright as stored, RGB or grey, small enough."""
    if (source is None or image.format != "JPEG" or picture is not image
            or image.mode not in ("RGB", "L") or max(image.size) > PUBLIC_MAX_SIDE
            or image.info.get(ORIGINAL_SIZE, image.size) != image.size):
        return None
    return without_metadata(source)


def _thumbnail(picture: Image.Image) -> Image.Image:
    """A picture a whole number of times the thumbnail's size (640x480, 1280x960) is shrunk
    by a box average (each pixel the mean of its block: a fifth of bilinear's time, and
    nearer a Lanczos resize); any other by bilinear after a reduction to within 1.5 times."""
    size = _fit(picture.size, THUMBNAIL_MAX_SIDE)
    factor = picture.width // size[0]
    if factor > 1 and picture.size == (size[0] * factor, size[1] * factor):
        return picture.reduce(factor)
    return picture.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.5)


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    if max(width, height) <= longest:
        return width, height
    ratio = longest / max(width, height)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _jpeg(image: Image.Image, quality: int, icc_profile: bytes | None) -> bytes:
    out = io.BytesIO()
    options = {"quality": quality, "optimize": False}
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(out, "JPEG", **options)
    return out.getvalue()
