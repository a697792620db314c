"""Routing HTTP service: the catalogue, the workflow actions and views, the leaders' figures."""

from __future__ import annotations

from flask import Flask

from aduan.infra.calendar import calendar_from_setting
from aduan.infra.catalogue import ensure_seeded
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, get_db, ping
from aduan.infra.deadlines import Deadlines
from aduan.infra.messaging import Publisher
from aduan.infra.storage import ObjectStore
from aduan.web.app import create_app as create_service_app
from services.routing import catalogue_api, stats_api, workflow_api
from services.routing.actions import Workflow


def create_app() -> Flask:
    settings = Settings.from_env()
    db = get_db(settings)
    store = ObjectStore(settings)
    publisher = Publisher(settings)
    deadlines = Deadlines(settings, calendar_from_setting(settings.holiday_categories))
    workflow = Workflow(settings, db, publisher, deadlines)

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
    catalogue_api.register(app, db)
    workflow_api.register(app, settings, db, store, workflow)
    stats_api.register(app, db, deadlines)
    return app
