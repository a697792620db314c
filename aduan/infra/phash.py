"""A 64-bit perceptual hash (dHash) and its Hamming distance, for finding re-used photos.

dHash: the picture shrunk to 9x8 grey pixels; each bit says whether a pixel is brighter than
its right-hand neighbour. Re-encoding, resizing and mild colour changes keep it within a few
bits; a different scene differs in about half of them. It is computed on the upright picture
(EXIF orientation applied), so a rotated-by-tag copy of a photo hashes alike.
"""

from __future__ import annotations

from PIL import Image

BITS = 64
CHUNKS = 4
CHUNK_BITS = BITS // CHUNKS


def dhash(image: Image.Image) -> int:
    grey = image.convert("L").resize((9, 8), Image.Resampling.BOX)
    pixels = grey.tobytes()
    value = 0
    for row in range(8):
        line = pixels[row * 9:(row + 1) * 9]
        for col in range(8):
            value = (value << 1) | (line[col] > line[col + 1])
    return value


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def chunks(value: int) -> list[int]:
    """The hash as four 16-bit pieces, most significant first. Two hashes within Hamming
    distance 3 share at least one piece exactly (pigeonhole), so an index on each piece finds
    every such neighbour."""
    mask = (1 << CHUNK_BITS) - 1
    return [(value >> (CHUNK_BITS * (CHUNKS - 1 - i))) & mask for i in range(CHUNKS)]


def to_int64(value: int) -> int:
    """MongoDB stores signed 64-bit integers."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def from_int64(value: int) -> int:
    return value + (1 << BITS) if value < 0 else value
