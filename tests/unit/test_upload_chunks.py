"""A resumable upload's chunk plan (aduan/domain/upload_chunks.py)."""

from __future__ import annotations

import pytest

from aduan.domain.errors import Invalid
from aduan.domain.upload_chunks import ChunkPlan


def test_every_chunk_is_the_chunk_size_but_the_last():
    plan = ChunkPlan(size=10 * 1024 + 1, chunk_size=1024)
    assert plan.chunks == 11
    assert [plan.expected_length(i) for i in (0, 9, 10)] == [1024, 1024, 1]
    exact = ChunkPlan(size=4096, chunk_size=1024)
    assert (exact.chunks, exact.expected_length(3)) == (4, 1024)
    assert ChunkPlan(size=1, chunk_size=1024).chunks == 1


@pytest.mark.parametrize("index", [-1, 4, 100])
def test_a_chunk_past_either_end_is_out_of_range(index):
    with pytest.raises(Invalid) as raised:
        ChunkPlan(size=4000, chunk_size=1000).expected_length(index)
    assert raised.value.code == "chunk_out_of_range"
    assert raised.value.details == {"index": index, "chunks": 4}


@pytest.mark.parametrize("index, length", [(0, 999), (0, 1001), (3, 999), (3, 0)])
def test_a_chunk_of_another_length_is_refused(index, length):
    plan = ChunkPlan(size=4000, chunk_size=1000)
    with pytest.raises(Invalid) as raised:
        plan.check_chunk(index, length)
    assert raised.value.code == "chunk_size_mismatch"
    assert raised.value.details["expected"] == 1000


def test_missing_chunks_in_order_whatever_order_they_came_in():
    plan = ChunkPlan(size=5000, chunk_size=1000)
    assert plan.missing([]) == [0, 1, 2, 3, 4]
    assert plan.missing([4, 0, 2, 2]) == [1, 3]
    assert plan.missing(range(5)) == []


def test_a_plan_of_nothing_is_no_plan():
    with pytest.raises(ValueError):
        ChunkPlan(size=0, chunk_size=1000)
