"""Routing HTTP service: the catalogue, the workflow actions and views, the leaders' figures
and the public scorecard."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from pymongo.database import Database

from aduan.infra import metrics
from aduan.infra.backends import Backends
from aduan.infra.catalogue import ensure_seeded
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, ping
from aduan.infra.deadlines import Deadlines
from aduan.infra.rating_metrics import RatingsCollector
from aduan.infra.storage import ObjectStore
from aduan.web.app import create_app as create_service_app
from aduan.web.app import provide
from services.routing import (
    catalogue_api,
    escalations_api,
    officers,
    scorecard_api,
    stats_api,
    workflow_api,
)
from services.routing.actions import Workflow


@dataclass(frozen=True)
class Routing:
    """What the routing service's routes work with (`aduan.web.app.collaborators()`)."""

    workflow: Workflow

    @property
    def settings(self) -> Settings:
        return self.workflow.settings

    @property
    def db(self) -> Database:
        return self.workflow.db

    @property
    def store(self) -> ObjectStore:
        return self.workflow.store

    @property
    def deadlines(self) -> Deadlines:
        return self.workflow.deadlines


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> Flask:
    """`backends`: the servers to work with (tests hand in fakes); the settings' otherwise."""
    settings = settings or Settings.from_env()
    backends = backends or Backends(settings)
    db, store = backends.db, backends.store
    routing = Routing(Workflow.of(settings, db, store, backends.publisher))

    def startup() -> None:
        ensure_indexes(db)
        ensure_seeded(db)
        store.ensure_buckets()

    app = create_service_app(
        "routing", settings,
        readiness={"mongo": lambda: ping(db), "s3": store.ping}, startup=startup,
    )
    # Three evidence photos at the limit plus the form fields.
    app.config["MAX_CONTENT_LENGTH"] = 3 * settings.max_evidence_bytes + 256 * 1024
    provide(app, routing)
    # The reporters' ratings for Grafana, read from the database when scraped.
    metrics.register_collector("ratings", RatingsCollector(db))
    app.register_blueprint(catalogue_api.blueprint)
    app.register_blueprint(workflow_api.blueprint)
    app.register_blueprint(stats_api.blueprint)
    app.register_blueprint(scorecard_api.blueprint)
    app.register_blueprint(escalations_api.blueprint)
    app.register_blueprint(officers.blueprint)
    return app
