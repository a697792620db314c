"""Per-process copies of rarely changed collections (webhook subscriptions, the catalogue's
agencies and categories), kept until a change is announced, instead of one database read per
event.

Every writer of such a collection calls `announce_change(db, settings, name)` after its write:
it bumps the name's counter in the one `cache_versions` document and then waits
`cache_check_s`. Each process reads that document at most every `cache_check_s` (one read for
all its caches) and reloads a cache whose counter moved. So when the API has answered a change,
every replica of every consumer sees it for each event that happens from then on; and a process
costs one read per `cache_check_s`, however many events it handles.

A write that did not announce itself (a replica of an older version during a rolling update, a
hand edit in the database) shows once the copy is `max_age_s` old: every copy is read again then
whatever the counter says.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pymongo.database import Database
from pymongo.errors import PyMongoError

from aduan.infra.config import Settings

log = logging.getLogger(__name__)
COLLECTION = "cache_versions"
DOCUMENT = "versions"
# The notifier's copy of the staff who hear things (services/notification/contacts.py), bumped
# by the user API (gateway/staff_api.py) and gateway.users.create_user.
STAFF = "staff"
T = TypeVar("T")
Clock = Callable[[], float]


def bump(db: Database, *names: str) -> None:
    """Bumps the counters of `names`: every process reads those collections again soon."""
    db[COLLECTION].update_one({"_id": DOCUMENT}, {"$inc": {name: 1 for name in names}},
                              upsert=True)


def announce_change(db: Database, settings: Settings, *names: str) -> None:
    """Bumps the counters of `names`, then waits until every process has read them (at most
    `cache_check_s`), so the caller's answer comes after the change is in effect everywhere."""
    try:
        bump(db, *names)
    except PyMongoError:  # the change itself is stored: the caches see it within max_age_s
        log.exception("change of %s not announced; caches catch up within their max age",
                      ", ".join(names))
        return
    time.sleep(settings.cache_check_s)


class Versions:
    """The counters of one database, read at most every `check_s` (shared by a process's
    caches)."""

    def __init__(self, db: Database, check_s: float, clock: Clock = time.monotonic) -> None:
        self.db = db
        self._check_s = check_s
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._counters: dict[str, Any] = {}

    def counter(self, name: str) -> Any:
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._check_s:
                counters = self.db[COLLECTION].find_one({"_id": DOCUMENT}) or {}
                self._counters = counters
                # Taken before the read (what it shows is at least this recent), kept only
                # once it succeeded: a failed read is tried again by the next caller.
                self._read_at = now
            return self._counters.get(name, 0)


class VersionedCache(Generic[T]):
    """What `load(db)` gives, read again when `name`'s counter moves or after `max_age_s`."""

    def __init__(self, versions: Versions, name: str, load: Callable[[Database], T],
                 max_age_s: float = 60.0, clock: Clock = time.monotonic) -> None:
        self._versions = versions
        self._name = name
        self._load = load
        self._max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._counter: Any = None
        self._loaded_at = 0.0

    def get(self) -> T:
        counter = self._versions.counter(self._name)  # first: a change after it reloads later
        with self._lock:
            stale = (self._value is None or counter != self._counter
                     or self._clock() - self._loaded_at >= self._max_age_s)
            if stale:
                self._value = self._load(self._versions.db)
                self._counter = counter
                self._loaded_at = self._clock()
            assert self._value is not None
            return self._value
