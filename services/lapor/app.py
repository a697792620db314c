"""SP4N-LAPOR! connector HTTP service: the city's topic mapping and each report's sync state."""

from __future__ import annotations

from flask import Flask

from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, ping
from aduan.web.app import create_app as create_service_app


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> Flask:
    """`backends`: the servers to work with (tests hand in fakes); the settings' otherwise."""
    settings = settings or Settings.from_env()
    backends = backends or Backends(settings)
    db = backends.db
    return create_service_app("lapor", settings, readiness={"mongo": lambda: ping(db)},
                              startup=lambda: ensure_indexes(db))
