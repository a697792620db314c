"""The one way tests wait: for a fact, polled, never for a fixed time. (To prove that something
did *not* happen, wait for a later fact: `stack_client.pipeline_settled`,
`workflow_client.EventTap.caught_up`.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout_s: float = 30,
               what: str | Callable[[], str] = "condition", every_s: float = 0.1) -> T:
    """The first truthy value `probe` returns; AssertionError naming `what` after `timeout_s`.
    `what` may be a function, called only on failure, to describe what was found instead."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"{described} not met within {timeout_s:.0f}s")
        time.sleep(every_s)
