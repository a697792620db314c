"""64-bit perceptual hashes (dHash) and their Hamming distance, for finding re-used photos.

dHash: the picture shrunk to 9x8 grey pixels; each bit says whether a pixel is brighter than
its right-hand neighbour. Re-encoding, resizing and mild colour changes keep it within a few
bits; a different scene differs in about half of them. It is computed on the upright picture
(EXIF orientation applied), so a rotated-by-tag copy of a photo hashes alike.

`equalised_dhash` is the same hash of the picture after histogram equalisation of its grey
levels: a second shot of a scene with another exposure, gamma or contrast has nearly the same
equalised grey levels, so fewer of its bits flip (bench/duplicates.py measures it). Both are
stored: `dhash` for the photos hashed before the equalised one existed.
"""

from __future__ import annotations

from PIL import Image, ImageOps

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


def equalised_dhash(image: Image.Image) -> int:
    """dHash of the grey picture with its histogram equalised (pass a thumbnail: equalising
    a full-size photo costs more and hashes the same after the 9x8 shrink)."""
    return dhash(ImageOps.equalize(image.convert("L")))


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def chunks(value: int) -> list[int]:
    """The hash as four 16-bit pieces, most significant first. Two hashes within Hamming
    distance 3 share at least one piece exactly (pigeonhole), so an index on each piece finds
    every such neighbour; within distance 7, one piece differs in at most one bit, so the
    pieces and their one-bit neighbours (`near_chunks`) find every such neighbour."""
    mask = (1 << CHUNK_BITS) - 1
    return [(value >> (CHUNK_BITS * (CHUNKS - 1 - i))) & mask for i in range(CHUNKS)]


def near_chunks(part: int) -> list[int]:
    """A chunk and the 16 chunks one bit away from it."""
    return [part, *(part ^ (1 << bit) for bit in range(CHUNK_BITS))]


def to_int64(value: int) -> int:
    """MongoDB stores signed 64-bit integers."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def from_int64(value: int) -> int:
    return value + (1 << BITS) if value < 0 else value
