"""What an uploaded file is, judged from its bytes, never from its name or declared type."""

from __future__ import annotations

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG, PNG or HEIF file, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "image/heic"
    return None


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}
