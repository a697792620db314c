"""What a sysadmin may send to map a SP4N-LAPOR! topic to one of the city's categories."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aduan.contracts.base import Strict
from aduan.contracts.fields import CategoryCode, Text

# LAPOR! topic ids are numbers in its API; kept as short strings (letters allowed, so a city's
# own grouping can be named).
TOPIC_ID_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
TopicId = Annotated[str, Field(pattern=TOPIC_ID_PATTERN)]


class TopicIn(Strict):
    # null: a grouping topic whose sub-topics carry the categories.
    category: CategoryCode | None
    parent_id: TopicId | None = None
    name: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
