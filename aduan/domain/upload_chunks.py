"""A resumable upload's plan: how a photo of `size` bytes is cut into chunks of `chunk_size`
(every chunk that size but the last), and which chunks are still missing. Pure: the service
(services/intake/resumable.py) keeps the state and the bytes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aduan.domain.errors import Invalid


@dataclass(frozen=True)
class ChunkPlan:
    size: int
    chunk_size: int

    def __post_init__(self) -> None:
        if self.size < 1 or self.chunk_size < 1:
            raise ValueError("size and chunk_size are positive")

    @property
    def chunks(self) -> int:
        return -(-self.size // self.chunk_size)

    def expected_length(self, index: int) -> int:
        """How many bytes chunk `index` holds; `chunk_out_of_range` past the last one."""
        if not 0 <= index < self.chunks:
            raise Invalid("chunk_out_of_range", "No such chunk in this upload.",
                          {"index": index, "chunks": self.chunks})
        if index < self.chunks - 1:
            return self.chunk_size
        return self.size - self.chunk_size * (self.chunks - 1)

    def check_chunk(self, index: int, length: int) -> None:
        """`chunk_size_mismatch` unless the chunk has exactly its expected length."""
        expected = self.expected_length(index)
        if length != expected:
            raise Invalid("chunk_size_mismatch",
                          f"Chunk {index} must be exactly {expected} bytes.",
                          {"index": index, "expected": expected, "received": length})

    def missing(self, received: Iterable[int]) -> list[int]:
        have = set(received)
        return [index for index in range(self.chunks) if index not in have]
