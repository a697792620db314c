"""Notification HTTP service: webhook subscriptions, the delivery log, health and metrics."""

from __future__ import annotations

from flask import Flask
from pymongo.database import Database

from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, get_db, ping
from aduan.web.app import create_app as create_service_app
from aduan.web.app import provide
from services.notification.api import Context, blueprint


def create_app(settings: Settings | None = None, db: Database | None = None) -> Flask:
    """`db`: the database to use instead of the settings' (tests give an in-memory one)."""
    settings = settings or Settings.from_env()
    db = db if db is not None else get_db(settings)
    app = create_service_app("notification", settings, readiness={"mongo": lambda: ping(db)},
                             startup=lambda: ensure_indexes(db))
    provide(app, Context(settings, db))
    app.register_blueprint(blueprint)
    return app
