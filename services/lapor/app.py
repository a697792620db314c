"""SP4N-LAPOR! connector HTTP service: the city's topic mapping and each report's sync state."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from pymongo.database import Database

from aduan.infra import metrics
from aduan.infra.backends import Backends
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, ping
from aduan.web.app import create_app as create_service_app
from aduan.web.app import provide
from services.lapor import sync_api, topics, topics_api
from services.lapor.sync_metrics import LaporPendingCollector


@dataclass(frozen=True)
class Lapor:
    """What the routes work with (`aduan.web.app.provide`)."""

    settings: Settings
    db: Database


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> Flask:
    """`backends`: the servers to work with (tests hand in fakes); the settings' otherwise."""
    settings = settings or Settings.from_env()
    backends = backends or Backends(settings)
    db = backends.db

    def startup() -> None:
        ensure_indexes(db)
        topics.ensure_seeded(db)

    app = create_service_app("lapor", settings, readiness={"mongo": lambda: ping(db)},
                             startup=startup)
    provide(app, Lapor(settings, db))
    # What waits to go to LAPOR!, read from the database when scraped (for the alerts).
    metrics.register_collector("lapor_pending", LaporPendingCollector(db))
    app.register_blueprint(topics_api.blueprint)
    app.register_blueprint(sync_api.blueprint)
    return app
