"""A JPEG file without its metadata: the same compressed picture, byte for byte, with only the
segments a decoder needs kept (an allow-list, so any kind of metadata is dropped, known or not).

Kept: the tables (DQT, DHT, DRI), the frame header of a Huffman-coded 8-bit picture (baseline,
extended or progressive), the scans, a bare JFIF header (rewritten, so no JFIF thumbnail), the
colour profile (APP2 ICC_PROFILE) and Adobe's colour-transform flag (APP14). Dropped: EXIF and
XMP (APP1), IPTC (APP13), comments, every other APPn, and anything after the end of the picture
(multi-picture trailers). A file of any other kind (arithmetic coding, 12-bit, lossless, a
malformed segment) gives None: the caller encodes the picture again instead.
"""

from __future__ import annotations

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
FRAMES = frozenset({0xC0, 0xC1, 0xC2})  # Huffman-coded: what every browser shows
TABLES = frozenset({0xC4, 0xDB, 0xDD})  # DHT, DQT, DRI
APP0, APP2, APP14 = 0xE0, 0xE2, 0xEE
JFIF = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
ICC = b"ICC_PROFILE\x00"
ADOBE = b"Adobe"


def without_metadata(data: bytes) -> bytes | None:
    if data[:2] != b"\xff\xd8":
        return None
    out = [data[:2]]
    position, framed = 2, False
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == EOI:
            out.append(b"\xff\xd9")
            return b"".join(out) if framed else None
        length = int.from_bytes(data[position + 2:position + 4], "big")
        end = position + 2 + length
        if length < 2 or end > len(data):
            return None
        body = data[position + 4:end]
        if marker in FRAMES:
            if not body or body[0] != 8:  # sample precision
                return None
            framed = True
            out.append(data[position:end])
        elif 0xC0 <= marker <= 0xCF and marker not in TABLES:
            return None  # arithmetic coding, lossless or hierarchical: not for browsers
        elif marker in TABLES or (marker == APP2 and body.startswith(ICC)) \
                or (marker == APP14 and body.startswith(ADOBE)):
            out.append(data[position:end])
        elif marker == APP0 and body.startswith(b"JFIF\x00"):
            out.append(JFIF)
        elif marker == SOS:
            if not framed:
                return None
            scanned = _scan_end(data, end)
            out.append(data[position:scanned])  # the scan's header and its coded data
            position = scanned
            continue
        # any other segment (APP1 EXIF/XMP, APP13, COM, other APPn) is left out
        position = end
    return None  # no end of picture


def _scan_end(data: bytes, position: int) -> int:
    """Where the entropy-coded data starting at `position` ends: the next marker that is
    neither a stuffed byte (FF00) nor a restart marker (FFD0-FFD7)."""
    while True:
        found = data.find(b"\xff", position)
        if found < 0 or found + 1 >= len(data):
            return len(data)
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            position = found + 1 if following == 0xFF else found + 2
            continue
        return found
