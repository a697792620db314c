"""Safe decoding and the publishable copies of a photo."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

PUBLIC_MAX_SIDE = 2048
THUMBNAIL_MAX_SIDE = 320
ALLOWED_FORMATS = {"JPEG", "PNG"}

# Pixel limits are checked by `open_image` before decoding; Pillow's own warning is off so the
# limit is one setting, ours.
Image.MAX_IMAGE_PIXELS = None


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


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Opens and fully decodes an image, refusing bombs, truncation and unknown formats."""
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as err:
        raise ImageRejected("unsupported_format", "not a decodable JPEG or PNG") from err
    if image.format not in ALLOWED_FORMATS:
        raise ImageRejected("unsupported_format", f"format {image.format}")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected("too_many_pixels", f"{width}x{height}")
    if image.format == "JPEG":
        # DCT scaling: decode at the smallest scale still at least as large as the public copy.
        image.draft("RGB", (PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            image.load()
    except (OSError, SyntaxError, ValueError, Warning) as err:
        raise ImageRejected("corrupt_image", str(err)[:200]) from err
    return image


def render(image: Image.Image) -> Rendition:
    """An EXIF- and XMP-free JPEG (orientation applied, colour profile kept) and a thumbnail."""
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "L"):
        flattened = Image.new("RGB", upright.size, (255, 255, 255))
        rgba = upright.convert("RGBA")
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        upright = flattened
    upright.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE), Image.Resampling.LANCZOS)
    # Nothing of the original's metadata travels except the colour profile.
    upright.info = {"icc_profile": icc_profile} if icc_profile else {}
    public = _jpeg(upright, 85, icc_profile)
    thumbnail = upright.copy()
    thumbnail.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), Image.Resampling.BILINEAR)
    return Rendition(
        public_jpeg=public,
        thumbnail_jpeg=_jpeg(thumbnail, 80, icc_profile),
        width=upright.width,
        height=upright.height,
    )


def _jpeg(image: Image.Image, quality: int, icc_profile: bytes | None) -> bytes:
    out = io.BytesIO()
    options = {"quality": quality, "optimize": False}
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(out, "JPEG", **options)
    return out.getvalue()
