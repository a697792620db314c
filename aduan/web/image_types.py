"""What kind of picture a file is, judged from its first bytes, never from its name or declared
type. No image library: the gateway (Open311 `media_url`) judges with it too."""

from __future__ import annotations

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG, PNG or HEIF file, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "image/heic"
    return None
