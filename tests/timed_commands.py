"""A database of its own on the stack's server, with the start times of chosen commands: for
tests of a loop's pace (the outbox relay, the webhook dispatcher) that must neither see nor
take the stack's own documents."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from itertools import pairwise

from pymongo import MongoClient, monitoring
from pymongo.database import Database

Picker = Callable[[monitoring.CommandStartedEvent], bool]


class CommandTimes(monitoring.CommandListener):
    """When each command of one database that a picker chose started (monotonic seconds),
    by the picker's name."""

    def __init__(self, database: str, pickers: dict[str, Picker]) -> None:
        self.database = database
        self.pickers = pickers
        self.times: dict[str, list[float]] = {name: [] for name in pickers}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name != self.database:
            return
        for name, picks in self.pickers.items():
            if picks(event):
                self.times[name].append(time.monotonic())

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@contextlib.contextmanager
def own_database(mongo_url: str, prefix: str, pickers: dict[str, Picker]
                 ) -> Iterator[tuple[Database, CommandTimes]]:
    """A database made for the test (dropped after it) and the times of its picked commands."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    times = CommandTimes(name, pickers)
    client = MongoClient(mongo_url, tz_aware=True, event_listeners=[times])
    try:
        yield client[name], times
    finally:
        client.drop_database(name)
        client.close()


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in pairwise(times)]
