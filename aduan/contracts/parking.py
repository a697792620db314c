"""What an operator may send to replay a consumer's parked messages."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aduan.contracts.base import Strict

MAX_LISTED = 200


class ReplayIn(Strict):
    message_ids: Annotated[list[Annotated[str, Field(max_length=100)]],
                           Field(min_length=1, max_length=MAX_LISTED)] | None = None
