"""The servers a service works with: its database, object store and event publisher. Each is
made from the settings the first time it is used, unless it was handed in (tests hand in the
fakes of tests/fakes.py). The one way every HTTP service's app factory gets them."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pymongo.database import Database

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.messaging import Publisher
from aduan.infra.storage import ObjectStore


class Backends:
    def __init__(self, settings: Settings, *, db: Database | None = None,
                 store: ObjectStore | Any | None = None,
                 publisher: Publisher | Any | None = None) -> None:
        self.settings = settings
        given = {"db": db, "store": store, "publisher": publisher}
        # A value handed in takes the place of the cached property's first computation.
        self.__dict__.update({name: value for name, value in given.items() if value is not None})

    @cached_property
    def db(self) -> Database:
        return get_db(self.settings)

    @cached_property
    def store(self) -> ObjectStore:
        return ObjectStore(self.settings)

    @cached_property
    def publisher(self) -> Publisher:
        return Publisher(self.settings)
